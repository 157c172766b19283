"""Differentiable structure and construction functions (join/stack/split, alloc family,
tril/triu, arange, diagonals, cumsum/cumprod, repeat, tile, roll, nonzero_values,
bincount, fill_diagonal, diff, sort) for the gradient catalogue test."""

import numpy as np
import symcore.tensor as T
from symcore.tensor.diagonal import ExtractDiagGrad
from symcore.tensor.extra_ops import RepeatGrad, TileGrad
from symcore.tensor.sort import PermuteAlongAxis

_rng = np.random.default_rng(2024)


def _r(*shape):
    return _rng.random(shape)


_PERM = np.array([[2, 0, 1], [1, 2, 0]])
_DISTINCT = _rng.permutation(12).reshape(3, 4) + _rng.random((3, 4)) * 0.1

CASES = [
    # join / stack / split
    ("join_axis0", lambda x, y: T.join(0, x, y), [_r(2, 3), _r(1, 3)]),
    ("concatenate_axis_neg1", lambda x, y: T.concatenate([x, y, x], axis=-1), [_r(2, 3), _r(2, 2)]),
    ("stack_axis1", lambda x, y: T.stack([x, y], axis=1), [_r(2, 3), _r(2, 3)]),
    ("stack_old_form_scalars", lambda a, b: T.stack(a, b, a), [np.array(0.5), np.array(-1.5)]),
    ("split_second_piece", lambda x: T.split(x, [1, 3], 2, axis=0)[1], [_r(4, 2)]),
    (
        "split_both_pieces",
        lambda x: T.split(x, [2, 1], 2, axis=1)[0] * T.split(x, [2, 1], 2, axis=1)[1][:, :1],
        [_r(2, 3)],
    ),
    ("horizontal_stack", lambda x, y: T.horizontal_stack(x, y), [_r(2, 2), _r(2, 1)]),
    ("vertical_stack", lambda x, y: T.vertical_stack(x, y), [_r(3), _r(2, 3)]),
    # alloc family
    ("alloc_row", lambda v: T.alloc(v, 3, 2, 4), [_r(1, 4)]),
    ("alloc_scalar", lambda v: T.alloc(v, 2, 3), [np.array(0.7)]),
    ("full_like_symbolic", lambda x, v: T.full_like(x, v) * x, [_r(2, 3), np.array(1.5)]),
    ("zeros_like_plus_ones_like", lambda x: T.zeros_like(x) + T.ones_like(x) * x, [_r(3)]),
    # triangles, arange
    ("tril", lambda x: T.tril(x, 1), [_r(3, 4)]),
    ("triu_batched", lambda x: T.triu(x, -1), [_r(2, 3, 3)]),
    ("arange_float", lambda a, c: T.arange(a, 3.0, c) ** 2, [np.array(0.3), np.array(0.7)]),
    # diagonals
    ("diag_vector", lambda v: T.diag(v, 1), [_r(3)]),
    ("diag_matrix", lambda m: T.diag(m, -1), [_r(4, 3)]),
    ("diagonal_3d", lambda x: T.diagonal(x, 1, 2, 0), [_r(3, 2, 4)]),
    ("trace", lambda m: T.trace(m), [_r(3, 3)]),
    (
        "extract_diag_grad_op",
        lambda x, d: ExtractDiagGrad(1, 0, 1)(x, d),
        [_r(3, 4), _r(3)],
        {"covers": [ExtractDiagGrad]},
    ),
    # extra ops
    ("cumsum_flat", lambda x: T.cumsum(x), [_r(3, 4)]),
    ("cumsum_axis1", lambda x: T.cumsum(x, axis=1), [_r(3, 4)]),
    ("cumprod_axis0", lambda x: T.cumprod(x, axis=0), [_r(3, 4) + 0.5]),
    ("repeat_scalar", lambda x: T.repeat(x, 2, axis=1), [_r(2, 3)]),
    ("repeat_vector_flat", lambda x: T.repeat(x, [1, 0, 2, 1, 3, 1]), [_r(2, 3)]),
    (
        "repeat_grad_op",
        lambda x, g: RepeatGrad(0)(x, g, np.array([2, 0, 3])),
        [_r(3, 2), _r(5, 2)],
        {"covers": [RepeatGrad]},
    ),
    ("tile", lambda x: T.tile(x, (2, 1, 2)), [_r(2, 3)]),
    (
        "tile_grad_op",
        lambda x, g: TileGrad()(x, g, 2, 1),
        [_r(2, 3), _r(4, 3)],
        {"covers": [TileGrad]},
    ),
    ("roll", lambda x: T.roll(x, 2, axis=1) * np.arange(12.0).reshape(3, 4), [_r(3, 4)]),
    ("nonzero_values", lambda x: T.nonzero_values(x), [_r(2, 3) + 0.5]),
    ("bincount_weights", lambda w: T.bincount(np.array([0, 2, 2, 1]), w), [_r(4)]),
    ("fill_diagonal", lambda x, v: T.fill_diagonal(x, v), [_r(3, 4), np.array(2.0)]),
    ("diff_2", lambda x: T.diff(x, 2), [_r(6)]),
    # sort
    ("sort_last_axis", lambda x: T.sort(x), [_DISTINCT]),
    ("sort_flat", lambda x: T.sort(x, axis=None), [_DISTINCT]),
    (
        "permute_along_axis",
        lambda x: PermuteAlongAxis()(x, _PERM, 1),
        [_r(2, 3)],
        {"covers": [PermuteAlongAxis]},
    ),
]
