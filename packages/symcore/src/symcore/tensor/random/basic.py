"""The distributions: one ``RandomVariable`` subclass each, drawn with NumPy's Generator.

Each module-level function (``uniform(low, high, size=None, rng=None, dtype=None)``...)
follows NumPy's ``Generator`` method of the same name and returns the draws; the next
generator state is ``draws.owner.outputs[0]``. Float distributions default to ``floatX``
(upcast with the dtypes of variable parameters; Python numbers are weak), discrete ones
to int64.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from symcore.graph.basic import Variable
from symcore.tensor.basic import as_tensor_variable, constant
from symcore.tensor.random.op import RandomVariable
from symcore.tensor.type import INTEGER_DTYPES

__all__ = [
    "UniformRV",
    "NormalRV",
    "StandardNormalRV",
    "TruncatedNormalRV",
    "BinomialRV",
    "IntegersRV",
    "RandomIntegersRV",
    "PoissonRV",
    "GammaRV",
    "BetaRV",
    "ExponentialRV",
    "MultinomialRV",
    "ChoiceRV",
    "PermutationRV",
    "RowChoiceRV",
    "float_dtype",
    "uniform",
    "normal",
    "standard_normal",
    "truncated_normal",
    "binomial",
    "integers",
    "random_integers",
    "poisson",
    "gamma",
    "beta",
    "exponential",
    "multinomial",
    "choice",
    "permutation",
]


def float_dtype(*params: Any) -> str:
    """Theano's rule: ``floatX`` upcast with the dtypes of the non-Python-number parameters."""
    from symcore.config import config

    dts = [np.dtype(config.floatX)]
    for p in params:
        if isinstance(p, (bool, int, float)) or p is None:
            continue  # weak
        dt = (
            np.dtype(as_tensor_variable(p).dtype)
            if isinstance(p, Variable)
            else np.asarray(p).dtype
        )
        dts.append(dt)
    out = np.result_type(*dts)
    if out.kind not in "fc":
        out = np.dtype(config.floatX)
    return out.name


class _ScalarRV(RandomVariable):
    """Distributions whose draws are scalars and whose parameters broadcast elementwise."""

    ndim_supp = 0
    method = ""

    def rng_fn(self, rng, *args):
        *params, size = args
        return getattr(rng, self.method)(*params, size=size)


class UniformRV(_ScalarRV):
    """``uniform(low, high)``: floats in ``[low, high)``."""

    name, method, ndims_params = "uniform", "uniform", (0, 0)


class NormalRV(_ScalarRV):
    """``normal(loc, scale)``: Gaussian draws."""

    name, method, ndims_params = "normal", "normal", (0, 0)


class StandardNormalRV(_ScalarRV):
    """``standard_normal()``: Gaussian draws with mean 0 and deviation 1."""

    name, method, ndims_params = "standard_normal", "standard_normal", ()


class TruncatedNormalRV(_ScalarRV):
    """``truncated_normal(loc, scale)``: Gaussian draws resampled until within 2 deviations
    of the mean (Theano's ``MRG_RandomStreams.normal(truncate=True)``)."""

    name, ndims_params = "truncated_normal", (0, 0)

    def rng_fn(self, rng, loc, scale, size):
        shape = size if size is not None else np.broadcast_shapes(np.shape(loc), np.shape(scale))
        z = rng.standard_normal(shape)
        bad = np.abs(z) > 2.0
        while bad.any():
            z[bad] = rng.standard_normal(int(bad.sum()))
            bad = np.abs(z) > 2.0
        return np.asarray(loc) + np.asarray(scale) * z


class BinomialRV(_ScalarRV):
    """``binomial(n, p)``: successes among ``n`` trials of probability ``p``."""

    name, method, ndims_params, default_dtype = "binomial", "binomial", (0, 0), "int64"


