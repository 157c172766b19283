"""BLAS Ops (Theano's names): ``Dot22``, ``Dot22Scalar``, ``Gemm``, ``Gemv``, ``Ger``.

They are produced by the rewrites of ``symcore.tensor.rewriting.blas`` from ``dot`` and
the elementwise updates around it; users rarely build them directly. All operands share
one dtype among float32, float64, complex64, complex128; scalars (``a``, ``b``, ``alpha``,
``beta``) are 0-d tensors of that dtype.

Semantics (``@`` is the matrix product, ``outer(x, y) = x yᵀ`` without conjugation):

* ``Dot22()(x, y)`` = ``x @ y`` for two matrices.
* ``Dot22Scalar()(x, y, a)`` = ``a * (x @ y)``.
* ``Gemm(inplace)(z, a, x, y, b)`` = ``b*z + a*(x @ y)``; ``z`` is (m, n), ``x`` (m, k),
  ``y`` (k, n).
* ``Gemv(inplace)(y, alpha, A, x, beta)`` = ``beta*y + alpha*(A @ x)``; ``y`` (m,), ``A``
  (m, n), ``x`` (n,).
* ``Ger(inplace)(A, alpha, x, y)`` = ``A + alpha*outer(x, y)``; ``A`` (m, n), ``x`` (m,),
  ``y`` (n,).

As in BLAS, when ``b`` (``beta``) is 0 the accumulator's values are never read: NaN or
garbage there (an ``AllocEmpty`` buffer) does not reach the result; its shape is still
checked. With ``inplace=True`` the accumulator (input 0) is overwritten and returned
(``destroy_map = {0: [0]}``); otherwise the result is a new C-contiguous array. Shapes that
do not match raise ``ValueError`` naming the Op, the shapes and the dtype.

``perform`` calls SciPy's BLAS (``scipy.linalg.blas``: ``?gemm``, ``?gemv``, ``?ger`` /
``?geru``) when SciPy is importable, NumPy otherwise. Row-major arrays are handed to the
column-major routines transposed, so C-contiguous operands are not copied.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from symcore.graph.basic import Apply, Variable
from symcore.graph.op import Op
from symcore.tensor.basic import as_tensor_variable, constant
from symcore.tensor.type import TensorType

__all__ = [
    "BLAS_DTYPES",
    "Dot22",
    "Dot22Scalar",
    "Gemm",
    "Gemv",
    "Ger",
    "blas_function",
    "dot22",
    "dot22scalar",
    "gemm_inplace",
    "gemm_no_inplace",
    "gemv_inplace",
    "gemv_no_inplace",
    "ger",
    "ger_destructive",
]

_PREFIX = {"float32": "s", "float64": "d", "complex64": "c", "complex128": "z"}
#: dtypes the BLAS Ops accept.
BLAS_DTYPES = tuple(_PREFIX)


def blas_function(name: str, dtype: str):
    """SciPy's BLAS routine ``name`` (``"gemm"``...) for ``dtype``, or None without SciPy."""
    try:
        from scipy.linalg import blas as sblas
    except ImportError:  # pragma: no cover - SciPy is a dependency where it can be
        return None
    if name == "ger" and dtype.startswith("complex"):
        name = "geru"
    return getattr(sblas, _PREFIX[dtype] + name, None)


def _sig(v: np.ndarray) -> str:
    return f"{tuple(v.shape)}"


def _check_operands(
    op: Op, names: tuple[str, ...], inputs: list[Variable], ndims: tuple[int, ...]
) -> str:
    dtype = inputs[0].type.dtype
    for name, v, nd in zip(names, inputs, ndims, strict=True):
        if v.type.ndim != nd:
            raise TypeError(f"{op}: {name} must be {nd}-d, got {v} of type {v.type}")
        if v.type.dtype != dtype:
            types = ", ".join(f"{n}: {i.type}" for n, i in zip(names, inputs, strict=True))
            raise TypeError(
                f"{op}: all operands must have one dtype; {names[0]} is {dtype} but {name} is "
                f"{v.type.dtype} ({types})"
            )
    if dtype not in BLAS_DTYPES:
        raise TypeError(
            f"{op}: dtype {dtype} is not supported (use one of {', '.join(BLAS_DTYPES)})"
        )
    return dtype


