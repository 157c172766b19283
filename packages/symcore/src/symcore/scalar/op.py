"""``ScalarOp``: the base of scalar operations, and the output-dtype rules they pick from.

A scalar op describes one elementwise operation. It is used in two ways:
- on ``ScalarType`` variables (``op.make_node(x, y)``), inside ``Composite`` graphs;
- wrapped by ``symcore.tensor.elemwise.Elemwise``, which calls ``op.compute`` on whole
  arrays (a NumPy ufunc: ``nfunc``).
Its ``grad``/``L_op`` is written with operators and ``_dispatch.ns``, so the same code gives
a tensor graph when an ``Elemwise`` is differentiated.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from symcore.graph.basic import Apply, Variable
from symcore.graph.op import Op
from symcore.scalar.type import (
    ScalarType,
    as_scalar,
    complex_dtypes,
    constant,
    continuous_dtypes,
    discrete_dtypes,
    get_scalar_type,
    is_weak_scalar,
    promote_dtypes,
    weak_result_dtype,
)

__all__ = [
    "ScalarOp", "UnaryScalarOp", "BinaryScalarOp", "as_scalar_inputs",
    "upcast_out", "upcast_out_nobool", "same_out", "bool_out", "float_out", "float_out_nocomplex",
    "real_out", "complex_out", "transfer_type", "ufunc_out", "true_div_out",
]


# ---------------------------------------------------------------------------------------
# Output dtype rules: callables (op, *input_dtypes) -> list of output dtype names
# ---------------------------------------------------------------------------------------

def upcast_out(op, *dts: str) -> list[str]:
    """NumPy promotion of all inputs."""
    return [promote_dtypes(*dts)]


def upcast_out_nobool(op, *dts: str) -> list[str]:
    """Promotion of all inputs; a bool result becomes int8 (as NumPy's ``-`` refuses bool)."""
    d = promote_dtypes(*dts)
    return ["int8" if d == "bool" else d]


def same_out(op, *dts: str) -> list[str]:
    """The dtype of the first input."""
    return [dts[0]]


def bool_out(op, *dts: str) -> list[str]:
    return ["bool"]


def _float_of(d: str) -> str:
    """The float dtype NumPy's ``exp`` gives for an input of dtype ``d``."""
    if d in continuous_dtypes:
        return d
    if d in ("bool", "int8", "uint8"):
        return "float16"
    if d in ("int16", "uint16"):
        return "float32"
    return "float64"


def float_out(op, *dts: str) -> list[str]:
    """Promotion, then float like NumPy's ``exp`` (int8 -> float16, int32 -> float64)."""
    return [_float_of(promote_dtypes(*dts))]


def float_out_nocomplex(op, *dts: str) -> list[str]:
    d = float_out(op, *dts)[0]
    if d in complex_dtypes:
        raise TypeError(f"{op} is not defined for complex inputs (got dtypes {', '.join(dts)})")
    return [d]


def true_div_out(op, *dts: str) -> list[str]:
    """True division: floats keep their dtype, integers and bool give float64 (NumPy)."""
    d = promote_dtypes(*dts)
    return [d if d in continuous_dtypes else "float64"]


_REAL_OF = {"complex64": "float32", "complex128": "float64"}


def real_out(op, *dts: str) -> list[str]:
    """Complex inputs give their real counterpart; real inputs keep their dtype."""
    d = promote_dtypes(*dts)
    return [_REAL_OF.get(d, d)]


def complex_out(op, *dts: str) -> list[str]:
    """The complex dtype holding the promoted inputs (float32 -> complex64)."""
    d = promote_dtypes(*dts)
    if d in complex_dtypes:
        return [d]
    return ["complex64" if d in ("float16", "float32") else "complex128"]


def transfer_type(*indices: int) -> Callable:
    """Rule giving output ``k`` the dtype of input ``indices[k]``."""

    def rule(op, *dts: str) -> list[str]:
        return [dts[i] for i in indices]

    rule.__name__ = f"transfer_type{indices}"
    return rule


@functools.lru_cache(maxsize=4096)
def _resolve(ufunc: np.ufunc, dts: tuple[str, ...]) -> tuple[str, ...]:
    res = ufunc.resolve_dtypes(tuple(np.dtype(d) for d in dts) + (None,) * ufunc.nout)
    return tuple(r.name for r in res[ufunc.nin:])


def ufunc_out(op, *dts: str) -> list[str]:
    """The dtypes NumPy's ufunc ``op.nfunc`` produces for these input dtypes."""
    ufunc = op.nfunc
    try:
        if ufunc.nin == 2 and len(dts) > 2:  # n-ary add/mul: fold pairwise
            acc = dts[0]
            for d in dts[1:]:
                acc = _resolve(ufunc, (acc, d))[0]
            return [acc]
        return list(_resolve(ufunc, tuple(dts)))
    except (TypeError, np.exceptions.DTypePromotionError) as exc:
        raise TypeError(f"{op} is not defined for input dtypes ({', '.join(dts)}): {exc}") from None


# ---------------------------------------------------------------------------------------
# Operand conversion with NEP 50 weak Python scalars
# ---------------------------------------------------------------------------------------

def as_scalar_inputs(*args: Any) -> list[Variable]:
    """Scalar variables for ``args``; Python numbers take the dtype NumPy 2 would give them
    next to the other operands (weak scalars)."""
    strong = [a.type.dtype if isinstance(a, Variable) else np.asarray(a).dtype.name
              for a in args if not is_weak_scalar(a)]
    weak = [a for a in args if is_weak_scalar(a)]
    if not weak:
        return [as_scalar(a) for a in args]
    dtype = weak_result_dtype(strong, weak)
    return [constant(a, dtype=dtype) if is_weak_scalar(a) else as_scalar(a) for a in args]


# ---------------------------------------------------------------------------------------
# ScalarOp
# ---------------------------------------------------------------------------------------

class ScalarOp(Op):
    """Base of scalar operations.

    Class attributes: ``nin``/``nout`` (``nin=-1``: any number of inputs), ``nfunc`` (the
    NumPy function computing it on whole arrays), ``output_types_preference`` (a dtype rule
    from this module; ``None`` asks the ufunc ``nfunc``), ``symbol`` (infix symbol for
    printing, e.g. ``'+'``), ``commutative``/``associative``, ``identity`` (neutral value).
    """

    nin: int = -1
    nout: int = 1
    nfunc: Callable | None = None
    #: True when ``nfunc`` (a ufunc) computes the op exactly; lets Elemwise use ``out=``.
    nfunc_is_impl = False
    output_types_preference: Callable | None = None
    symbol: str | None = None
    commutative = False
    associative = False
    identity: Any = None
    __props__: tuple[str, ...] = ()

    def __init__(self, output_types_preference: Callable | None = None,
                 name: str | None = None) -> None:
        if output_types_preference is not None:
            self.output_types_preference = output_types_preference
        if name is not None:
            self.name = name

    @property
    def name(self) -> str:  # type: ignore[override]
        return self.__dict__.get("_name") or type(self).__name__.lower()

    @name.setter
    def name(self, value: str) -> None:
        self.__dict__["_name"] = value

    def __str__(self) -> str:
        return self.name

    __repr__ = __str__

    # -- types -------------------------------------------------------------------------
    def output_dtypes(self, *dtypes: str) -> list[str]:
        """Output dtype names for input dtype names."""
        # Read the rule unbound: rules are plain functions ``(op, *dtypes)``.
        rule = self.__dict__.get("output_types_preference") or type(self).output_types_preference
        if rule is None:
            if isinstance(self.nfunc, np.ufunc):
                return ufunc_out(self, *dtypes)
            raise NotImplementedError(f"{self} has no output_types_preference")
        return rule(self, *dtypes)

    def output_types(self, types: Sequence[ScalarType]) -> list[ScalarType]:
        return [get_scalar_type(d) for d in self.output_dtypes(*[t.dtype for t in types])]

    def make_node(self, *inputs: Any) -> Apply:
        if self.nin >= 0 and len(inputs) != self.nin:
            raise TypeError(f"{self} takes {self.nin} inputs, got {len(inputs)}")
        ins = as_scalar_inputs(*inputs)
        outs = [t() for t in self.output_types([i.type for i in ins])]
        return Apply(self, ins, outs)

    # -- computing ---------------------------------------------------------------------
    def compute(self, *arrays: np.ndarray):
        """The result(s) on NumPy arrays (broadcasting); one array or a tuple of ``nout``."""
        if self.nfunc is None:
            raise NotImplementedError(f"{self} has no NumPy implementation")
        return self.nfunc(*arrays)

    def impl(self, *values: Any):
        """The result(s) on Python/NumPy scalar values."""
        return self.compute(*[np.asarray(v) for v in values])

    def perform(self, node: Apply, inputs: Sequence[Any], output_storage, params=None) -> None:
        res = self.compute(*[np.asarray(v) for v in inputs])
        if self.nout == 1:
            res = (res,)
        for st, r, out in zip(output_storage, res, node.outputs, strict=True):
            dt = out.type.numpy_dtype
            st[0] = dt.type(np.asarray(r).astype(dt, copy=False))

    def infer_shape(self, node: Apply, input_shapes):
        return [() for _ in node.outputs]

    def c_code_name(self) -> str:
        return self.name

    #: True when ``grad``/``L_op`` already treat complex inputs (non-holomorphic ops such
    #: as ``abs``, ``real``, ``conj``); otherwise ``complex_L_op`` conjugates around it.
    complex_grad_is_explicit = False

    # -- gradients: default, from ``grad`` ---------------------------------------------
    def L_op(self, inputs, outputs, output_grads):
        return self.grad(inputs, output_grads)

    def complex_L_op(self, inputs, outputs, output_grads):
        """``L_op`` with the complex convention: the gradient of a real cost w.r.t. ``z`` is
        ``dC/dRe(z) + 1j * dC/dIm(z)``. For a holomorphic op that is ``conj(f'(z)) * g``,
        i.e. ``conj(L_op(conj(g)))``; real inputs and outputs need nothing."""
        dts = [v.type.dtype for v in list(inputs) + list(outputs)]
        if self.complex_grad_is_explicit or not any(d.startswith("complex") for d in dts):
            return self.L_op(inputs, outputs, output_grads)
        from symcore.scalar import _dispatch as D

        gz = [D.ns(g).conj(g) if _is_complex(g) else g for g in output_grads]
        return [D.ns(g).conj(g) if _is_complex(g) else g for g in self.L_op(inputs, outputs, gz)]


class UnaryScalarOp(ScalarOp):
    nin = 1


class BinaryScalarOp(ScalarOp):
    nin = 2


def _is_complex(v: Any) -> bool:
    return str(getattr(getattr(v, "type", None), "dtype", "")).startswith("complex")


def is_discrete(v: Variable) -> bool:
    return v.type.dtype in discrete_dtypes
