"""``RandomVariable``: the base Op of random draws from a ``numpy.random.Generator``.

A node ``rv(rng, size, *params)`` has two outputs: the generator's next state and the
draws (the default output). ``perform`` copies the generator (unless ``inplace``) and
calls ``rng_fn(generator, *params, size)``, so running a node twice on the same
generator value gives the same numbers; streams chain the next state through a shared
variable's default update.

``size`` is an int64 vector: the batch shape of the draws. An empty size means the
broadcast shape of the parameters' batch dimensions (NumPy's ``size=None``). Each
distribution declares ``ndim_supp`` (dimensions of one draw: 0 for scalars, 1 for a
multinomial vector) and ``ndims_params`` (core dimensions of each parameter). Draws are
not differentiable: every input is disconnected from both outputs.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

import numpy as np

from symcore.compile.sharedvalue import shared
from symcore.graph.basic import Apply, Constant, Variable
from symcore.graph.op import Op
from symcore.graph.type import disconnected_type
from symcore.tensor.basic import (
    NotScalarConstantError,
    as_tensor_variable,
    constant,
    get_scalar_constant_value,
)
from symcore.tensor.math import cast
from symcore.tensor.random.type import RandomGeneratorType, random_generator_type
from symcore.tensor.shape import get_vector_length, make_vector, sh_max, sh_var, specify_shape
from symcore.tensor.type import INTEGER_DTYPES, TensorType, resolve_dtype

__all__ = [
    "RandomVariable",
    "normalize_size_param",
    "size_length",
    "default_rng_variable",
    "copy_generator",
]


# ---------------------------------------------------------------------------------------
# size
# ---------------------------------------------------------------------------------------


def normalize_size_param(size: Any, ndim: int | None = None, who: str = "random") -> Variable:
    """``size`` (None, an int, a tuple of ints / int scalars, or an int vector) as an int64
    vector with a statically known length. ``ndim`` gives that length when ``size`` is a
    vector variable of unknown length."""
    if size is None:
        return constant(np.zeros((0,), dtype="int64"))
    if isinstance(size, (int, np.integer)) and not isinstance(size, (bool, np.bool_)):
        size = (int(size),)
    if isinstance(size, np.ndarray):
        size = tuple(size.reshape(-1).tolist()) if size.ndim <= 1 else size
    if isinstance(size, (list, tuple)):
        entries = list(size)
        for k, e in enumerate(entries):
            ok_int = isinstance(e, (int, np.integer)) and not isinstance(e, (bool, np.bool_))
            if ok_int:
                if int(e) < 0:
                    raise ValueError(f"{who}: size {tuple(size)} has a negative entry ({e})")
                continue
            if (
                isinstance(e, Variable)
                and getattr(e.type, "ndim", None) == 0
                and e.dtype in INTEGER_DTYPES
            ):
                continue
            raise TypeError(
                f"{who}: entry {k} of size must be an int or an integer scalar variable, got {e!r}"
            )
        if all(isinstance(e, (int, np.integer)) for e in entries):
            return constant(np.asarray(entries, dtype="int64").reshape(len(entries)))
        return make_vector(
            *[e if isinstance(e, Variable) else constant(int(e), dtype="int64") for e in entries],
            dtype="int64",
        )
    if isinstance(size, Variable):
        v = as_tensor_variable(size)
        if v.ndim != 1 or v.dtype not in INTEGER_DTYPES:
            raise TypeError(f"{who}: size must be an integer vector, got {v} of type {v.type}")
        if v.dtype != "int64":
            v = cast(v, "int64")
        try:
            n = get_vector_length(v)
        except ValueError:
            if ndim is None:
                raise ValueError(
                    f"{who}: the length of the symbolic size {v} is not known when the graph "
                    "is built; pass ndim= (the number of dimensions of the draws)"
                ) from None
            v = specify_shape(v, (ndim,))
            n = ndim
        if ndim is not None and n != ndim:
            raise ValueError(f"{who}: size {v} has {n} entries but ndim={ndim}")
        return v
    raise TypeError(
        f"{who}: size must be None, an int, a tuple of ints/integer scalars or an "
        f"integer vector, got {type(size).__name__}: {size!r}"
    )


def size_length(size: Variable) -> int:
    """The static length of a normalized size vector."""
    try:
        return get_vector_length(size)
    except ValueError:
        # specify_shape(v, (1,)) keeps a length-1 vector non-broadcastable: read its shape
        if size.owner is not None and type(size.owner.op).__name__ == "SpecifyShape":
            shp = size.owner.inputs[1]
            if isinstance(shp, Constant):
                return int(np.asarray(shp.data).reshape(-1)[0])
        raise


def _const_entry(v: Variable) -> int | None:
    try:
        val = np.asarray(get_scalar_constant_value(v))
    except NotScalarConstantError:
        return None
    return int(val) if val.dtype.kind in "biu" else None


def _size_entries_static(size: Variable) -> list[int | None]:
    """Entries of the size vector known when the graph is built (None where unknown)."""
    n = size_length(size)
    if isinstance(size, Constant):
        return [int(e) for e in np.asarray(size.data).reshape(-1)]
    if size.owner is not None:
        kind = type(size.owner.op).__name__
        if kind == "MakeVector":
            return [_const_entry(i) for i in size.owner.inputs]
        if kind == "Shape":
            return list(size.owner.inputs[0].type.shape)
    return [None] * n


def _size_entries_symbolic(size: Variable) -> list[Any]:
    """Entries of the size vector as ints or int64 scalar variables."""
    known = _size_entries_static(size)
    out: list[Any] = []
    for k, c in enumerate(known):
        if c is not None:
            out.append(sh_var(c))
        elif size.owner is not None and type(size.owner.op).__name__ == "MakeVector":
            out.append(sh_var(size.owner.inputs[k]))
        else:
            out.append(sh_var(size[k]))
    return out


_SCRATCH_SEED = np.random.SeedSequence(0)


def copy_generator(rng: np.random.Generator) -> np.random.Generator:
    """An independent generator in the same state (several times faster than deepcopy)."""
    bitgen = rng.bit_generator
    try:
        new_bitgen = type(bitgen)(_SCRATCH_SEED)
        new_bitgen.state = bitgen.state
    except Exception:  # an unusual bit generator: fall back to a full copy
        return copy.deepcopy(rng)
    return np.random.Generator(new_bitgen)


def default_rng_variable(seed: Any = None) -> Variable:
    """A new shared generator seeded with ``seed`` (used when no ``rng`` is given)."""
    return shared(np.random.default_rng(seed), borrow=True)


# ---------------------------------------------------------------------------------------
# the Op
# ---------------------------------------------------------------------------------------


class RandomVariable(Op):
    """Base class of random draws. Subclasses set ``name``, ``ndim_supp``,
    ``ndims_params``, ``default_dtype`` and implement ``rng_fn``.

    Call as ``rv(*params, size=None, rng=None)``: returns the draws; the node's first
    output is the next generator state.
    """

    __props__ = ("dtype", "inplace")
    name = "random_variable"
    ndim_supp = 0
    ndims_params: tuple[int, ...] = ()
    default_dtype = "floatX"  # 'floatX', an explicit dtype, or None (= first param's dtype)
    default_output = 1
    differentiable = False  # draws are disconnected from every input

    def __init__(self, dtype: Any = None, inplace: bool = False) -> None:
        if dtype is None:
            dtype = self.default_dtype
        self.dtype = resolve_dtype(dtype) if dtype is not None else None
        self.inplace = bool(inplace)
        if self.inplace:
            self.destroy_map = {0: [0]}

    def __str__(self) -> str:
        inplace = ", inplace" if self.inplace else ""
        return f"{type(self).__name__}{{{self.name}, {self.dtype}{inplace}}}"

    __repr__ = __str__

    # -- numerics ----------------------------------------------------------------------
    def rng_fn(self, rng: np.random.Generator, *args: Any) -> Any:
        """Draw with ``rng``; the last argument is ``size`` (a tuple, or None)."""
        raise NotImplementedError(f"{type(self).__name__}.rng_fn")

    # -- building ----------------------------------------------------------------------
    def __call__(
        self,
        *params: Any,
        size: Any = None,
        rng: Any = None,
        ndim: int | None = None,
        name: str | None = None,
        **kwargs: Any,
    ):
        if rng is None:
            rng = default_rng_variable()
        size = normalize_size_param(
            size, ndim=None if ndim is None else ndim - self.ndim_supp, who=self.name
        )
        out = super().__call__(rng, size, *params, **kwargs)
        if ndim is not None and out.ndim != ndim:
            raise ValueError(
                f"{self.name}: ndim={ndim} was asked but the draws have {out.ndim} "
                f"dimensions (size={size}, parameters {list(params)})"
            )
        if name is not None:
            out.name = name
        return out

    def _prepare_params(self, params: Sequence[Any]) -> list[Variable]:
        if len(params) != len(self.ndims_params):
            raise TypeError(
                f"{self}: expected {len(self.ndims_params)} parameters, got {len(params)}"
            )
        out = []
        for i, (p, nd) in enumerate(zip(params, self.ndims_params, strict=True)):
            v = as_tensor_variable(p)
            if v.ndim < nd:
                raise ValueError(
                    f"{self}: parameter {i} ({v}) needs at least {nd} dimensions, got type {v.type}"
                )
            out.append(v)
        return out

    def _batch_ndim(self, params: Sequence[Variable]) -> int:
        """Batch dimensions the parameters broadcast to (when no size is given)."""
        pairs = zip(params, self.ndims_params, strict=True)
        return max([p.ndim - nd for p, nd in pairs], default=0)

    def _batch_static(self, size: Variable, params: Sequence[Variable]) -> list[int | None]:
        """Static batch shape (None = unknown) of the draws."""
        n = size_length(size)
        if n > 0:
            return list(_size_entries_static(size))
        batch_nd = self._batch_ndim(params)
        shape: list[int | None] = [1] * batch_nd
        for p, nd in zip(params, self.ndims_params, strict=True):
            pshape = list(p.type.shape[: p.ndim - nd])
            pshape = [1] * (batch_nd - len(pshape)) + pshape
            for k, s in enumerate(pshape):
                if s == 1:
                    continue
                shape[k] = s if shape[k] == 1 else (shape[k] if shape[k] == s else None)
        return shape

    def _support_static(self, size: Variable, params: Sequence[Variable]) -> list[int | None]:
        """Static shape of one draw (length ``ndim_supp``); subclasses with support override."""
        return [None] * self.ndim_supp

    def output_dtype(self, params: Sequence[Variable]) -> str:
        if self.dtype is not None:
            return self.dtype
        return params[0].dtype

    def make_node(self, rng: Any, size: Any, *params: Any) -> Apply:
        if not isinstance(rng, Variable):
            rng = random_generator_type.constant_type(random_generator_type, rng)
        if not isinstance(rng.type, RandomGeneratorType):
            raise TypeError(
                f"{self}: rng must be a random generator variable (e.g. "
                f"shared(numpy.random.default_rng(seed))), got {rng} of type {rng.type}"
            )
        size = normalize_size_param(size, who=self.name)
        params = self._prepare_params(params)
        shape = self._batch_static(size, params) + self._support_static(size, params)
        out_type = TensorType(
            self.output_dtype(params), shape=[None if s is None else int(s) for s in shape]
        )
        return Apply(self, [rng, size, *params], [rng.type(), out_type()])

    # -- running -----------------------------------------------------------------------
    def perform(self, node, inputs, output_storage, params=None) -> None:
        rng, size, *args = inputs
        if not self.inplace:
            rng = copy_generator(rng)
        size_t = tuple(int(s) for s in np.asarray(size).reshape(-1))
        try:
            draws = self.rng_fn(rng, *args, size_t if size_t else None)
        except (ValueError, TypeError) as exc:
            shapes = ", ".join(f"{np.shape(a)} {np.asarray(a).dtype}" for a in args)
            raise type(exc)(
                f"{self}: cannot draw with size={size_t or None} from parameters of "
                f"shapes/dtypes [{shapes}]: {exc}"
            ) from exc
        out = node.outputs[1]
        arr = np.asarray(draws, dtype=out.dtype)
        if arr.ndim != out.ndim:
            raise ValueError(
                f"{self}: draws have shape {arr.shape} but the output has {out.ndim} "
                f"dimensions (size={size_t or None})"
            )
        output_storage[0][0] = rng
        output_storage[1][0] = arr

    # -- analysis ----------------------------------------------------------------------
    def _batch_shape_symbolic(self, node: Apply, input_shapes) -> list[Any]:
        rng, size, *params = node.inputs
        if size_length(size) > 0:
            return _size_entries_symbolic(size)
        batch_nd = self._batch_ndim(params)
        dims: list[Any] = [1] * batch_nd
        for p, nd, pshape in zip(params, self.ndims_params, input_shapes[2:], strict=True):
            bshape = list(pshape[: p.ndim - nd])
            bcast = list(p.broadcastable[: p.ndim - nd])
            offset = batch_nd - len(bshape)
            for k, (s, b) in enumerate(zip(bshape, bcast, strict=True)):
                if not b:
                    dims[offset + k] = sh_max(dims[offset + k], s)
        return [sh_var(d) for d in dims]

    def _support_shape_symbolic(self, node: Apply, input_shapes) -> list[Any]:
        raise NotImplementedError(f"{type(self).__name__} must give the shape of one draw")

    def infer_shape(self, node: Apply, input_shapes):
        batch = self._batch_shape_symbolic(node, input_shapes)
        supp = self._support_shape_symbolic(node, input_shapes) if self.ndim_supp else []
        return [None, tuple(batch + supp)]

    def connection_pattern(self, node: Apply) -> list[list[bool]]:
        return [[False, False] for _ in node.inputs]

    def L_op(self, inputs, outputs, output_grads):
        return [disconnected_type() for _ in inputs]

    def R_op(self, inputs, eval_points):
        return [None, None]

    def do_constant_folding(self, fgraph, node) -> bool:
        return False  # draws must differ between calls