def _as_operand(v: Any, dtype: str | None) -> Variable:
    if isinstance(v, Variable):
        return as_tensor_variable(v)
    if dtype is None:
        return as_tensor_variable(v)
    return constant(np.asarray(v, dtype=dtype))


def _first_dtype(*vs: Any) -> str | None:
    for v in vs:
        if isinstance(v, Variable):
            return v.type.dtype
    return None


def _scalar(v: np.ndarray) -> Any:
    return np.asarray(v).item()


def _writeable(a: np.ndarray) -> bool:
    return bool(a.flags.writeable)


def _same_view(a: np.ndarray, b: np.ndarray) -> bool:
    return (
        a.shape == b.shape
        and a.strides == b.strides
        and a.__array_interface__["data"][0] == b.__array_interface__["data"][0]
    )


def _finish(
    res: np.ndarray, acc: np.ndarray | None, overwrite: bool, dtype: np.dtype
) -> np.ndarray:
    """The result as a fresh C-contiguous array, or stored into ``acc`` when overwriting."""
    if overwrite and acc is not None:
        if not _same_view(res, acc):
            acc[...] = res
        return acc
    if res.dtype != dtype or not res.flags.c_contiguous:
        res = np.ascontiguousarray(res, dtype=dtype)
    return res


# ---------------------------------------------------------------------------------------
# kernels
# ---------------------------------------------------------------------------------------


def gemm_kernel(
    z: np.ndarray | None,
    a: Any,
    x: np.ndarray,
    y: np.ndarray,
    b: Any,
    overwrite: bool,
    dtype: np.dtype,
) -> np.ndarray:
    """``b*z + a*(x @ y)`` (``z`` unread when ``b == 0`` or None), into ``z`` if ``overwrite``."""
    m, n = x.shape[0], y.shape[1]
    overwrite = overwrite and z is not None and _writeable(z)
    use_z = z is not None and b != 0
    fn = blas_function("gemm", dtype.name)
    if fn is not None and m and n and x.shape[1]:
        # (x @ y)ᵀ = yᵀ @ xᵀ: C-ordered operands are F-ordered once transposed
        if use_z or overwrite:
            r = fn(a, y.T, x.T, beta=b if use_z else 0.0, c=z.T, overwrite_c=overwrite)
        else:
            r = fn(a, y.T, x.T)
        return _finish(r.T, z, overwrite, dtype)
    prod = np.dot(x, y)
    res = a * prod if not use_z else b * z + a * prod
    return _finish(np.asarray(res, dtype=dtype).reshape(m, n), z, overwrite, dtype)


def gemv_kernel(
    y: np.ndarray | None,
    alpha: Any,
    A: np.ndarray,
    x: np.ndarray,
    beta: Any,
    overwrite: bool,
    dtype: np.dtype,
) -> np.ndarray:
    """``beta*y + alpha*(A @ x)`` (``y`` unread when ``beta == 0``), into ``y`` if ``overwrite``."""
    m, n = A.shape
    overwrite = overwrite and y is not None and _writeable(y)
    use_y = y is not None and beta != 0
    fn = blas_function("gemv", dtype.name)
    if fn is not None and m and n:
        if A.flags.f_contiguous and not A.flags.c_contiguous:
            mat, trans = A, 0
        else:
            mat, trans = A.T, 1
        if use_y or overwrite:
            r = fn(
                alpha, mat, x, beta=beta if use_y else 0.0, y=y, trans=trans, overwrite_y=overwrite
            )
        else:
            r = fn(alpha, mat, x, trans=trans)
        return _finish(r, y, overwrite, dtype)
    prod = np.dot(A, x)
    res = alpha * prod if not use_y else beta * y + alpha * prod
    return _finish(np.asarray(res, dtype=dtype).reshape(m), y, overwrite, dtype)


def ger_kernel(
    A: np.ndarray, alpha: Any, x: np.ndarray, y: np.ndarray, overwrite: bool, dtype: np.dtype
) -> np.ndarray:
    """``A + alpha*outer(x, y)``, into ``A`` if ``overwrite``."""
    m, n = A.shape
    overwrite = overwrite and _writeable(A)
    fn = blas_function("ger", dtype.name)
    if fn is not None and m and n:
        # Aᵀ + alpha*outer(y, x) on the transposed (F-ordered) view
        r = fn(alpha, y, x, a=A.T, overwrite_a=overwrite)
        return _finish(r.T, A, overwrite, dtype)
    res = A + alpha * np.outer(x, y)
    return _finish(np.asarray(res, dtype=dtype).reshape(m, n), A, overwrite, dtype)


