"""In-place rewrites: which values may be overwritten, and that results stay right."""

from __future__ import annotations

import numpy as np
import pytest
import symcore
import symcore.tensor as T
from symcore.compile.io import In
from symcore.tensor.elemwise import Elemwise
from symcore.tensor.rewriting.blas import Gemm, Gemv
from symcore.tensor.subtensor import IncSubtensor


def _destroyers(rw, f):
    return [n for n in rw.nodes(f) if getattr(n.op, "destroy_map", None)]


def _destroyed_inputs(rw, f):
    """The variables overwritten by the compiled graph's nodes."""
    out = []
    for n in _destroyers(rw, f):
        for ins in n.op.destroy_map.values():
            out.extend(n.inputs[i] for i in ins)
    return out


def test_intermediate_value_is_overwritten(rw):
    x, y = T.dmatrices("x", "y")
    f = rw.function([x, y], T.tanh(T.dot(x, y)) * 2 + 1)
    ew = [n for n in rw.nodes(f) if isinstance(n.op, Elemwise)]
    assert len(ew) == 1 and dict(ew[0].op.inplace_pattern) == {0: 0}
    assert ew[0].inputs[0].owner is not None  # the Dot22 result, not a user input
    xv, yv = rw.rng.normal(size=(3, 4)), rw.rng.normal(size=(4, 2))
    xc, yc = xv.copy(), yv.copy()
    np.testing.assert_allclose(f(xv, yv), np.tanh(xv @ yv) * 2 + 1)
    np.testing.assert_array_equal(xv, xc)
    np.testing.assert_array_equal(yv, yc)


def test_function_inputs_and_constants_are_never_overwritten(rw):
    x = T.dmatrix("x")
    c = T.constant(np.ones((2, 3)))
    f = rw.function([x], [x + 1, T.exp(x) * c, c * 2 + x])
    fg = f.maker.fgraph
    for v in _destroyed_inputs(rw, f):
        assert v not in fg.inputs and not isinstance(v, symcore.graph.basic.Constant)
    xv = rw.rng.normal(size=(2, 3))
    xc = xv.copy()
    a, b, d = f(xv)
    np.testing.assert_allclose(a, xc + 1)
    np.testing.assert_allclose(b, np.exp(xc))
    np.testing.assert_allclose(d, 2 + xc)
    np.testing.assert_array_equal(xv, xc)


def test_mutable_input_may_be_overwritten(rw):
    x = T.dvector("x")
    f = symcore.function([In(x, mutable=True)], T.exp(x) * 2)
    assert f.maker.fgraph.inputs[0] in _destroyed_inputs(rw, f)
    xv = rw.rng.normal(size=4)
    expected = np.exp(xv) * 2
    np.testing.assert_allclose(f(xv.copy()), expected)


def test_shared_value_that_is_not_updated_is_kept(rw):
    s = symcore.shared(np.arange(4.0), name="s")
    f = rw.function([], T.exp(s) + 1)
    assert not _destroyed_inputs(rw, f)
    np.testing.assert_allclose(f(), np.exp(np.arange(4.0)) + 1)
    np.testing.assert_array_equal(s.get_value(), np.arange(4.0))


def test_updated_shared_value_is_updated_in_place_after_its_readers(rw):
    s = symcore.shared(np.arange(4.0), name="s")
    f = rw.function([], [s.sum(), s * 3], updates=[(s, T.sin(s) * 2 + 1)])
    assert f.maker.fgraph.inputs[0] in _destroyed_inputs(rw, f)
    expected_s = np.arange(4.0)
    for _ in range(3):
        total, tripled = f()
        assert total == pytest.approx(expected_s.sum())
        np.testing.assert_allclose(tripled, expected_s * 3)
        expected_s = np.sin(expected_s) * 2 + 1
        np.testing.assert_allclose(s.get_value(), expected_s)


def test_value_read_twice_is_destroyed_at_most_once(rw):
    x = T.dvector("x")
    e = T.exp(T.dot(T.outer(x, x), x))
    f = rw.function([x], [T.sin(e), T.cos(e), e.sum()])
    destroyed = _destroyed_inputs(rw, f)
    assert len(destroyed) == len(set(destroyed))
    xv = rw.rng.normal(size=3) * 0.3
    ev = np.exp(np.outer(xv, xv) @ xv)
    a, b, c = f(xv)
    np.testing.assert_allclose(a, np.sin(ev))
    np.testing.assert_allclose(b, np.cos(ev))
    assert c == pytest.approx(ev.sum())


