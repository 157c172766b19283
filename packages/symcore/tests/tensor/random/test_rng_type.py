"""``RandomGeneratorType`` and shared generators."""

import numpy as np
import pytest
import symcore
from symcore.tensor.random import (
    RandomGeneratorSharedVariable,
    RandomGeneratorType,
    RandomGeneratorVariable,
    random_generator_type,
)


def test_filter_accepts_generators_as_is():
    g = np.random.default_rng(3)
    assert random_generator_type.filter(g) is g
    assert random_generator_type.filter(g, strict=True) is g


def test_filter_accepts_a_state_dict_when_not_strict():
    g = np.random.default_rng(3)
    state = g.bit_generator.state
    h = random_generator_type.filter(state)
    assert isinstance(h, np.random.Generator)
    np.testing.assert_array_equal(h.uniform(size=4), np.random.default_rng(3).uniform(size=4))
    with pytest.raises(TypeError, match="numpy.random.Generator"):
        random_generator_type.filter(state, strict=True)


@pytest.mark.parametrize("bad", [np.random.RandomState(0), 3, np.zeros(3), None])
def test_filter_rejects_other_values(bad):
    with pytest.raises(TypeError, match="RandomGeneratorType expects a numpy.random.Generator"):
        random_generator_type.filter(bad)


def test_values_eq_compares_states():
    a, b = np.random.default_rng(1), np.random.default_rng(1)
    assert random_generator_type.values_eq(a, b)
    a.uniform()
    assert not random_generator_type.values_eq(a, b)
    assert not random_generator_type.values_eq(a, 1)


def test_type_equality_and_variables():
    assert RandomGeneratorType() == random_generator_type
    assert hash(RandomGeneratorType()) == hash(random_generator_type)
    v = random_generator_type("r")
    assert isinstance(v, RandomGeneratorVariable) and v.name == "r"


def test_shared_generator_is_copied_unless_borrowed():
    g = np.random.default_rng(7)
    s = symcore.shared(g)
    assert isinstance(s, RandomGeneratorSharedVariable)
    assert s.type == random_generator_type
    assert s.get_value(borrow=True) is not g
    assert random_generator_type.values_eq(s.get_value(borrow=True), g)
    b = symcore.shared(g, borrow=True)
    assert b.get_value(borrow=True) is g


def test_get_value_is_a_copy_and_set_value_restores_a_state():
    s = symcore.shared(np.random.default_rng(11))
    saved = s.get_value()
    assert saved is not s.get_value(borrow=True)
    s.get_value(borrow=True).uniform(size=10)  # advance the stored generator
    assert not random_generator_type.values_eq(saved, s.get_value(borrow=True))
    s.set_value(saved)
    assert random_generator_type.values_eq(saved, s.get_value(borrow=True))
    assert s.get_value(borrow=True) is not saved  # copied unless borrow


def test_set_value_rejects_non_generators():
    s = symcore.shared(np.random.default_rng(0))
    with pytest.raises(TypeError):
        s.set_value(np.zeros(3))