class IntegersRV(_ScalarRV):
    """``integers(low, high)``: integers in ``[low, high)``."""

    name, ndims_params, default_dtype = "integers", (0, 0), "int64"

    def rng_fn(self, rng, low, high, size):
        return rng.integers(low, high, size=size)


class RandomIntegersRV(_ScalarRV):
    """``random_integers(low, high)``: integers in ``[low, high]`` (high included, Theano)."""

    name, ndims_params, default_dtype = "random_integers", (0, 0), "int64"

    def rng_fn(self, rng, low, high, size):
        return rng.integers(low, high, size=size, endpoint=True)


class PoissonRV(_ScalarRV):
    """``poisson(lam)``: counts with mean ``lam``."""

    name, method, ndims_params, default_dtype = "poisson", "poisson", (0,), "int64"


class GammaRV(_ScalarRV):
    """``gamma(shape, scale)`` (NumPy's parametrisation)."""

    name, method, ndims_params = "gamma", "gamma", (0, 0)


class BetaRV(_ScalarRV):
    """``beta(a, b)``: draws in ``[0, 1]``."""

    name, method, ndims_params = "beta", "beta", (0, 0)


class ExponentialRV(_ScalarRV):
    """``exponential(scale)``: draws with mean ``scale``."""

    name, method, ndims_params = "exponential", "exponential", (0,)


class MultinomialRV(RandomVariable):
    """``multinomial(n, pvals)``: counts of ``n`` draws over ``len(pvals)`` categories; one
    draw is a vector (``ndim_supp=1``), ``pvals`` may carry batch dimensions."""

    name, ndim_supp, ndims_params, default_dtype = "multinomial", 1, (0, 1), "int64"

    def rng_fn(self, rng, n, pvals, size):
        return rng.multinomial(n, pvals, size=size)

    def _support_static(self, size, params):
        return [params[1].type.shape[-1]]

    def _support_shape_symbolic(self, node, input_shapes):
        from symcore.tensor.shape import sh_var

        return [sh_var(input_shapes[3][-1])]


class ChoiceRV(RandomVariable):
    """``choice(a, p)``: elements of ``a`` (a vector, or ``arange(a)`` for an int), with
    probabilities ``p`` (a vector; an empty one means uniform). ``replace`` is a property."""

    __props__ = ("dtype", "inplace", "replace")
    name, ndims_params, default_dtype = "choice", (1, 1), None

    def __init__(self, dtype: Any = None, inplace: bool = False, replace: bool = True) -> None:
        super().__init__(dtype=dtype, inplace=inplace)
        self.replace = bool(replace)

    def _prepare_params(self, params):
        a, p = params
        a = as_tensor_variable(a)
        if a.ndim > 1:
            raise ValueError(f"{self}: a must be an int or a vector, got type {a.type}")
        p = as_tensor_variable(p)
        if p.ndim != 1:
            raise ValueError(f"{self}: p must be a vector of probabilities, got type {p.type}")
        return [a, p]

    def _batch_static(self, size, params):
        from symcore.tensor.random.op import _size_entries_static

        return list(_size_entries_static(size))

    def output_dtype(self, params):
        a = params[0]
        if self.dtype is not None:
            return self.dtype
        return "int64" if a.ndim == 0 else a.dtype

    def rng_fn(self, rng, a, p, size):
        a = int(a) if np.ndim(a) == 0 else a
        p = None if np.size(p) == 0 else p
        return rng.choice(a, size=size, replace=self.replace, p=p)

    def _batch_shape_symbolic(self, node, input_shapes):
        from symcore.tensor.random.op import _size_entries_symbolic

        return _size_entries_symbolic(node.inputs[1])


