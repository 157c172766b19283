"""``Elemwise`` (a scalar op applied to every element, with broadcasting) and ``DimShuffle``
(transpose / drop / insert broadcastable dimensions, as a view).

Broadcasting follows Theano's static rule: a dimension broadcasts only when its type says
so (``broadcastable=True``, i.e. its length is known to be 1). A length-1 dimension that is
not declared broadcastable never stretches at run time; that is a ``ValueError`` naming
the Op and the shapes, so that gradients (which sum over broadcast dimensions) are right.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from symcore.graph.basic import Apply, Variable
from symcore.graph.op import Op
from symcore.graph.type import DisconnectedType, NullType
from symcore.scalar import _dispatch as D
from symcore.scalar.op import ScalarOp
from symcore.scalar.type import discrete_dtypes, is_weak_scalar, weak_result_dtype
from symcore.tensor.basic import as_tensor_variable, constant, get_scalar_constant_value
from symcore.tensor.type import TensorType

__all__ = ["Elemwise", "DimShuffle", "as_elemwise_inputs", "dimshuffle", "transpose"]


class FrozenDict(dict):
    """A hashable, read-only dict (``Elemwise.inplace_pattern``)."""

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(tuple(sorted(self.items())))

    def __reduce__(self):
        return (FrozenDict, (dict(self),))

    def _ro(self, *a, **k):
        raise TypeError("FrozenDict is read-only")

    __setitem__ = __delitem__ = update = pop = popitem = setdefault = clear = _ro  # type: ignore[assignment]


def _sum(x: Variable, axis: list[int]) -> Variable:
    """``sum(x, axis)`` (dropping the axes), for gradients over broadcast dimensions."""
    # Function-level import: reductions are built on elementwise ops (keepdims, grads), so
    # this module is imported first; importing reduction here at load time would be a cycle.
    from symcore.tensor.reduction import sum as reduce_sum

    return reduce_sum(x, axis=axis)


def _int64(v: int):
    return constant(v, dtype="int64")


# ---------------------------------------------------------------------------------------
# Operand conversion (NEP 50)
# ---------------------------------------------------------------------------------------

def as_elemwise_inputs(*args: Any, overflow: str = "raise") -> list[Variable]:
    """Tensor variables for the operands of one elementwise operation, NumPy 2 style.

    Variables and arrays keep their dtype (strong); Python ``bool/int/float/complex`` are
    *weak*: they take the dtype NumPy 2 would give them next to the strong operands, so
    ``float32_var - 0.1 * g`` stays float32 and ``int8_var + 1`` stays int8, while
    ``int32_var * 0.5`` is float64. A Python int that does not fit (``int8_var + 1000``) is
    an error, as in NumPy. With only Python scalars, each gets its default dtype.
    ``overflow='strong'`` instead gives such an int its own dtype (int64), as NumPy does for
    comparisons (``int8_var < 1000`` is valid).
    """
    weak = [a for a in args if is_weak_scalar(a)]
    if not weak:
        return [as_tensor_variable(a) for a in args]
    strong_vars = {i: as_tensor_variable(a) for i, a in enumerate(args) if not is_weak_scalar(a)}
    if not strong_vars:
        return [as_tensor_variable(a) for a in args]
    dtype = weak_result_dtype([v.type.dtype for v in strong_vars.values()], weak)
    out = []
    for i, a in enumerate(args):
        if i in strong_vars:
            out.append(strong_vars[i])
            continue
        try:
            out.append(constant(a, dtype=dtype))
        except (OverflowError, TypeError, ValueError) as exc:
            if overflow == "strong":
                out.append(constant(a))
                continue
            raise OverflowError(
                f"Python scalar {a!r} does not fit in dtype {dtype} (the dtype of the other "
                f"operands, NumPy 2 / NEP 50 rules): {exc}"
            ) from None
    return out


# ---------------------------------------------------------------------------------------
# DimShuffle
# ---------------------------------------------------------------------------------------

class DimShuffle(Op):
    """Reorder dimensions (``new_order`` lists input dimensions), insert broadcastable
    dimensions (``'x'``) and drop broadcastable ones (those not listed). A view.

    ``DimShuffle((False, False), (1, 0))`` transposes a matrix;
    ``DimShuffle((False,), ('x', 0))`` makes a row of a vector.
    """

    __props__ = ("input_broadcastable", "new_order")
    view_map = {0: [0]}

    def __init__(self, input_broadcastable: Sequence[bool], new_order: Sequence[int | str]) -> None:
        self.input_broadcastable = tuple(bool(b) for b in input_broadcastable)
        new_order = tuple("x" if o == "x" else int(o) for o in new_order)
        self.new_order = new_order
        n = len(self.input_broadcastable)
        seen = set()
        for o in new_order:
            if o == "x":
                continue
            if not 0 <= o < n:
                raise ValueError(
                    f"DimShuffle: new_order {new_order} refers to dimension {o} of an input "
                    f"with {n} dimensions"
                )
            if o in seen:
                raise ValueError(
                    f"DimShuffle: dimension {o} appears twice in new_order {new_order}"
                )
            seen.add(o)
        self.drop = tuple(i for i in range(n) if i not in seen)
        for i in self.drop:
            if not self.input_broadcastable[i]:
                raise ValueError(
                    f"DimShuffle: cannot drop dimension {i} of an input with broadcastable "
                    f"pattern {self.input_broadcastable} (new_order={new_order}): only "
                    "broadcastable (length-1) dimensions may be dropped"
                )
        self.shuffle = tuple(o for o in new_order if o != "x")
        self.augment = tuple(k for k, o in enumerate(new_order) if o == "x")
        kept = [i for i in range(n) if i in seen]
        self._perm = tuple(kept.index(o) for o in self.shuffle)
        self._transpose = self._perm != tuple(range(len(self._perm)))
        self.is_transpose = not self.drop and not self.augment and self._transpose

    def __str__(self) -> str:
        return "InplaceDimShuffle{" + ",".join(str(o) for o in self.new_order) + "}"

    def make_node(self, x: Any) -> Apply:
        x = as_tensor_variable(x)
        ib = x.type.broadcastable
        if len(ib) != len(self.input_broadcastable):
            raise TypeError(
                f"{self}: expected an input with {len(self.input_broadcastable)} dimensions "
                f"(broadcastable={self.input_broadcastable}), got {x.type} with {len(ib)}"
            )
        for i, (want, have) in enumerate(zip(self.input_broadcastable, ib, strict=True)):
            if want and not have:
                raise TypeError(
                    f"{self}: dimension {i} of the input must be broadcastable: the op expects "
                    f"{self.input_broadcastable}, the input {x} has {ib}"
                )
        shape = tuple(1 if o == "x" else x.type.shape[o] for o in self.new_order)
        bc = tuple(True if o == "x" else ib[o] for o in self.new_order)
        out = TensorType(x.type.dtype, bc, shape=shape)()
        return Apply(self, [x], [out])

    def perform(self, node, inputs, output_storage, params=None) -> None:
        (x,) = inputs
        res = x
        if self.drop:
            res = np.squeeze(res, axis=self.drop)
        if self._transpose:
            res = res.transpose(self._perm)
        if self.augment:
            shp = list(res.shape)
            for k in self.augment:
                shp.insert(k, 1)
            res = res.reshape(shp)
        elif res is x:
            res = x.view()
        output_storage[0][0] = res

    def infer_shape(self, node, input_shapes):
        (ishp,) = input_shapes
        return [tuple(_int64(1) if o == "x" else ishp[o] for o in self.new_order)]

    def grad(self, inputs, output_grads):
        (x,) = inputs
        (gz,) = output_grads
        if x.type.dtype in discrete_dtypes:
            return [D.float_zeros_like(x)]
        gz = as_tensor_variable(gz)
        grad_order: list[int | str] = ["x"] * x.ndim
        for k, o in enumerate(self.new_order):
            if o != "x":
                grad_order[o] = k
        loose = [k for k in self.augment if not gz.type.broadcastable[k]]
        if loose:
            # gz was not typed broadcastable where this op inserted dims: sum them out.
            gz = _sum(gz, axis=loose)
            remaining = [k for k in range(len(self.new_order)) if k not in loose]
            grad_order = ["x" if o == "x" else remaining.index(o) for o in grad_order]
        return [DimShuffle(gz.type.broadcastable, grad_order)(gz)]

    def R_op(self, inputs, eval_points):
        if eval_points[0] is None:
            return [None]
        return self(*eval_points, return_list=True)

    def scalar_constant_value(self, node, var):
        return get_scalar_constant_value(node.inputs[0])


def dimshuffle(x: Any, pattern: Sequence[int | str]) -> Variable:
    """``x`` with dimensions reordered, dropped or inserted (``'x'``): Theano's ``dimshuffle``."""
    x = as_tensor_variable(x)
    if isinstance(pattern, (str, int)):
        pattern = (pattern,)
    pattern = tuple(pattern)
    if pattern == tuple(range(x.ndim)):
        return x
    return DimShuffle(x.type.broadcastable, pattern)(x)


