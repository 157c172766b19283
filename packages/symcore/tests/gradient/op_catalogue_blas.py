"""Gradient catalogue for the BLAS Ops made by the rewrites (``symcore.tensor.rewriting.blas``):
Dot22, Dot22Scalar, Gemm, Gemv, Ger (each built directly, non-inplace)."""

import numpy as np
from symcore.tensor.rewriting.blas_ops import Dot22, Dot22Scalar, Gemm, Gemv, Ger

_rng = np.random.default_rng(1234)


def _normal(*shape):
    return _rng.normal(size=shape)


CASES = [
    ("dot22", lambda x, y: Dot22()(x, y), [_normal(2, 3), _normal(3, 4)]),
    (
        "dot22scalar",
        lambda x, y, a: Dot22Scalar()(x, y, a),
        [_normal(2, 3), _normal(3, 4), np.array(0.7)],
    ),
    (
        "gemm",
        lambda z, a, x, y, b: Gemm(False)(z, a, x, y, b),
        [_normal(2, 4), np.array(1.3), _normal(2, 3), _normal(3, 4), np.array(-0.4)],
    ),
    (
        "gemv",
        lambda y, a, A, x, b: Gemv(False)(y, a, A, x, b),
        [_normal(3), np.array(0.8), _normal(3, 4), _normal(4), np.array(1.5)],
    ),
    (
        "ger",
        lambda A, a, x, y: Ger(False)(A, a, x, y),
        [_normal(3, 2), np.array(-0.6), _normal(3), _normal(2)],
    ),
    (
        "gemm_float32",
        lambda z, a, x, y, b: Gemm(False)(z, a, x, y, b),
        [
            _normal(2, 2).astype("float32"),
            np.array(0.5, dtype="float32"),
            _normal(2, 3).astype("float32"),
            _normal(3, 2).astype("float32"),
            np.array(2.0, dtype="float32"),
        ],
    ),
]
