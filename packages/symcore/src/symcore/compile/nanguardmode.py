"""``NanGuardMode``: stop at the first node that produces NaN, Inf or huge values.

Every input of the function and every output of every node is checked; the error names the
node, the user line that built it, its inputs' shapes and dtypes, and which inputs already
held bad values.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from symcore.compile.mode import Mode, register_mode
from symcore.compile.nodeloop import make_node_loop
from symcore.compile.profiling import ProfileStats
from symcore.graph.basic import Apply
from symcore.graph.fg import FunctionGraph
from symcore.graph.op import describe_value
from symcore.graph.utils import format_trace

__all__ = ["NanGuardError", "NanGuardLinker", "NanGuardMode"]

#: Absolute values above this count as "big" (Theano's threshold).
BIG_THRESHOLD = 1e10


class NanGuardError(AssertionError):
    """A NaN, Inf or big value was produced (an ``AssertionError``, as in Theano)."""


def _problems(value: Any, nan: bool, inf: bool, big: bool) -> list[str]:
    arr = value if isinstance(value, np.ndarray) else None
    if arr is None:
        if isinstance(value, (float, complex, np.floating, np.complexfloating)):
            arr = np.asarray(value)
        else:
            return []
    if arr.dtype.kind not in "fc" or arr.size == 0:
        return []
    out = []
    if nan and np.isnan(arr).any():
        out.append("NaN")
    if inf and np.isinf(arr).any():
        out.append("Inf")
    if big:
        finite = np.abs(arr[np.isfinite(arr)])
        if finite.size and finite.max() > BIG_THRESHOLD:
            out.append(f"big values (|x| > {BIG_THRESHOLD:g})")
    return out


class NanGuardLinker:
    """Wraps a linker; its thunks check every value (see ``NanGuardMode``)."""

    def __init__(
        self,
        inner: Any,
        nan_is_error: bool = True,
        inf_is_error: bool = True,
        big_is_error: bool = False,
    ) -> None:
        self.inner = inner
        self.nan_is_error = nan_is_error
        self.inf_is_error = inf_is_error
        self.big_is_error = big_is_error

    def _check(self, value: Any) -> list[str]:
        return _problems(value, self.nan_is_error, self.inf_is_error, self.big_is_error)

    def make_thunk(self, fgraph: FunctionGraph):
        inputs = list(fgraph.inputs)
        profile = getattr(fgraph, "profile", None)

        def before_call(values: Sequence[Any]) -> None:
            for var, val in zip(inputs, values, strict=True):
                bad = self._check(val)
                if bad:
                    raise NanGuardError(
                        f"NanGuardMode: input {var} ({var.type}) of the function contains "
                        f"{' and '.join(bad)} ({describe_value(val)})"
                    )

        def after_node(node: Apply, args: list, results: list) -> None:
            for k, val in enumerate(results):
                if not getattr(node.outputs[k].tag, "nan_guard_mode_check", True):
                    continue  # e.g. AllocEmpty: uninitialised memory
                bad = self._check(val)
                if bad:
                    raise NanGuardError(self._message(node, k, bad, args))

        return make_node_loop(
            fgraph,
            self.inner,
            after_node=after_node,
            before_call=before_call,
            profile=profile if isinstance(profile, ProfileStats) else None,
            allow_gc=getattr(self.inner, "allow_gc", True),
        )

    def _message(self, node: Apply, k: int, bad: list[str], args: list) -> str:
        lines = [f"NanGuardMode: output {k} of {node.op} contains {' and '.join(bad)}."]
        for i, (var, val) in enumerate(zip(node.inputs, args, strict=True)):
            flags = self._check(val)
            note = f"  <- already contains {' and '.join(flags)}" if flags else ""
            lines.append(f"  input {i} ({var}, {var.type}): {describe_value(val)}{note}")
        lines.append("Node built at:")
        lines.append(format_trace(getattr(node.tag, "trace", [])))
        return "\n".join(lines)

    def __getattr__(self, name: str) -> Any:
        if name == "inner":
            raise AttributeError(name)
        return getattr(self.inner, name)


class NanGuardMode(Mode):
    """A mode whose functions raise ``NanGuardError`` at the first NaN/Inf/big value.

    ``NanGuardMode(nan_is_error=True, inf_is_error=True, big_is_error=False,
    optimizer="default", linker=None)``; the rewrites are the usual ones.
    """

    def __init__(
        self,
        nan_is_error: bool = True,
        inf_is_error: bool = True,
        big_is_error: bool = False,
        optimizer: Any = "default",
        linker: Any = None,
        db: Any = None,
    ) -> None:
        super().__init__(linker=linker, optimizer=optimizer, db=db)
        self.nan_is_error = nan_is_error
        self.inf_is_error = inf_is_error
        self.big_is_error = big_is_error

    @property
    def linker(self) -> Any:
        return NanGuardLinker(
            self.raw_linker, self.nan_is_error, self.inf_is_error, self.big_is_error
        )

    def __str__(self) -> str:
        return (
            f"NanGuardMode(nan_is_error={self.nan_is_error}, inf_is_error={self.inf_is_error}, "
            f"big_is_error={self.big_is_error}, optimizer={self.provided_optimizer!r})"
        )

    __repr__ = __str__


register_mode("NanGuardMode", NanGuardMode())