def test_set_subtensor_writes_into_a_fresh_buffer(rw):
    x = T.dvector("x")
    z = T.zeros((5,))
    f = rw.function([x], T.set_subtensor(z[1:4], x) * 1.0)
    incs = [n for n in rw.nodes(f) if isinstance(n.op, IncSubtensor)]
    assert incs and all(n.op.inplace for n in incs)
    xv = np.array([1.0, 2.0, 3.0])
    np.testing.assert_array_equal(f(xv), [0.0, 1.0, 2.0, 3.0, 0.0])
    np.testing.assert_array_equal(
        f(xv * 2), [0.0, 2.0, 4.0, 6.0, 0.0]
    )  # the constant zeros survived


def test_set_subtensor_of_an_input_copies_it(rw):
    x = T.dvector("x")
    f = rw.function([x], T.set_subtensor(x[0], 7.0))
    assert not any(n.op.inplace for n in rw.nodes(f) if isinstance(n.op, IncSubtensor))
    xv = np.arange(3.0)
    np.testing.assert_array_equal(f(xv), [7.0, 1.0, 2.0])
    np.testing.assert_array_equal(xv, np.arange(3.0))


def test_gemm_updates_a_shared_matrix_in_place(rw):
    W = symcore.shared(np.eye(3), name="W")
    x, y = T.dmatrices("x", "y")
    f = rw.function([x, y], [], updates=[(W, W - 0.5 * T.dot(x, y))])
    gemms = [n for n in rw.nodes(f) if isinstance(n.op, (Gemm, Gemv))]
    assert len(gemms) == 1 and gemms[0].op.inplace
    xv, yv = rw.rng.normal(size=(3, 2)), rw.rng.normal(size=(2, 3))
    f(xv, yv)
    np.testing.assert_allclose(W.get_value(), np.eye(3) - 0.5 * (xv @ yv))


def test_shared_matrix_returned_as_output_is_not_overwritten(rw):
    W = symcore.shared(np.eye(2), name="W")
    x, y = T.dmatrices("x", "y")
    f = rw.function([x, y], W + 0, updates=[(W, W - T.dot(x, y))])
    xv, yv = rw.rng.normal(size=(2, 2)), rw.rng.normal(size=(2, 2))
    out = f(xv, yv)
    np.testing.assert_array_equal(out, np.eye(2))
    np.testing.assert_allclose(W.get_value(), np.eye(2) - xv @ yv)


def test_inplace_can_be_excluded(rw):
    x, y = T.dmatrices("x", "y")
    f = rw.function([x, y], T.tanh(T.dot(x, y)) + 1, mode=rw.FAST_RUN.excluding("inplace"))
    assert not _destroyers(rw, f)
    g = rw.function([x, y], T.tanh(T.dot(x, y)) + 1, mode=rw.FAST_RUN.excluding("inplace_elemwise"))
    assert not [n for n in _destroyers(rw, g) if isinstance(n.op, Elemwise)]


def test_rewritten_graphs_pass_debugmode(rw):
    """DebugMode checks each rewrite's replacement value, destroy/view honesty and
    infer_shape on graphs using every family of rewrites."""
    from symcore.compile.mode import get_mode

    dm = get_mode("DebugMode")
    x, y, z = T.dmatrices("x", "y", "z")
    v, u = T.dvectors("v", "u")
    cases = [
        ([x, y], [(x + y) + (x + y), x / x, x.T.sum(0) - x[1:][::2].sum(0)]),
        ([x, y, z], [z - 0.1 * T.dot(x, y), T.tanh(T.dot(x, y)) * 2 + 1]),
        ([x, v], [T.dot(x, v), T.outer(v, v) * 3, T.set_subtensor(T.zeros_like(x)[1:], 1.0)]),
        ([v, u], [T.exp(v) * u - v, (v * u) / u, v**2, v**0.5, T.dot(v, T.outer(u, v))]),
    ]
    for ins, outs in cases:
        f = symcore.function(ins, outs, mode=dm)
        vals = [rw.rng.uniform(0.5, 1.5, size=(4, 4) if i.ndim == 2 else 4) for i in ins]
        ref = rw.reference(ins, outs)
        for got, exp in zip(f(*vals), ref(*vals), strict=True):
            np.testing.assert_allclose(got, exp, rtol=1e-12)
