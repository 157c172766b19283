"""Differentiable shape and indexing functions (reshape/flatten, specify_shape,
broadcast-pattern changes, make_vector, basic and advanced indexing, set/inc_subtensor,
take) for the gradient catalogue test."""

import numpy as np
import symcore.tensor as T

_rng = np.random.default_rng(909)


def _r(*shape):
    return _rng.random(shape)


_ROWS = np.array([2, 0, 2, -1])  # repeated and negative indices
_MASK = np.array([[True, False, True], [False, False, True]])

CASES = [
    # shape family
    ("reshape_2x6_to_3x4", lambda x: T.reshape(x, (3, 4)), [_r(2, 6)]),
    ("reshape_minus1", lambda x: x.reshape((-1, 2)), [_r(3, 2, 2)]),
    ("flatten_ndim2", lambda x: T.flatten(x, 2), [_r(2, 3, 2)]),
    ("specify_shape", lambda x: T.specify_shape(x, (2, 3)) * 2.0, [_r(2, 3)]),
    ("addbroadcast", lambda x: T.addbroadcast(x, 0) * 3.0, [_r(1, 3)]),
    ("unbroadcast", lambda x: T.unbroadcast(x, 1) + 1.0, [_r(3, 1)]),
    (
        "make_vector_floats",
        lambda a, b: T.make_vector(a, b, a) * np.array([1.0, 2.0, 3.0]),
        [np.array(0.3), np.array(-1.2)],
    ),
    ("squeeze_axis", lambda x: T.squeeze(x, axis=1), [_r(3, 1)]),
    ("expand_dims", lambda x: T.expand_dims(x, (0, 2)), [_r(2, 3)]),
    ("swapaxes", lambda x: T.swapaxes(x, 0, 2), [_r(2, 3, 4)]),
    # basic indexing
    ("subtensor_int_slice", lambda x: x[1, ::-2], [_r(3, 5)]),
    ("subtensor_newaxis_ellipsis", lambda x: x[None, ..., 1:], [_r(2, 3)]),
    ("inc_subtensor_basic", lambda x, y: T.inc_subtensor(x[1:, 0], y), [_r(3, 2), _r(2)]),
    (
        "set_subtensor_broadcast_value",
        lambda x, y: T.set_subtensor(x[:, 1:], y),
        [_r(3, 4), _r(1, 3)],
    ),
    # advanced indexing
    ("advanced_subtensor1_duplicates", lambda x: x[_ROWS], [_r(3, 2)]),
    ("advanced_inc_subtensor1", lambda x, y: T.inc_subtensor(x[_ROWS], y), [_r(3, 2), _r(4, 2)]),
    (
        "advanced_set_subtensor1_duplicates",
        lambda x, y: T.set_subtensor(x[_ROWS], y),
        [_r(3, 2), _r(2)],
    ),
    ("advanced_subtensor_mask", lambda x: x[_MASK], [_r(2, 3)]),
    ("advanced_subtensor_mixed", lambda x: x[np.array([1, 1, 0]), 1:], [_r(2, 3)]),
    ("advanced_inc_subtensor_mask", lambda x, y: T.inc_subtensor(x[_MASK], y), [_r(2, 3), _r(3)]),
    (
        "advanced_set_subtensor_pairs",
        lambda x, y: T.set_subtensor(x[np.array([0, 1, 0]), np.array([2, 0, 2])], y),
        [_r(2, 3), _r(3)],
    ),
    ("take_axis1", lambda x: T.take(x, np.array([[2, 0], [1, 1]]), axis=1), [_r(2, 3)]),
]
