"""Drawing in place on the generator (``random_make_inplace``) only where it is safe."""

import numpy as np
import symcore
from symcore.tensor.random import basic as R
from symcore.tensor.random import random_generator_type
from symcore.tensor.random.op import copy_generator


def _rv_ops(f):
    return [n.op for n in f.maker.fgraph.toposort() if isinstance(n.op, R.RandomVariable)]


def test_copy_generator_is_an_independent_generator_in_the_same_state():
    for bitgen in (np.random.PCG64, np.random.MT19937, np.random.Philox, np.random.SFC64):
        g = np.random.Generator(bitgen(5))
        g.uniform(size=3)
        h = copy_generator(g)
        assert h is not g and h.bit_generator is not g.bit_generator
        assert random_generator_type.values_eq(g, h)
        np.testing.assert_array_equal(h.normal(size=4), g.normal(size=4))
        h.uniform(size=7)  # advancing the copy leaves the original alone
        assert not random_generator_type.values_eq(g, h)


def test_updated_stream_draws_in_place_and_stays_correct():
    rng = symcore.shared(np.random.default_rng(3))
    u = R.uniform(size=(3,), rng=rng)
    f = symcore.function([], u, updates=[(rng, u.owner.outputs[0])])
    assert [op.inplace for op in _rv_ops(f)] == [True]
    ref = np.random.default_rng(3)
    for _ in range(3):
        np.testing.assert_array_equal(f(), ref.uniform(size=3))
    assert random_generator_type.values_eq(rng.get_value(borrow=True), ref)


def test_not_in_place_without_an_update():
    rng = symcore.shared(np.random.default_rng(3))
    u = R.uniform(size=(3,), rng=rng)
    rng.default_update = u.owner.outputs[0]
    g = symcore.function([], u, no_default_updates=True)
    assert [op.inplace for op in _rv_ops(g)] == [False]
    before = rng.get_value()
    g()
    assert random_generator_type.values_eq(rng.get_value(borrow=True), before)


def test_two_readers_of_one_generator_both_see_the_old_state():
    rng = symcore.shared(np.random.default_rng(8))
    a = R.uniform(size=(2,), rng=rng)
    b = R.normal(size=(2,), rng=rng)
    f = symcore.function([], [a, b], updates=[(rng, a.owner.outputs[0])])
    assert sum(op.inplace for op in _rv_ops(f)) <= 1
    ra, rb = f()
    np.testing.assert_array_equal(ra, np.random.default_rng(8).uniform(size=2))
    np.testing.assert_array_equal(rb, np.random.default_rng(8).normal(size=2))


def test_generator_given_as_an_explicit_input_is_never_modified():
    rng = random_generator_type("rng")
    u = R.uniform(size=(2,), rng=rng)
    f = symcore.function([rng], [u, u.owner.outputs[0]])
    assert [op.inplace for op in _rv_ops(f)] == [False]
    g = np.random.default_rng(1)
    before = copy_generator(g)
    vals, nxt = f(g)
    assert random_generator_type.values_eq(g, before)
    np.testing.assert_array_equal(vals, np.random.default_rng(1).uniform(size=2))
    assert nxt is not g
