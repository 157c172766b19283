"""Jacobian rows computed by a scan: one gradient per entry of the expression, the number
of entries known only at run time (what ``symcore.gradient.jacobian``/``hessian`` use when
the length is not static)."""

from __future__ import annotations

from collections.abc import Iterable

from symcore.graph.basic import Variable
from symcore.scan.basic import scan

__all__ = ["jacobian_rows_scan"]


def jacobian_rows_scan(
    expression: Variable, wrt: list[Variable], consider_constant: Iterable[Variable] | None = None
) -> list[Variable]:
    """For each ``w`` in ``wrt``: ``stack([grad(expression[i], w) for i in range(len)])``."""
    import symcore.tensor as T
    from symcore.gradient import grad

    consider = list(consider_constant) if consider_constant is not None else None

    def row(i, expr, *ws):
        return grad(expr[i], list(ws), consider_constant=consider, disconnected_inputs="ignore")

    rows, _ = scan(
        row,
        sequences=T.arange(expression.shape[0]),
        non_sequences=[expression, *wrt],
        return_list=True,
        name="jacobian",
    )
    return rows
