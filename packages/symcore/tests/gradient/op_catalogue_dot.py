"""Gradient catalogue for products (``symcore.tensor.dot``): Dot, MatMul, TensorDot,
BatchedTensorDot through ``dot``, ``@``, ``tensordot``, ``outer``, ``batched_dot`` and
``batched_tensordot``."""

import numpy as np
import symcore.tensor as T

_rng = np.random.default_rng(77)


def _normal(*shape):
    return _rng.normal(size=shape)


CASES = [
    ("dot_vv", T.dot, [_normal(3), _normal(3)]),
    ("dot_mv", T.dot, [_normal(2, 3), _normal(3)]),
    ("dot_vm", T.dot, [_normal(3), _normal(3, 4)]),
    ("dot_mm", T.dot, [_normal(2, 3), _normal(3, 4)]),
    ("dot_mm_float32", T.dot, [_normal(2, 3).astype("float32"), _normal(3, 4).astype("float32")]),
    ("dot_3d_2d", T.dot, [_normal(2, 3, 4), _normal(4, 2)]),
    ("tensordot_2", lambda a, b: T.tensordot(a, b, 2), [_normal(2, 3, 4), _normal(3, 4, 2)]),
    (
        "tensordot_pairs",
        lambda a, b: T.tensordot(a, b, [[0, 2], [2, 0]]),
        [_normal(2, 3, 4), _normal(4, 5, 2)],
    ),
    ("matmul_batched", T.matmul, [_normal(3, 2, 4), _normal(3, 4, 2)]),
    ("matmul_broadcast", T.matmul, [_normal(1, 2, 3), _normal(4, 3, 2)]),
    ("matmul_vector", T.matmul, [_normal(3), _normal(2, 3, 4)]),
    ("outer", T.outer, [_normal(3), _normal(4)]),
    ("batched_dot_3d", T.batched_dot, [_normal(3, 2, 4), _normal(3, 4, 5)]),
    ("batched_dot_2d", T.batched_dot, [_normal(3, 4), _normal(3, 4)]),
    (
        "batched_tensordot",
        lambda a, b: T.batched_tensordot(a, b, [[1, 2], [2, 1]]),
        [_normal(3, 4, 2), _normal(3, 2, 4)],
    ),
]