class PermutationRV(RandomVariable):
    """``permutation(x)``: a shuffled copy of the vector ``x``, or of ``arange(x)`` for an
    int; with a size, one independent permutation per batch entry (shape ``size + (n,)``)."""

    name, ndim_supp, ndims_params, default_dtype = "permutation", 1, (0,), None

    def _prepare_params(self, params):
        (x,) = params
        x = as_tensor_variable(x)
        if x.ndim > 1:
            raise ValueError(f"{self}: x must be an int or a vector, got type {x.type}")
        if x.ndim == 0 and x.dtype not in INTEGER_DTYPES:
            raise TypeError(
                f"{self}: a scalar x must be an integer (the n of arange(n)), got {x.type}"
            )
        return [x]

    def _batch_static(self, size, params):
        from symcore.tensor.random.op import _size_entries_static

        return list(_size_entries_static(size))

    def _support_static(self, size, params):
        from symcore.tensor.random.op import _const_entry

        x = params[0]
        return [_const_entry(x) if x.ndim == 0 else x.type.shape[0]]

    def output_dtype(self, params):
        x = params[0]
        if self.dtype is not None:
            return self.dtype
        return "int64" if x.ndim == 0 else x.dtype

    def rng_fn(self, rng, x, size):
        base = np.arange(int(x)) if np.ndim(x) == 0 else np.asarray(x)
        if size is None:
            return rng.permutation(base)
        out = np.empty(tuple(size) + base.shape, dtype=base.dtype)
        for idx in np.ndindex(*size):
            out[idx] = rng.permutation(base)
        return out

    def _batch_shape_symbolic(self, node, input_shapes):
        from symcore.tensor.random.op import _size_entries_symbolic

        return _size_entries_symbolic(node.inputs[1])

    def _support_shape_symbolic(self, node, input_shapes):
        from symcore.tensor.shape import sh_var

        x = node.inputs[2]
        return [sh_var(x) if x.ndim == 0 else sh_var(input_shapes[2][0])]


class RowChoiceRV(RandomVariable):
    """``row_choice(n, p)``: for each row of the probability matrix ``p``, ``n`` category
    indices (Theano's ``MRG_RandomStreams.choice``); output shape ``p.shape[:-1] + (n,)``."""

    __props__ = ("dtype", "inplace", "replace")
    name, ndim_supp, ndims_params, default_dtype = "row_choice", 1, (0, 1), "int64"

    def __init__(self, dtype: Any = None, inplace: bool = False, replace: bool = True) -> None:
        super().__init__(dtype=dtype, inplace=inplace)
        self.replace = bool(replace)

    def _prepare_params(self, params):
        n, p = super()._prepare_params(params)
        if n.ndim != 0 or n.dtype not in INTEGER_DTYPES:
            raise TypeError(f"{self}: n must be an integer scalar, got {n.type}")
        return [n, p]

    def _support_static(self, size, params):
        from symcore.tensor.random.op import _const_entry

        return [_const_entry(params[0])]

    def rng_fn(self, rng, n, p, size):
        p = np.asarray(p)
        batch = tuple(size) if size is not None else p.shape[:-1]
        p = np.broadcast_to(p, batch + p.shape[-1:])
        out = np.empty(batch + (int(n),), dtype="int64")
        for idx in np.ndindex(*batch):
            out[idx] = rng.choice(p.shape[-1], size=int(n), replace=self.replace, p=p[idx])
        return out

    def _support_shape_symbolic(self, node, input_shapes):
        from symcore.tensor.shape import sh_var

        return [sh_var(node.inputs[2])]


# ---------------------------------------------------------------------------------------
# NumPy-style functions
# ---------------------------------------------------------------------------------------


def _draw(op: RandomVariable, params: Sequence[Any], size: Any, rng: Any, **kw: Any):
    return op(*params, size=size, rng=rng, **kw)


def uniform(
    low: Any = 0.0, high: Any = 1.0, size: Any = None, rng: Any = None, dtype: Any = None, **kw
):
    """Draws in ``[low, high)``."""
    return _draw(UniformRV(dtype or float_dtype(low, high)), (low, high), size, rng, **kw)