# ---------------------------------------------------------------------------------------
# Ops
# ---------------------------------------------------------------------------------------


class _InplaceOp(Op):
    """An Op whose input 0 may be overwritten (``inplace``)."""

    __props__ = ("inplace",)

    def __init__(self, inplace: bool = False) -> None:
        self.inplace = bool(inplace)
        self.destroy_map = {0: [0]} if self.inplace else {}

    def __str__(self) -> str:
        return f"{type(self).__name__}{{{'inplace' if self.inplace else 'no_inplace'}}}"

    __repr__ = __str__


class Dot22(Op):
    """``x @ y`` for two matrices of one BLAS dtype (a new array)."""

    __props__ = ()

    def make_node(self, x: Any, y: Any) -> Apply:
        x, y = as_tensor_variable(x), as_tensor_variable(y)
        _check_operands(self, ("x", "y"), [x, y], (2, 2))
        out = TensorType(
            x.type.dtype,
            shape=(x.type.shape[0], y.type.shape[1]),
            broadcastable=(x.type.broadcastable[0], y.type.broadcastable[1]),
        )
        return Apply(self, [x, y], [out()])

    def perform(self, node, inputs, output_storage, params=None):
        x, y = inputs
        if x.shape[1] != y.shape[0]:
            raise ValueError(
                f"Dot22: shapes {_sig(x)} and {_sig(y)} are not aligned (dtype {x.dtype})"
            )
        output_storage[0][0] = gemm_kernel(
            None, 1.0, x, y, 0.0, False, node.outputs[0].type.numpy_dtype
        )

    def infer_shape(self, node, input_shapes):
        sx, sy = input_shapes
        return [(sx[0], sy[1])]

    def grad(self, inputs, output_grads):
        from symcore.tensor.dot import dot

        x, y = inputs
        (g,) = output_grads
        return [dot(g, y.T), dot(x.T, g)]


class Dot22Scalar(Op):
    """``a * (x @ y)`` for two matrices and a 0-d ``a`` of one BLAS dtype."""

    __props__ = ()

    def make_node(self, x: Any, y: Any, a: Any) -> Apply:
        dt = _first_dtype(x, y)
        x, y, a = as_tensor_variable(x), as_tensor_variable(y), _as_operand(a, dt)
        _check_operands(self, ("x", "y", "a"), [x, y, a], (2, 2, 0))
        out = TensorType(
            x.type.dtype,
            shape=(x.type.shape[0], y.type.shape[1]),
            broadcastable=(x.type.broadcastable[0], y.type.broadcastable[1]),
        )
        return Apply(self, [x, y, a], [out()])

    def perform(self, node, inputs, output_storage, params=None):
        x, y, a = inputs
        if x.shape[1] != y.shape[0]:
            raise ValueError(
                f"Dot22Scalar: shapes {_sig(x)} and {_sig(y)} are not aligned (dtype {x.dtype})"
            )
        output_storage[0][0] = gemm_kernel(
            None, _scalar(a), x, y, 0.0, False, node.outputs[0].type.numpy_dtype
        )

    def infer_shape(self, node, input_shapes):
        sx, sy, _ = input_shapes
        return [(sx[0], sy[1])]

    def grad(self, inputs, output_grads):
        from symcore.tensor.dot import dot

        x, y, a = inputs
        (g,) = output_grads
        return [a * dot(g, y.T), a * dot(x.T, g), (g * dot(x, y)).sum()]


class Gemm(_InplaceOp):
    """``Gemm(inplace)(z, a, x, y, b)`` = ``b*z + a*(x @ y)`` (see the module docstring)."""

    def make_node(self, z: Any, a: Any, x: Any, y: Any, b: Any) -> Apply:
        dt = _first_dtype(z, x, y)
        z, x, y = as_tensor_variable(z), as_tensor_variable(x), as_tensor_variable(y)
        a, b = _as_operand(a, dt), _as_operand(b, dt)
        _check_operands(self, ("z", "a", "x", "y", "b"), [z, a, x, y, b], (2, 0, 2, 2, 0))
        return Apply(self, [z, a, x, y, b], [z.type()])

    def perform(self, node, inputs, output_storage, params=None):
        z, a, x, y, b = inputs
        if x.shape[1] != y.shape[0] or z.shape != (x.shape[0], y.shape[1]):
            raise ValueError(
                f"{self}: shapes z {_sig(z)}, x {_sig(x)}, y {_sig(y)} do not fit "
                f"z = b*z + a*(x @ y) (dtype {z.dtype})"
            )
        output_storage[0][0] = gemm_kernel(
            z, _scalar(a), x, y, _scalar(b), self.inplace, node.outputs[0].type.numpy_dtype
        )

    def infer_shape(self, node, input_shapes):
        return [input_shapes[0]]

    def grad(self, inputs, output_grads):
        from symcore.tensor.dot import dot

        z, a, x, y, b = inputs
        (g,) = output_grads
        return [b * g, (g * dot(x, y)).sum(), a * dot(g, y.T), a * dot(x.T, g), (g * z).sum()]


