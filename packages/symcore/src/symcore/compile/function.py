"""``symcore.function``: compile symbolic inputs and outputs into a Python callable.

Theano's behaviour: a single output or a list (or dict) of outputs; ``updates`` to shared
variables applied after all outputs are computed (so a function returns the OLD value of
a shared variable it updates); ``givens`` substitutions; ``In``/``Out`` specs for default
values, keyword names and borrowing; default updates of shared variables (random
generators) unless ``no_default_updates``; inputs checked and converted on every call
unless ``trust_input``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from symcore.compile.function_maker import FunctionMaker
from symcore.compile.function_runtime import Function
from symcore.compile.io import In, SymbolicInput, SymbolicOutput
from symcore.compile.rebuild import normalise_givens, normalise_updates, rebuild_collect_shared
from symcore.graph.basic import Constant, Variable
from symcore.graph.utils import user_trace

__all__ = ["function", "Function"]


def _input_spec(item: Any, idx: int, allow_input_downcast: bool | None) -> SymbolicInput:
    if isinstance(item, SymbolicInput):
        spec = item
    elif isinstance(item, Variable):
        spec = SymbolicInput(item)
    else:
        raise TypeError(
            f"Input {idx} of symcore.function is a {type(item).__name__}, not a symbolic variable "
            "or In(...) (values are given when the function is called)"
        )
    var = spec.variable
    if getattr(var, "_is_shared_variable", False):
        raise TypeError(
            f"Cannot use the shared variable {var} as an explicit input (index {idx}) of "
            "symcore.function: its value comes from its storage. To substitute a value for "
            f"it, use a non-shared variable and givens=[({var}, new_variable)]."
        )
    if isinstance(var, Constant):
        raise TypeError(
            f"Input {idx} of symcore.function is the constant {var}: constants cannot be "
            "inputs; use a non-constant variable (e.g. T.scalar()) instead."
        )
    if allow_input_downcast is not None and spec.allow_downcast is None:
        # function(allow_input_downcast=...) is the default of each input's setting
        new = spec.__class__.__new__(spec.__class__)
        new.__dict__.update(spec.__dict__)
        new.allow_downcast = allow_input_downcast
        spec = new
    return spec


def _output_specs(outputs: Any) -> tuple[list[SymbolicOutput], str, list | None]:
    """Output specs and how results are returned: 'single', 'list' or 'dict' (with keys)."""
    if outputs is None:
        return [], "list", None
    if isinstance(outputs, (Variable, SymbolicOutput)):
        return [_out(outputs, 0)], "single", None
    if isinstance(outputs, dict):
        keys = list(outputs)
        return [_out(outputs[k], k) for k in keys], "dict", keys
    if isinstance(outputs, (list, tuple)):
        return [_out(o, k) for k, o in enumerate(outputs)], "list", None
    return [_out(outputs, 0)], "single", None


def _out(o: Any, key: Any) -> SymbolicOutput:
    if isinstance(o, SymbolicInput):
        raise TypeError(f"Output {key!r} is an In(...) spec; use Out(variable) for outputs")
    if not isinstance(o, SymbolicOutput):
        if not isinstance(o, Variable):
            from symcore.tensor.basic import as_tensor_variable

            try:
                o = as_tensor_variable(o)
            except Exception as exc:
                raise TypeError(
                    f"Output {key!r} of symcore.function is not a symbolic variable: {o!r}"
                ) from exc
        o = SymbolicOutput(o)
    tname = type(o.variable.type).__name__
    if tname in ("NullType", "DisconnectedType"):
        why = getattr(o.variable.type, "why_null", "")
        what = "an undefined" if tname == "NullType" else "a disconnected"
        raise TypeError(
            f"Output {key!r} of symcore.function is {what} gradient ({tname}) and has no "
            f"value. {why}"
        )
    return o


def function(
    inputs: Sequence[Any],
    outputs: Any = None,
    mode: Any = None,
    updates: Any = None,
    givens: Any = None,
    no_default_updates: bool | Sequence[Variable] = False,
    accept_inplace: bool = False,
    name: str | None = None,
    rebuild_strict: bool = True,
    allow_input_downcast: bool | None = None,
    profile: Any = None,
    on_unused_input: str | None = None,
    trust_input: bool = False,
) -> Function:
    """Compile a function from ``inputs`` to ``outputs``.

    ``inputs``: a list of variables or ``In`` specs (positional arguments, in order).
    ``outputs``: a variable (the call returns one value), a list/tuple (returns a list),
    a dict (returns a dict) or None; items may be ``Out(var, borrow=True)``.
    ``mode``: a mode name or object (rewrites + linker); ``updates``: dict or pairs
    ``(shared_variable, new_value_expression)``; ``givens``: dict or pairs
    ``(variable, replacement)``; ``no_default_updates``: True or a list of shared variables
    whose ``default_update`` is ignored; ``allow_input_downcast``: allow lossy input
    conversions; ``on_unused_input``: 'raise' (default: config flag), 'warn' or 'ignore';
    ``trust_input``: skip argument checks on every call.
    """
    if not isinstance(inputs, (list, tuple)):
        raise TypeError(
            "Input variables of a symcore function should be contained in a list, even when "
            f"there is a single input (got {type(inputs).__name__})."
        )
    display = name
    if display is None:
        trace = user_trace(1)
        if trace:
            display = f"{trace[0][0]}:{trace[0][1]}"
    in_specs = [_input_spec(item, idx, allow_input_downcast) for idx, item in enumerate(inputs)]
    out_specs, kind, keys = _output_specs(outputs)
    update_pairs = normalise_updates(updates)
    given_pairs = normalise_givens(givens, strict=rebuild_strict)
    for old, _ in given_pairs:
        if any(old is s.variable for s in in_specs):
            raise ValueError(f"givens replaces {old}, which is also an input of the function")
    new_outs, new_in_updates, shared_vars, update_of = rebuild_collect_shared(
        [o.variable for o in out_specs],
        [s.variable for s in in_specs],
        [s.update for s in in_specs],
        update_pairs,
        given_pairs,
        no_default_updates,
    )
    out_specs = [
        SymbolicOutput(v, borrow=o.borrow) for v, o in zip(new_outs, out_specs, strict=True)
    ]
    explicit, implicit = [], []
    for spec, upd in zip(in_specs, new_in_updates, strict=True):
        if upd is not spec.update:
            spec = _with_update(spec, upd)
        (implicit if spec.implicit else explicit).append(spec)
    for sv in shared_vars:
        implicit.append(
            In(sv, value=sv, update=update_of.get(sv), implicit=True, borrow=False, autoname=True)
        )
    profile_obj = _profile(profile, name or display)
    maker = FunctionMaker(
        explicit + implicit,
        out_specs,
        mode=mode,
        accept_inplace=accept_inplace,
        name=name,
        profile=profile_obj,
        on_unused_input=on_unused_input,
        output_keys=keys,
        return_kind=kind,
        display_name=display,
    )
    f = maker.create()
    f.trust_input = bool(trust_input)
    return f


def _with_update(spec: SymbolicInput, update: Variable | None) -> SymbolicInput:
    new = spec.__class__.__new__(spec.__class__)
    new.__dict__.update(spec.__dict__)
    new.update = update
    return new


def _profile(profile: Any, name: str | None) -> Any:
    """The profile object of the function: ``profile`` itself, or a new ProfileStats."""
    from symcore.config import config

    if profile is None:
        profile = bool(config.profile)
    if profile is False:
        return None
    if profile is True or isinstance(profile, str):
        try:
            from symcore.compile.profiling import ProfileStats
        except ImportError:
            import warnings

            warnings.warn(
                "profile=True: symcore.compile.profiling is not available; not profiling",
                stacklevel=3,
            )
            return None
        message = profile if isinstance(profile, str) else name
        try:
            return ProfileStats(message=message)
        except TypeError:
            return ProfileStats()
    return profile