def normal(
    loc: Any = 0.0, scale: Any = 1.0, size: Any = None, rng: Any = None, dtype: Any = None, **kw
):
    """Gaussian draws."""
    return _draw(NormalRV(dtype or float_dtype(loc, scale)), (loc, scale), size, rng, **kw)


def standard_normal(size: Any = None, rng: Any = None, dtype: Any = None, **kw):
    """Gaussian draws with mean 0 and standard deviation 1."""
    return _draw(StandardNormalRV(dtype or float_dtype()), (), size, rng, **kw)


def truncated_normal(
    loc: Any = 0.0, scale: Any = 1.0, size: Any = None, rng: Any = None, dtype: Any = None, **kw
):
    """Gaussian draws restricted to two standard deviations around ``loc``."""
    return _draw(TruncatedNormalRV(dtype or float_dtype(loc, scale)), (loc, scale), size, rng, **kw)


def binomial(n: Any, p: Any, size: Any = None, rng: Any = None, dtype: Any = "int64", **kw):
    """Successes among ``n`` trials of probability ``p``."""
    return _draw(BinomialRV(dtype), (n, p), size, rng, **kw)


def integers(
    low: Any, high: Any = None, size: Any = None, rng: Any = None, dtype: Any = "int64", **kw
):
    """Integers in ``[low, high)`` (``[0, low)`` when ``high`` is None, as NumPy)."""
    if high is None:
        low, high = 0, low
    return _draw(IntegersRV(dtype), (low, high), size, rng, **kw)


def random_integers(
    low: Any = 0, high: Any = 1, size: Any = None, rng: Any = None, dtype: Any = "int64", **kw
):
    """Integers in ``[low, high]``, both ends included."""
    return _draw(RandomIntegersRV(dtype), (low, high), size, rng, **kw)


def poisson(lam: Any = 1.0, size: Any = None, rng: Any = None, dtype: Any = "int64", **kw):
    """Poisson counts with mean ``lam``."""
    return _draw(PoissonRV(dtype), (lam,), size, rng, **kw)


def gamma(shape: Any, scale: Any = 1.0, size: Any = None, rng: Any = None, dtype: Any = None, **kw):
    """Gamma draws, ``shape``/``scale`` as in NumPy."""
    return _draw(GammaRV(dtype or float_dtype(shape, scale)), (shape, scale), size, rng, **kw)


def beta(a: Any, b: Any, size: Any = None, rng: Any = None, dtype: Any = None, **kw):
    """Beta draws."""
    return _draw(BetaRV(dtype or float_dtype(a, b)), (a, b), size, rng, **kw)


def exponential(scale: Any = 1.0, size: Any = None, rng: Any = None, dtype: Any = None, **kw):
    """Exponential draws with mean ``scale``."""
    return _draw(ExponentialRV(dtype or float_dtype(scale)), (scale,), size, rng, **kw)


def multinomial(n: Any, pvals: Any, size: Any = None, rng: Any = None, dtype: Any = "int64", **kw):
    """Category counts of ``n`` draws with probabilities ``pvals`` (last axis)."""
    return _draw(MultinomialRV(dtype), (n, pvals), size, rng, **kw)


def choice(
    a: Any,
    size: Any = None,
    replace: bool = True,
    p: Any = None,
    rng: Any = None,
    dtype: Any = None,
    **kw,
):
    """Elements of the vector ``a`` (or of ``arange(a)``), with probabilities ``p``."""
    if p is None:
        p = constant(np.zeros((0,), dtype="float64"))
    return _draw(ChoiceRV(dtype, replace=replace), (a, p), size, rng, **kw)


def permutation(x: Any, size: Any = None, rng: Any = None, dtype: Any = None, **kw):
    """A shuffled copy of the vector ``x`` (or of ``arange(x)`` for an int)."""
    return _draw(PermutationRV(dtype), (x,), size, rng, **kw)
