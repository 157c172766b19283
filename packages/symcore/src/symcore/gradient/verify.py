"""Checking gradients against finite differences: ``numeric_grad`` and ``verify_grad``.

``verify_grad`` follows Theano: the (possibly non-scalar) output ``o`` of ``fun`` is
projected on a random array ``r`` with entries in [0.5, 1.5) to make the scalar
``cost = sum(r * o)``; the symbolic gradient of ``cost`` is compared with central
differences, with a step and tolerances chosen by the least precise dtype involved.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from symcore.gradient.errors import GradientError
from symcore.graph.basic import Variable

__all__ = ["numeric_grad", "verify_grad"]

#: finite-difference step by dtype
TYPE_EPS = {"float64": 1e-7, "float32": 3e-4, "float16": 1e-1}
#: default absolute and relative tolerances by dtype
TYPE_TOL = {"float64": 1e-4, "float32": 1e-2, "float16": 5e-2}


class numeric_grad:
    """Central-difference gradient of ``f(*pt)`` (a scalar function) at the point ``pt``.

    ``gf`` holds one array per input (same shapes). ``eps`` defaults to the step of the
    least precise input dtype (``TYPE_EPS``).
    """

    type_eps = TYPE_EPS

    def __init__(
        self,
        f: Callable[..., Any],
        pt: Sequence[np.ndarray] | np.ndarray,
        eps: float | None = None,
        out_type: str | None = None,
    ) -> None:
        single = not isinstance(pt, (list, tuple))
        points = [np.array(p, copy=True) for p in ([pt] if single else pt)]
        for i, p in enumerate(points):
            if p.dtype.name not in TYPE_EPS:
                raise TypeError(
                    f"numeric_grad: input {i} has dtype {p.dtype}; "
                    "only float inputs can be perturbed"
                )
        if eps is None:
            eps = max(TYPE_EPS[p.dtype.name] for p in points)
        self.eps = eps
        gf = []
        for p in points:
            g = np.zeros(p.shape, dtype="float64")
            flat = p.reshape(-1)  # a view: perturbing it perturbs p
            gflat = g.reshape(-1)
            for j in range(flat.size):
                orig = flat[j]
                flat[j] = orig + eps
                plus_x = flat[j]
                f_plus = _as_float(f(*points))
                flat[j] = orig - eps
                minus_x = flat[j]
                f_minus = _as_float(f(*points))
                flat[j] = orig
                # the step actually taken, after rounding to the input's dtype
                h = float(plus_x) - float(minus_x)
                gflat[j] = (f_plus - f_minus) / h
            gf.append(g)
        self.gf = gf[0] if single else gf
        self._list = gf

    @staticmethod
    def abs_rel_err(a: Any, b: Any) -> tuple[np.ndarray, np.ndarray]:
        """Elementwise ``|a - b|`` and ``|a - b| / max(|a| + |b|, 1e-8)``.

        Non-finite values count as equal when identical and as infinitely far otherwise.
        """
        a = np.asarray(a, dtype="float64")
        b = np.asarray(b, dtype="float64")
        with np.errstate(invalid="ignore", over="ignore"):
            abs_err = np.abs(a - b)
            rel_err = abs_err / np.maximum(np.abs(a) + np.abs(b), 1e-8)
        same = (a == b) | (np.isnan(a) & np.isnan(b))
        bad = ~np.isfinite(abs_err) & ~same
        abs_err = np.where(same, 0.0, np.where(bad, np.inf, abs_err))
        rel_err = np.where(same, 0.0, np.where(bad, np.inf, rel_err))
        return abs_err, rel_err

    def abs_rel_errors(self, g_pt: Sequence[Any]) -> list[tuple[np.ndarray, np.ndarray]]:
        if len(g_pt) != len(self._list):
            raise ValueError(f"expected {len(self._list)} gradients, got {len(g_pt)}")
        out = []
        for i, (a, b) in enumerate(zip(g_pt, self._list, strict=True)):
            if np.shape(a) != b.shape:
                raise ValueError(
                    f"gradient {i} has shape {np.shape(a)} but the input has shape {b.shape}"
                )
            out.append(self.abs_rel_err(a, b))
        return out

    def max_err(self, g_pt: Sequence[Any], abs_tol: float, rel_tol: float):
        """``(arg, pos, abs_err, rel_err)`` of the worst element, errors being scaled by
        their tolerances: an element fails only when BOTH errors exceed their tolerances."""
        best = (-1.0, 0, (), 0.0, 0.0)
        for i, (abs_err, rel_err) in enumerate(self.abs_rel_errors(g_pt)):
            if abs_err.size == 0:
                continue
            scaled = np.minimum(abs_err / abs_tol, rel_err / rel_tol)
            pos = int(np.argmax(scaled))
            if scaled.flat[pos] > best[0]:
                idx = np.unravel_index(pos, abs_err.shape)
                best = (
                    float(scaled.flat[pos]),
                    i,
                    tuple(int(k) for k in idx),
                    float(abs_err.flat[pos]),
                    float(rel_err.flat[pos]),
                )
        _, arg, pos, a_err, r_err = best
        return arg, pos, a_err, r_err


def _as_float(v: Any) -> float:
    arr = np.asarray(v)
    if arr.size != 1:
        raise ValueError(
            f"numeric_grad needs a scalar function, got an output of shape {arr.shape}"
        )
    return float(arr.reshape(()).real)


def verify_grad(
    fun: Callable[..., Any],
    pt: Sequence[Any],
    n_tests: int = 2,
    rng: Any = None,
    eps: float | None = None,
    out_type: str | None = None,
    abs_tol: float | None = None,
    rel_tol: float | None = None,
    mode: Any = None,
    cast_to_output_type: bool = False,
    no_debug_ref: bool = True,
) -> None:
    """Raise ``GradientError`` unless the symbolic gradient of ``fun`` matches finite
    differences at the point ``pt`` (a list of float arrays, one per input of ``fun``).

    ``fun`` builds the output(s) from symbolic inputs (an Op instance works too); with
    several outputs the float ones are all projected. ``rng`` is a NumPy ``Generator`` or
    ``RandomState`` (default: a fixed seed). ``eps``, ``abs_tol``, ``rel_tol`` default by
    the least precise dtype among inputs and outputs (``TYPE_EPS``, ``TYPE_TOL``); ``mode``
    is the compile mode. The projection always has the output's dtype; ``out_type``,
    ``cast_to_output_type`` and ``no_debug_ref`` are accepted for Theano compatibility.
    """
    from symcore.compile.function import function
    from symcore.gradient._tensor import T
    from symcore.gradient.reverse import grad
    from symcore.tensor.type import TensorType

    if not isinstance(pt, (list, tuple)):
        raise TypeError("verify_grad: pt must be a list of arrays, one per input of fun")
    pt = [np.array(p) for p in pt]
    for i, p in enumerate(pt):
        if p.dtype.name not in TYPE_TOL:
            raise TypeError(
                f"verify_grad works only with floating point inputs, but input {i} has dtype "
                f"{p.dtype}; build integer inputs inside fun as constants instead"
            )
    if rng is None:
        rng = np.random.default_rng(23098)

    inputs = [
        TensorType(p.dtype, tuple(s == 1 for s in p.shape))(f"input {i}") for i, p in enumerate(pt)
    ]
    outs = fun(*inputs)
    outs_list = list(outs) if isinstance(outs, (list, tuple)) else [outs]
    outs_list = [o if isinstance(o, Variable) else T().as_tensor_variable(o) for o in outs_list]
    float_outs = [o for o in outs_list if getattr(o.type, "dtype", "").startswith("float")]
    if not float_outs:
        raise TypeError(f"verify_grad: fun has no float output (outputs: {outs_list})")
    dtypes = [p.dtype.name for p in pt] + [o.type.dtype for o in float_outs]
    if abs_tol is None:
        abs_tol = max(TYPE_TOL[d] for d in dtypes)
    if rel_tol is None:
        rel_tol = max(TYPE_TOL[d] for d in dtypes)
    if eps is None:
        eps = max(TYPE_EPS[d] for d in dtypes)

    fwd = function(
        inputs, float_outs, mode=mode, on_unused_input="ignore", allow_input_downcast=True
    )
    out_vals = fwd(*[p.copy() for p in pt])
    shapes = [np.shape(v) for v in out_vals]

    projections = [
        o.type.clone(broadcastable=o.type.broadcastable)(f"random projection {k}")
        for k, o in enumerate(float_outs)
    ]
    cost = None
    for r, o in zip(projections, float_outs, strict=True):
        term = T().sum(r * o)
        cost = term if cost is None else cost + term
    cost_fn = function(
        inputs + projections, cost, mode=mode, on_unused_input="ignore", allow_input_downcast=True
    )
    sym_grads = grad(cost, inputs, disconnected_inputs="ignore")
    grad_fn = function(
        inputs + projections,
        sym_grads,
        mode=mode,
        on_unused_input="ignore",
        allow_input_downcast=True,
    )

    for _ in range(n_tests):
        rs = [
            _random_projection(rng, shp, o.type.dtype)
            for shp, o in zip(shapes, float_outs, strict=True)
        ]
        num = numeric_grad(
            lambda *xs, rs=rs: cost_fn(*xs, *rs), [p.copy() for p in pt], eps, out_type
        )
        analytic = list(grad_fn(*[p.copy() for p in pt], *rs))
        arg, pos, a_err, r_err = num.max_err(analytic, abs_tol, rel_tol)
        if a_err > abs_tol and r_err > rel_tol:
            ana = np.asarray(analytic[arg])
            numv = num._list[arg]
            raise GradientError(
                arg,
                pos,
                ana.shape,
                float(ana[pos]) if ana.ndim else float(ana),
                float(numv[pos]) if numv.ndim else float(numv),
                a_err,
                r_err,
                abs_tol,
                rel_tol,
                analytic=ana,
                numeric=numv,
                pt=pt,
                op_name=getattr(fun, "__name__", str(fun)),
            )


def _random_projection(rng: Any, shape: tuple, dtype: str) -> np.ndarray:
    """Entries in [0.5, 1.5): never tiny, so no precision is lost in the difference."""
    if hasattr(rng, "random"):
        plain = rng.random(shape) + 0.5
    else:
        plain = rng.rand(*shape) + 0.5
    return np.asarray(plain, dtype=dtype)