def transpose(x: Any, axes: Sequence[int] | None = None) -> Variable:
    """``x`` with its axes permuted (reversed by default), like ``numpy.transpose``."""
    x = as_tensor_variable(x)
    if axes is None:
        axes = tuple(reversed(range(x.ndim)))
    axes = tuple(int(a) + x.ndim if int(a) < 0 else int(a) for a in axes)
    if sorted(axes) != list(range(x.ndim)):
        raise ValueError(
            f"transpose: axes {axes} are not a permutation of the {x.ndim} dimensions of {x}"
        )
    return dimshuffle(x, axes)


# ---------------------------------------------------------------------------------------
# Elemwise
# ---------------------------------------------------------------------------------------

class Elemwise(Op):
    """``scalar_op`` applied elementwise, with Theano's static broadcasting.

    Inputs with fewer dimensions are padded on the left with broadcastable dimensions.
    Output ``o`` may overwrite input ``i`` when ``inplace_pattern={o: i}`` (then
    ``destroy_map={o: [i]}``).
    """

    __props__ = ("scalar_op", "inplace_pattern")

    def __init__(self, scalar_op: ScalarOp, inplace_pattern: dict[int, int] | None = None,
                 name: str | None = None) -> None:
        self.scalar_op = scalar_op
        self.inplace_pattern = FrozenDict(inplace_pattern or {})
        self.destroy_map = {o: [i] for o, i in self.inplace_pattern.items()}
        self.name = name
        self.nin = getattr(scalar_op, "nin", -1)
        self.nout = getattr(scalar_op, "nout", 1)
        nfunc = getattr(scalar_op, "nfunc", None)
        impl = (type(scalar_op).compute is ScalarOp.compute
                or getattr(scalar_op, "nfunc_is_impl", False))
        self._ufunc = nfunc if (isinstance(nfunc, np.ufunc) and impl) else None

    def __str__(self) -> str:
        if self.name is not None:
            return self.name
        if not self.inplace_pattern:
            return f"Elemwise{{{self.scalar_op},no_inplace}}"
        if dict(self.inplace_pattern) == {0: 0}:
            return f"Elemwise{{{self.scalar_op},inplace}}"
        return f"Elemwise{{{self.scalar_op}}}{sorted(self.inplace_pattern.items())}"

    __repr__ = __str__

    # -- building ----------------------------------------------------------------------
    def make_node(self, *inputs: Any) -> Apply:
        if self.nin >= 0 and len(inputs) != self.nin:
            raise TypeError(f"{self} takes {self.nin} inputs, got {len(inputs)}")
        overflow = "strong" if getattr(self.scalar_op, "weak_overflow_ok", False) else "raise"
        ins = as_elemwise_inputs(*inputs, overflow=overflow)
        nd = max((i.type.ndim for i in ins), default=0)
        padded = []
        for i in ins:
            if i.type.ndim < nd:
                k = nd - i.type.ndim
                i = DimShuffle(i.type.broadcastable, ["x"] * k + list(range(i.type.ndim)))(i)
            padded.append(i)
        try:
            out_dtypes = self.scalar_op.output_dtypes(*[i.type.dtype for i in padded])
        except TypeError as exc:
            raise TypeError(
                f"{self}: {exc} (input types: {', '.join(str(i.type) for i in padded)})"
            ) from None
        bc, shape = self._out_pattern(padded)
        outs = [TensorType(dt, bc, shape=shape)() for dt in out_dtypes]
        for o, i in self.inplace_pattern.items():
            if padded[i].type != outs[o].type:
                raise TypeError(
                    f"{self}: output {o} cannot overwrite input {i}: types differ "
                    f"({outs[o].type} vs {padded[i].type})"
                )
        return Apply(self, padded, outs)

    def _out_pattern(self, ins: list[Variable]):
        nd = ins[0].type.ndim if ins else 0
        bc, shape = [], []
        for d in range(nd):
            b = all(i.type.broadcastable[d] for i in ins)
            bc.append(b)
            sizes = {i.type.shape[d] for i in ins if not i.type.broadcastable[d]} - {None}
            if len(sizes) > 1:
                raise ValueError(
                    f"{self}: incompatible static shapes "
                    f"{', '.join(str(i.type.shape) for i in ins)} at dimension {d}"
                )
            shape.append(1 if b else (sizes.pop() if sizes else None))
        return tuple(bc), tuple(shape)

    # -- running -----------------------------------------------------------------------
    def perform(self, node, inputs, output_storage, params=None) -> None:
        if len(inputs) > 1:
            s0 = inputs[0].shape
            for a in inputs[1:]:
                if a.shape != s0:
                    self._check_shapes(node, inputs)
                    break
        f = self._ufunc
        if f is not None and len(inputs) == f.nin:
            if self.inplace_pattern and self.nout == 1:
                target = inputs[self.inplace_pattern[0]]
                full = np.broadcast_shapes(*[a.shape for a in inputs])
                if target.flags.writeable and target.shape == full:
                    res = f(*inputs, out=target)
                else:
                    res = f(*inputs)
            else:
                res = f(*inputs)
        else:
            res = self.scalar_op.compute(*inputs)
        if self.nout == 1:
            dt = node.outputs[0].type.numpy_dtype
            if res.__class__ is not np.ndarray or (res.dtype is not dt and res.dtype != dt):
                res = np.asarray(res, dtype=dt)
            output_storage[0][0] = res
            return
        for st, r, out in zip(output_storage, res, node.outputs, strict=True):
            dt = out.type.numpy_dtype
            if r.__class__ is not np.ndarray or r.dtype != dt:
                r = np.asarray(r, dtype=dt)
            st[0] = r

    @staticmethod
    def _shape_pairs(node) -> tuple[tuple[int, int, int], ...]:
        """``(i, d, j)``: input ``i`` must have the length of input ``j`` on dimension ``d``
        (both non-broadcastable there). Cached on the node."""
        pairs = node.__dict__.get("_elemwise_shape_pairs")
        if pairs is None:
            found = []
            for d in range(node.outputs[0].type.ndim):
                ref = None
                for i, var in enumerate(node.inputs):
                    if var.type.broadcastable[d]:
                        continue
                    if ref is None:
                        ref = i
                    else:
                        found.append((i, d, ref))
            pairs = node.__dict__["_elemwise_shape_pairs"] = tuple(found)
        return pairs

    def _check_shapes(self, node, inputs) -> None:
        """Raise ValueError when the run-time shapes do not fit the static broadcasting."""
        for i, d, j in self._shape_pairs(node):
            si, sj = inputs[i].shape[d], inputs[j].shape[d]
            if si == sj:
                continue
            shapes = ", ".join(str(tuple(v.shape)) for v in inputs)
            hint = ""
            if 1 in (si, sj):
                k = i if si == 1 else j
                hint = (
                    f" Input {k} has length 1 there but is not broadcastable "
                    f"(broadcastable={node.inputs[k].type.broadcastable}): declare it "
                    "broadcastable (a row/col type, T.addbroadcast, or dimshuffle with 'x') "
                    "to broadcast it."
                )
            raise ValueError(
                f"{self}: input shapes {shapes} do not match: dimension {d} has length "
                f"{sj} in input {j} and {si} in input {i}.{hint}"
            )

    def infer_shape(self, node, input_shapes):
        nd = node.outputs[0].type.ndim
        out = []
        for d in range(nd):
            for var, shp in zip(node.inputs, input_shapes, strict=True):
                if not var.type.broadcastable[d]:
                    out.append(shp[d])
                    break
            else:
                out.append(_int64(1))
        return [tuple(out) for _ in node.outputs]

    def scalar_constant_value(self, node, var):
        from symcore.scalar.basic import Second

        if isinstance(self.scalar_op, Second):
            v = get_scalar_constant_value(node.inputs[1])
        else:
            vals = [get_scalar_constant_value(i) for i in node.inputs]
            v = self.scalar_op.impl(*vals)
            if self.nout > 1:
                v = v[var.index]
        return np.asarray(v, dtype=var.type.dtype)

    # -- differentiation ---------------------------------------------------------------
    def connection_pattern(self, node):
        cp = getattr(self.scalar_op, "connection_pattern", None)
        if cp is not None and type(self.scalar_op).connection_pattern is not Op.connection_pattern:
            return self.scalar_op.connection_pattern(node)
        return [[True] * len(node.outputs) for _ in node.inputs]

    def L_op(self, inputs, outputs, output_grads):
        if all(o.type.dtype in discrete_dtypes for o in outputs):
            return [D.float_zeros_like(x) for x in inputs]
        grads = self.scalar_op.complex_L_op(list(inputs), list(outputs), list(output_grads))
        return [self._fit_grad(x, g) for x, g in zip(inputs, grads, strict=True)]

    @staticmethod
    def _fit_grad(x: Variable, g: Any):
        """``g`` summed over the dimensions where ``x`` was broadcast, in ``x``'s dtype."""
        if g is None:
            return D.float_zeros_like(x)
        if isinstance(getattr(g, "type", None), (NullType, DisconnectedType)):
            return g
        if x.type.dtype in discrete_dtypes:
            return D.float_zeros_like(x)
        g = as_tensor_variable(g)
        if g.type.ndim < x.type.ndim:
            g = dimshuffle(g, ["x"] * (x.type.ndim - g.type.ndim) + list(range(g.type.ndim)))
        elif g.type.ndim > x.type.ndim:
            # x was broadcast on leading dimensions it does not have (an unpadded operand)
            g = _sum(g, axis=list(range(g.type.ndim - x.type.ndim)))
        xb, gb = x.type.broadcastable, g.type.broadcastable
        axes = [d for d in range(x.type.ndim) if xb[d] and not gb[d]]
        if axes:
            g = _sum(g, axis=axes)
            order, k = [], 0
            for d in range(x.type.ndim):
                if d in axes:
                    order.append("x")
                else:
                    order.append(k)
                    k += 1
            g = dimshuffle(g, order)
        if any(g_b and not x_b for g_b, x_b in zip(g.type.broadcastable, xb, strict=True)):
            g = D.ns(g).second(x, g)
        xd, gd = x.type.dtype, g.type.dtype
        if gd != xd:
            F = D.ns(g)
            if gd.startswith("complex") and not xd.startswith("complex"):
                g = F.real(g)
            g = F.cast(g, xd)
        return g

    def R_op(self, inputs, eval_points):
        outs = self(*inputs, return_list=True)
        rval = []
        for j, out in enumerate(outs):
            if out.type.dtype in discrete_dtypes:
                rval.append(None)
                continue
            ones = [D.ones_like(o) if k == j else D.zeros_like(o) for k, o in enumerate(outs)]
            partials = self.scalar_op.L_op(list(inputs), outs, ones)
            total = None
            for x, ev, p in zip(inputs, eval_points, partials, strict=True):
                if ev is None or p is None or x.type.dtype in discrete_dtypes:
                    continue
                if isinstance(p.type, (NullType, DisconnectedType)):
                    if isinstance(p.type, NullType):
                        return [p for _ in outs]
                    continue
                term = p * ev
                total = term if total is None else total + term
            if total is None:
                total = D.zeros_like(out)
            rval.append(self._fit_grad(out, total) if total.type.ndim <= out.type.ndim else total)
        return rval
