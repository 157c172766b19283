"""Theano's import path for the BLAS-shaped Ops (``symcore.tensor.blas.Gemv``...).

The Ops live with the rewrites that create them in ``symcore.tensor.rewriting.blas_ops``.
"""

from symcore.tensor.rewriting.blas_ops import Dot22, Dot22Scalar, Gemm, Gemv, Ger  # noqa: F401

__all__ = ["Dot22", "Dot22Scalar", "Gemm", "Gemv", "Ger"]
