"""Gradient catalogue for reductions (``symcore.tensor.reduction`` / ``reduction_stats``).

``CASES = [(name, build(*symbolic_inputs), [numpy inputs][, options])]``: each is checked by
``verify_grad`` in ``test_op_catalogue.py``. Inputs of max/min have distinct values (the
gradient of a tie is not the finite difference)."""

import numpy as np
import symcore.scalar as S
import symcore.tensor as T
from symcore.tensor.reduction import CAReduce, CAReduceDtype, MaxAndArgmax, ProdWithoutZeros

_rng = np.random.default_rng(2024)


def _normal(*shape):
    return _rng.normal(size=shape)


def _distinct(*shape):
    return _rng.permutation(int(np.prod(shape))).reshape(shape).astype("float64") / 3.0 - 1.0


CASES = [
    ("sum_all", lambda x: T.sum(x), [_normal(3, 4)]),
    ("sum_axis_neg_keepdims", lambda x: T.sum(x, axis=-1, keepdims=True), [_normal(2, 3, 4)]),
    ("sum_axis_tuple", lambda x: T.sum(x, axis=(0, 2)), [_normal(2, 3, 4)]),
    ("sum_float32", lambda x: T.sum(x, axis=0), [_normal(3, 4).astype("float32")]),
    ("prod_axis", lambda x: T.prod(x, axis=1), [_rng.uniform(0.5, 1.5, size=(3, 4))]),
    (
        "prod_with_zeros",
        lambda x: T.prod(x, axis=1),
        [np.array([[0.0, 1.5, -2.0], [0.0, 0.0, 1.2], [0.7, 1.1, 0.9]])],
    ),
    (
        "prod_no_zeros_in_input",
        lambda x: T.prod(x, no_zeros_in_input=True),
        [_rng.uniform(0.5, 1.5, size=(2, 3))],
    ),
    (
        "prod_without_zeros",
        lambda x: ProdWithoutZeros((0,))(x),
        [_rng.uniform(0.5, 1.5, size=(3, 2))],
    ),
    ("max_axis", lambda x: T.max(x, axis=0), [_distinct(3, 4)]),
    ("min_axis_tuple", lambda x: T.min(x, axis=(0, 1)), [_distinct(2, 3, 2)]),
    ("max_and_argmax", lambda x: MaxAndArgmax((1,))(x)[0], [_distinct(3, 4)]),
    ("careduce_add", lambda x: CAReduce(S.add, (0,))(x), [_normal(3, 4)]),
    ("careduce_maximum", lambda x: CAReduce(S.maximum, (1,))(x), [_distinct(3, 4)]),
    (
        "careduce_dtype_mul",
        lambda x: CAReduceDtype(S.mul, (1,), "float64", "float64")(x),
        [_rng.uniform(0.5, 1.5, size=(3, 4))],
    ),
    ("mean", lambda x: T.mean(x, axis=(0, -1)), [_normal(2, 3, 4)]),
    ("var_ddof", lambda x: T.var(x, axis=1, ddof=1), [_normal(3, 4)]),
    ("var_corrected", lambda x: T.var(x, corrected=True), [_normal(3, 4)]),
    ("std", lambda x: T.std(x, axis=0), [_normal(5, 3)]),
    ("norm_L2", lambda x: T.norm(x, 2, axis=1), [_normal(3, 4)]),
    ("norm_L3", lambda x: T.norm(x, 3), [_normal(3, 4)]),
    ("norm_inf", lambda x: T.norm(x, np.inf, axis=0), [_distinct(3, 4)]),
]
