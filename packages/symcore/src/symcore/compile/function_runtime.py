"""``Function``: the callable returned by ``symcore.function`` (the per-call hot path).

Everything that does not depend on the argument values is decided at compile time by
``FunctionMaker``; a call filters the positional arguments (unless ``trust_input``), reads
the shared/implicit storage cells, runs the thunk, makes the planned defensive copies,
writes the updates, and returns.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from symcore.compile.io import Container, copy_value
from symcore.graph.utils import format_trace
from symcore.tensor.type import TensorType

__all__ = ["Function"]

_AMBIGUOUS = object()


def _checker(spec):
    """The per-argument check: ``value -> filtered value`` (raises TypeError)."""
    t = spec.variable.type
    strict = spec.strict
    downcast = spec.allow_downcast
    if not strict and downcast is None:
        slow = t.filter
    else:

        def slow(value, _f=t.filter, _s=strict, _d=downcast):
            return _f(value, _s, _d)

    if isinstance(t, TensorType) and not any(t.broadcastable) and all(d is None for d in t.shape):
        # Fast path: an ndarray of exactly the right dtype and ndim needs no conversion
        # (valid under strict and allow_downcast too); anything else goes to filter.
        dt, nd, nda = t.numpy_dtype, t.ndim, np.ndarray

        def check(value):
            if value.__class__ is nda and value.dtype is dt and value.ndim == nd:
                return value
            return slow(value)

        return check
    return slow


class Function:
    """A compiled function. Call it with positional and/or keyword arguments (by input name).

    ``f.trust_input = True`` skips the checks and conversions of the arguments (they must
    then already be values of the exact input types). ``f.maker`` holds the graph
    (``f.maker.fgraph``), the specs (``f.maker.inputs``/``outputs``) and the mode.
    """

    def __init__(self, maker, input_storage: list[Container]) -> None:
        self.maker = maker
        self.input_storage = input_storage
        self.name = maker.name
        self.profile = maker.profile
        self.trust_input = False
        specs = maker.inputs
        n_exp = 0
        while n_exp < len(specs) and not specs[n_exp].implicit:
            n_exp += 1
        if any(not s.implicit for s in specs[n_exp:]):
            raise ValueError("FunctionMaker inputs must list explicit inputs before implicit ones")
        self._n_pos = n_exp
        self._specs = specs[:n_exp]
        self._checks = [_checker(s) for s in self._specs]
        self._exp_storage = input_storage[:n_exp]
        self._implicit = input_storage[n_exp:]
        kw: dict[str, Any] = {}
        for idx, s in enumerate(self._specs):
            if s.name is not None:
                kw[s.name] = _AMBIGUOUS if s.name in kw else idx
        self._kw_index = kw
        self._setup_outputs()

    def _setup_outputs(self) -> None:
        maker = self.maker
        self._run = maker.thunk
        n_out = len(maker.outputs)
        self._n_out = n_out
        self._trim = len(maker.fgraph.outputs) > n_out
        self._copies = tuple(maker.copy_outputs)
        self._updates = tuple(
            (k, self.input_storage[i], _update_check(maker, k, i))
            for k, i in sorted(maker.fgraph.update_mapping.items())
        )
        self._single = maker.return_kind == "single"
        self._keys = maker.output_keys if maker.return_kind == "dict" else None
        report = getattr(maker.fgraph, "linker_report", None)
        # The thunk checks dtype/ndim/broadcastable of every input itself (the C backend):
        # exact ndarrays go straight through; anything else is converted after a TypeError.
        self._thunk_checks = bool(getattr(report, "validates_inputs", False))
        # Nothing to do after the thunk but return its one output.
        self._plain = (
            self._single and not self._implicit and not self._copies and not self._updates
            and not self._trim
        )

    # -- calling ---------------------------------------------------------------------------
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self._plain and not kwargs and len(args) == self._n_pos and (
            self.trust_input or self._thunk_checks
        ):
            try:
                return self._run(list(args))[0]
            except TypeError:
                if self.trust_input:
                    raise
            # an argument needs converting (a list, a scalar, another dtype): checked path
        return self._call(args, kwargs)

    def _call(self, args: tuple, kwargs: dict) -> Any:
        if kwargs or len(args) != self._n_pos:
            subset = kwargs.pop("output_subset", None)
            vals = self._bind(args, kwargs)
        else:
            subset = None
            if self.trust_input:
                vals = list(args)
            else:
                try:
                    vals = [chk(a) for chk, a in zip(self._checks, args, strict=True)]
                except Exception as exc:
                    self._raise_bad_input(args, exc)
        if self._implicit:
            vals.extend([c.storage[0] for c in self._implicit])
        outs = self._run(vals)
        for k in self._copies:
            outs[k] = copy_value(outs[k])
        for k, cell, check in self._updates:
            cell.storage[0] = outs[k] if check is None else check(outs[k])
        if self._trim:
            del outs[self._n_out :]
        if subset is not None:
            outs = [outs[k] for k in subset]
            return outs
        if self._single:
            return outs[0]
        if self._keys is not None:
            return dict(zip(self._keys, outs, strict=True))
        return outs

    def _bind(self, args: tuple, kwargs: dict) -> list:
        """Slow path: keyword arguments, defaults, and argument-count errors."""
        n = self._n_pos
        if len(args) > n:
            raise TypeError(
                f"symcore function {self._fname()} takes {n} positional argument(s) but "
                f"{len(args)} were given"
            )
        values: list[Any] = list(args) + [_MISSING] * (n - len(args))
        for key, val in kwargs.items():
            idx = self._kw_index.get(key)
            if idx is None:
                raise TypeError(
                    f"symcore function {self._fname()} got an unexpected keyword argument {key!r}; "
                    f"its inputs are named {[s.name for s in self._specs]}"
                )
            if idx is _AMBIGUOUS:
                raise TypeError(
                    f"The input name {key!r} is ambiguous: several inputs of {self._fname()} "
                    "have it"
                )
            if values[idx] is not _MISSING:
                raise TypeError(
                    f"Multiple values for input {key!r} of symcore function {self._fname()}"
                )
            values[idx] = val
        missing = [
            idx
            for idx, v in enumerate(values)
            if v is _MISSING and self._exp_storage[idx].storage[0] is None
        ]
        if missing:
            names = ", ".join(
                f"{self._specs[i].name or self._specs[i].variable} (index {i})" for i in missing
            )
            raise TypeError(
                f"Missing required input(s) of symcore function {self._fname()}: {names}"
            )
        out = []
        for idx, v in enumerate(values):
            if v is _MISSING:
                out.append(self._exp_storage[idx].storage[0])
            elif self.trust_input:
                out.append(v)
            else:
                try:
                    out.append(self._checks[idx](v))
                except Exception as exc:
                    self._raise_bad_input_at(idx, exc)
        return out

    def _raise_bad_input(self, args: tuple, exc: BaseException) -> None:
        for idx, (chk, a) in enumerate(zip(self._checks, args, strict=True)):
            try:
                chk(a)
            except Exception as e:
                self._raise_bad_input_at(idx, e)
        raise exc

    def _raise_bad_input_at(self, idx: int, exc: BaseException) -> None:
        spec = self._specs[idx]
        msg = (
            f'Bad input argument with name "{spec.name or spec.variable}" to symcore function with '
            f'name "{self._fname()}" at index {idx} (0-based).\n{exc}'
        )
        trace = getattr(spec.variable.tag, "trace", None)
        if trace:
            msg += "\nThe input variable was created at:\n" + format_trace(trace)
        try:
            new = type(exc)(msg)
        except Exception:
            new = TypeError(msg)
        raise new from exc

    def _fname(self) -> str:
        return self.name or self.maker.display_name

    # -- defaults ---------------------------------------------------------------------------
    def _index_of(self, key: Any) -> int:
        if isinstance(key, int):
            return key
        if isinstance(key, str):
            idx = self._kw_index.get(key)
            if idx is None or idx is _AMBIGUOUS:
                raise KeyError(key)
            return idx
        for idx, s in enumerate(self.maker.inputs):
            if s.variable is key or getattr(s, "value", None) is key:
                return idx
        raise KeyError(key)

    def __getitem__(self, key: Any) -> Any:
        """The stored (default or state) value of an input, by name, index or variable."""
        return self.input_storage[self._index_of(key)].storage[0]

    def __setitem__(self, key: Any, value: Any) -> None:
        """Set the stored (default or state) value of an input, by name, index or variable."""
        idx = self._index_of(key)
        self.input_storage[idx].value = value

    def get_shared(self) -> list:
        """The shared variables this function reads (its implicit shared inputs)."""
        return [
            getattr(s, "value", None)
            for s in self.maker.inputs
            if getattr(s.variable, "_is_shared_variable", False)
        ]

    # -- copies, pickling -------------------------------------------------------------------
    def copy(
        self,
        share_memory: bool = False,
        swap: dict | None = None,
        delete_updates: bool = False,
        name: str | None = None,
        profile: Any = None,
    ) -> Function:
        """A new Function over a copy of the compiled graph (Theano's ``Function.copy``).

        Shared variables stay shared with the original unless ``swap`` maps them to other
        shared variables (of the same type). Default values are copied unless
        ``share_memory``. ``delete_updates=True`` drops the updates.
        """
        maker = self.maker.clone(swap=swap, delete_updates=delete_updates, name=name)
        storage = []
        for c, new_spec in zip(self.input_storage, maker.inputs, strict=True):
            v = getattr(new_spec, "value", None)
            if getattr(v, "_is_shared_variable", False):
                storage.append(v.container)  # shared (possibly swapped) storage
            elif isinstance(v, Container):
                storage.append(v)
            else:
                storage.append(c if share_memory else c.copy())
        f = Function(maker, storage)
        f.trust_input = self.trust_input
        if profile is not None:
            f.profile = profile
        return f

    def free(self) -> None:
        """Release memory held between calls (the reference backend holds none)."""
        free = getattr(self._run, "free", None)
        if free is not None:
            free()

    def __reduce__(self):
        return (_rebuild_function, (self.maker, self.input_storage, self.trust_input))

    def __repr__(self) -> str:
        return f"<symcore.Function {self._fname()}>"


def _rebuild_function(maker, input_storage, trust_input):
    f = Function(maker, input_storage)
    f.trust_input = trust_input
    return f


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


_MISSING = _Missing()


def _update_check(maker, out_idx: int, in_idx: int):
    """A filter for an update whose graph type is looser than its target's, else None."""
    out_type = maker.fgraph.outputs[out_idx].type
    in_type = maker.fgraph.inputs[in_idx].type
    if out_type == in_type or in_type.is_super(out_type):
        return None
    c = maker.fgraph.inputs[in_idx]
    name = c.name

    def check(value, _f=in_type.filter):
        try:
            return _f(value, True)
        except TypeError as exc:
            raise TypeError(
                f"The new value of {name} computed by its update does not fit its type: {exc}"
            ) from exc

    return check
