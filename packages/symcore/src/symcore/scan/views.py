"""``map``, ``reduce``, ``foldl`` and ``foldr``: common loops written with :func:`scan`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from symcore.scan.basic import scan

__all__ = ["map", "reduce", "foldl", "foldr"]


def map(  # noqa: A001 - Theano's name
    fn: Callable,
    sequences: Any,
    non_sequences: Any = None,
    truncate_gradient: int = -1,
    go_backwards: bool = False,
    mode: Any = None,
    name: str | None = None,
):
    """Apply ``fn`` to each entry of the sequences: ``(outputs, updates)``."""
    return scan(
        fn,
        sequences=sequences,
        outputs_info=None,
        non_sequences=non_sequences,
        truncate_gradient=truncate_gradient,
        go_backwards=go_backwards,
        mode=mode,
        name=name,
    )


def _last(outputs: Any) -> Any:
    if isinstance(outputs, list):
        return [o[-1] for o in outputs]
    return outputs[-1]


def reduce(  # noqa: A001 - Theano's name
    fn: Callable,
    sequences: Any,
    outputs_info: Any,
    non_sequences: Any = None,
    go_backwards: bool = False,
    mode: Any = None,
    name: str | None = None,
):
    """Fold the sequences into the states of ``outputs_info``; return the final states and
    the updates. Only the last step is stored (the memory-saving rewrite sees ``out[-1]``)."""
    outputs, updates = scan(
        fn,
        sequences=sequences,
        outputs_info=outputs_info,
        non_sequences=non_sequences,
        go_backwards=go_backwards,
        mode=mode,
        name=name,
    )
    return _last(outputs), updates


def foldl(
    fn: Callable,
    sequences: Any,
    outputs_info: Any,
    non_sequences: Any = None,
    mode: Any = None,
    name: str | None = None,
):
    """``reduce`` from the first entry to the last."""
    return reduce(
        fn, sequences, outputs_info, non_sequences, go_backwards=False, mode=mode, name=name
    )


def foldr(
    fn: Callable,
    sequences: Any,
    outputs_info: Any,
    non_sequences: Any = None,
    mode: Any = None,
    name: str | None = None,
):
    """``reduce`` from the last entry to the first."""
    return reduce(
        fn, sequences, outputs_info, non_sequences, go_backwards=True, mode=mode, name=name
    )