class Gemv(_InplaceOp):
    """``Gemv(inplace)(y, alpha, A, x, beta)`` = ``beta*y + alpha*(A @ x)``."""

    def make_node(self, y: Any, alpha: Any, A: Any, x: Any, beta: Any) -> Apply:
        dt = _first_dtype(y, A, x)
        y, A, x = as_tensor_variable(y), as_tensor_variable(A), as_tensor_variable(x)
        alpha, beta = _as_operand(alpha, dt), _as_operand(beta, dt)
        _check_operands(
            self, ("y", "alpha", "A", "x", "beta"), [y, alpha, A, x, beta], (1, 0, 2, 1, 0)
        )
        return Apply(self, [y, alpha, A, x, beta], [y.type()])

    def perform(self, node, inputs, output_storage, params=None):
        y, alpha, A, x, beta = inputs
        if A.shape[1] != x.shape[0] or y.shape != (A.shape[0],):
            raise ValueError(
                f"{self}: shapes y {_sig(y)}, A {_sig(A)}, x {_sig(x)} do not fit "
                f"y = beta*y + alpha*(A @ x) (dtype {y.dtype})"
            )
        output_storage[0][0] = gemv_kernel(
            y, _scalar(alpha), A, x, _scalar(beta), self.inplace, node.outputs[0].type.numpy_dtype
        )

    def infer_shape(self, node, input_shapes):
        return [input_shapes[0]]

    def grad(self, inputs, output_grads):
        from symcore.tensor.dot import dot, outer

        y, alpha, A, x, beta = inputs
        (g,) = output_grads
        return [
            beta * g,
            (g * dot(A, x)).sum(),
            alpha * outer(g, x),
            alpha * dot(g, A),
            (g * y).sum(),
        ]


class Ger(_InplaceOp):
    """``Ger(inplace)(A, alpha, x, y)`` = ``A + alpha*outer(x, y)`` (Theano calls the flag
    ``destructive``)."""

    def make_node(self, A: Any, alpha: Any, x: Any, y: Any) -> Apply:
        dt = _first_dtype(A, x, y)
        A, x, y = as_tensor_variable(A), as_tensor_variable(x), as_tensor_variable(y)
        alpha = _as_operand(alpha, dt)
        _check_operands(self, ("A", "alpha", "x", "y"), [A, alpha, x, y], (2, 0, 1, 1))
        return Apply(self, [A, alpha, x, y], [A.type()])

    def perform(self, node, inputs, output_storage, params=None):
        A, alpha, x, y = inputs
        if A.shape != (x.shape[0], y.shape[0]):
            raise ValueError(
                f"{self}: shapes A {_sig(A)}, x {_sig(x)}, y {_sig(y)} do not fit "
                f"A = A + alpha*outer(x, y) (dtype {A.dtype})"
            )
        output_storage[0][0] = ger_kernel(
            A, _scalar(alpha), x, y, self.inplace, node.outputs[0].type.numpy_dtype
        )

    def infer_shape(self, node, input_shapes):
        return [input_shapes[0]]

    def grad(self, inputs, output_grads):
        from symcore.tensor.dot import dot

        A, alpha, x, y = inputs
        (g,) = output_grads
        return [g, dot(x, dot(g, y)), alpha * dot(g, y), alpha * dot(x, g)]


dot22 = Dot22()
dot22scalar = Dot22Scalar()
gemm_no_inplace = Gemm(False)
gemm_inplace = Gemm(True)
gemv_no_inplace = Gemv(False)
gemv_inplace = Gemv(True)
ger = Ger(False)
ger_destructive = Ger(True)
