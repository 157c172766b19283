"""Derivatives built from ``grad`` and ``Rop``: ``jacobian``, ``hessian``,
``hessian_vector_product``.

Theano computes a Jacobian row by row with ``scan``. Here the rows are unrolled when the
expression's length is known when the graph is built (a static shape, or a shape that
folds to a constant), and computed by a scan otherwise (:func:`jacobian_rows`).
"""

from __future__ import annotations

from collections.abc import Iterable

from symcore.gradient._tensor import T, format_as
from symcore.gradient.reverse import _check_choice, connected_to, grad
from symcore.graph.basic import Variable

__all__ = ["hessian", "hessian_vector_product", "jacobian", "jacobian_rows"]


def jacobian(
    expression: Variable,
    wrt: Variable | list | tuple,
    consider_constant: Iterable[Variable] | None = None,
    disconnected_inputs: str = "raise",
):
    """The Jacobian of the vector (or scalar) ``expression`` w.r.t. ``wrt``.

    For each ``wrt`` variable of shape ``s`` the result has shape ``(len(expression),) + s``
    (a scalar expression gives ``grad``). The structure of ``wrt`` is kept.
    """
    _check_choice("disconnected_inputs", disconnected_inputs, ("ignore", "warn", "raise"))
    from symcore.tensor.basic import as_tensor_variable

    expression = as_tensor_variable(expression)
    use_list, use_tuple = isinstance(wrt, list), isinstance(wrt, tuple)
    wrt_list = list(wrt) if (use_list or use_tuple) else [wrt]
    if expression.ndim == 0:
        return format_as(
            use_list,
            use_tuple,
            grad(
                expression,
                wrt_list,
                consider_constant=consider_constant,
                disconnected_inputs=disconnected_inputs,
            ),
        )
    if expression.ndim != 1:
        raise ValueError(
            f"jacobian expects a vector (or scalar) expression; {expression} has "
            f"{expression.ndim} dimensions: flatten it first (expression.flatten())"
        )
    _check_connected(expression, wrt_list, consider_constant, disconnected_inputs)
    n = static_length(expression)
    rows = jacobian_rows(expression, wrt_list, n, consider_constant)
    return format_as(use_list, use_tuple, rows)


def hessian(
    cost: Variable,
    wrt: Variable | list | tuple,
    consider_constant: Iterable[Variable] | None = None,
    disconnected_inputs: str = "raise",
):
    """The Hessian of the scalar ``cost`` w.r.t. each vector in ``wrt`` (keeps the structure)."""
    from symcore.tensor.basic import as_tensor_variable

    cost = as_tensor_variable(cost)
    if cost.ndim != 0:
        raise TypeError(f"hessian: cost must be a scalar (0-d), got {cost.ndim} dimensions")
    use_list, use_tuple = isinstance(wrt, list), isinstance(wrt, tuple)
    wrt_list = list(wrt) if (use_list or use_tuple) else [wrt]
    hessians = []
    for w in wrt_list:
        if not isinstance(w, Variable) or getattr(w, "ndim", None) != 1:
            raise TypeError(
                f"hessian expects vectors as wrt; got {w} of type {getattr(w, 'type', type(w))}"
            )
        g = grad(
            cost, w, consider_constant=consider_constant, disconnected_inputs=disconnected_inputs
        )
        # The gradient has w's length, which may be the only static length available.
        n = _try_static_length(w)
        if n is None:
            n = static_length(g)
        # w may be connected to the cost yet disconnected from its gradient (cost linear
        # in w): that is a zero Hessian, not an error.
        hessians.append(jacobian_rows(g, [w], n, consider_constant)[0])
    return format_as(use_list, use_tuple, hessians)


def hessian_vector_product(
    cost: Variable, wrt: Variable | list | tuple, p, use_rop: bool = False, **grad_kwargs
):
    """``H p`` for the scalar ``cost``: ``grad(grad(cost, wrt) · p, wrt)`` or, with
    ``use_rop=True``, ``Rop(grad(cost, wrt), wrt, p)``. ``p`` matches ``wrt``."""
    use_list, use_tuple = isinstance(wrt, list), isinstance(wrt, tuple)
    wrt_list = list(wrt) if (use_list or use_tuple) else [wrt]
    ps = list(p) if isinstance(p, (list, tuple)) else [p]
    if len(ps) != len(wrt_list):
        raise ValueError(
            f"hessian_vector_product: {len(wrt_list)} wrt variables but {len(ps)} vectors p"
        )
    grads = grad(cost, wrt_list, **grad_kwargs)
    if use_rop:
        from symcore.gradient.forward import Rop

        result = Rop(grads, wrt_list, ps)
    else:
        t = T()
        dot = None
        for g, v in zip(grads, ps, strict=True):
            term = t.sum(g * v)
            dot = term if dot is None else dot + term
        result = grad(dot, wrt_list, disconnected_inputs="ignore")
    return format_as(use_list, use_tuple, list(result))


# ---------------------------------------------------------------------------------------
# Row-by-row differentiation (the scan switch point)
# ---------------------------------------------------------------------------------------


def jacobian_rows(
    expression: Variable,
    wrt: list[Variable],
    n: int | None,
    consider_constant: Iterable[Variable] | None = None,
) -> list[Variable]:
    """For each ``w`` in ``wrt``, ``stack([grad(expression[i], w) for i in range(n)])``.

    Unrolled over the static length ``n``; computed by a scan when ``n`` is None (the
    length is known only at run time).
    """
    if n is None:
        from symcore.scan.jacobian import jacobian_rows_scan  # scan builds on gradient

        return jacobian_rows_scan(expression, wrt, consider_constant)
    t = T()
    per_wrt: list[list[Variable]] = [[] for _ in wrt]
    for i in range(n):
        gs = grad(
            expression[i], wrt, consider_constant=consider_constant, disconnected_inputs="ignore"
        )
        for rows, g in zip(per_wrt, gs, strict=True):
            rows.append(g)
    out = []
    for w, rows in zip(wrt, per_wrt, strict=True):
        if rows:
            out.append(t.stack(rows))
        else:
            shape = [0] + [w.shape[k] for k in range(w.ndim)]
            from symcore.gradient._tensor import float_dtype_for

            out.append(t.zeros(shape, dtype=float_dtype_for(w)))
    return out


def static_length(v: Variable) -> int | None:
    """The length of ``v``'s first dimension when it is known before running the graph,
    else None (``jacobian_rows`` then loops with scan)."""
    return _try_static_length(v)


def _try_static_length(v: Variable) -> int | None:
    shape = getattr(v.type, "shape", None)
    if shape and shape[0] is not None:
        return int(shape[0])
    try:
        from symcore.tensor.basic import NotScalarConstantError, get_scalar_constant_value

        try:
            return int(get_scalar_constant_value(v.shape[0]))
        except NotScalarConstantError:
            return None
    except Exception:  # the shape Ops may not fold (or exist) yet
        return None


def _check_connected(
    expression: Variable, wrt: list[Variable], consider_constant, how: str
) -> None:
    if how == "ignore":
        return
    from symcore.gradient.reverse import _handle_disconnected

    for i, (w, ok) in enumerate(
        zip(wrt, connected_to([expression], wrt, consider_constant), strict=True)
    ):
        if not ok:
            _handle_disconnected(w, i, how)
