"""Gradient catalogue for ``symcore.scan`` (the Scan Op through scan/map/reduce/foldr):
sit_sot, mit_sot with taps, sequences with taps, non-sequences, nit_sot outputs and
truncate_gradient (no shorter than the loop: truncated gradients are not exact and are
tested against a NumPy oracle in tests/scan)."""

import numpy as np
import symcore.tensor as T
from symcore.scan import foldr, map, reduce, scan

_rng = np.random.default_rng(808)


def _normal(*shape):
    return np.asarray(_rng.normal(size=shape))


def _rnn(x, h0, W):
    hs, _ = scan(
        lambda xt, h, W: T.tanh(T.dot(h, W) + xt), sequences=x, outputs_info=h0, non_sequences=W
    )
    return hs


def _mit_sot(x0, a):
    out, _ = scan(
        lambda x2, x1, a: a * x1 + T.sin(x2),
        outputs_info=dict(initial=x0, taps=[-2, -1]),
        non_sequences=a,
        n_steps=5,
    )
    return out


def _seq_taps(x):
    out, _ = scan(lambda a, b, c: a * b - c, sequences=dict(input=x, taps=[-2, 0, 2]))
    return out


def _two_outputs(x, w):
    (s, p), _ = scan(
        lambda xt, s, p, w: [s + xt * w, p * T.cos(xt)],
        sequences=x,
        outputs_info=[T.zeros_like(w), T.ones_like(w)],
        non_sequences=w,
    )
    return s * p


def _truncated(x, h0):
    hs, _ = scan(
        lambda xt, h: T.tanh(h * xt), sequences=x, outputs_info=h0, truncate_gradient=5
    )  # >= n_steps: the exact gradient
    return hs[-1]


CASES = [
    ("scan_rnn_sit_sot", _rnn, [_normal(4, 3), _normal(3), 0.5 * _normal(3, 3)]),
    ("scan_mit_sot_taps", _mit_sot, [_normal(2, 2), _normal(2)]),
    ("scan_sequence_taps", _seq_taps, [_normal(8)]),
    ("scan_two_states", _two_outputs, [_normal(4, 2), _normal(2)]),
    ("scan_truncated_last_step", _truncated, [_normal(5), np.asarray(0.7)]),
    ("scan_map", lambda x: map(lambda v: T.exp(v) * v, sequences=x)[0], [_normal(3, 2)]),
    (
        "scan_reduce",
        lambda x: reduce(
            lambda v, acc: acc * T.sin(v) + v, sequences=x, outputs_info=T.zeros_like(x[0])
        )[0],
        [_normal(4, 2)],
    ),
    (
        "scan_foldr",
        lambda x: foldr(lambda v, acc: acc * v + 1.0, sequences=x, outputs_info=T.ones_like(x[0]))[
            0
        ],
        [_normal(4)],
    ),
]
