"""``compute_test_value``: errors at graph-construction time, end to end."""

import warnings

import numpy as np
import pytest
import symcore
import symcore.tensor as T
from symcore.graph.utils import TestValueError
from symcore.printing import debugprint

change_flags = symcore.config.change_flags


def test_seed_program_shape_error_raises_on_the_line_that_builds_it():
    rng = np.random.default_rng(0)
    with change_flags(compute_test_value="raise"):
        x = T.dmatrix("x")
        x.tag.test_value = rng.random((5, 10))
        y = T.dmatrix("y")
        y.tag.test_value = rng.random((4, 3))
        with pytest.raises(TestValueError) as info:
            T.dot(x, y)  # the line named in the message
    msg = str(info.value)
    assert "Dot" in msg
    assert "(5, 10)" in msg and "(4, 3)" in msg
    assert "float64" in msg
    assert __file__ in msg and "T.dot(x, y)" in msg


def test_test_value_error_is_a_value_error():
    assert issubclass(TestValueError, ValueError)


def test_test_values_propagate_and_equal_numpy():
    rng = np.random.default_rng(1)
    xv, yv = rng.random((5, 10)), rng.random((10, 3))
    with change_flags(compute_test_value="raise"):
        x, y = T.dmatrices("x", "y")
        x.tag.test_value = xv
        y.tag.test_value = yv
        z = T.tanh(T.dot(x, y) + 1.0).sum(axis=0)
    np.testing.assert_allclose(z.tag.test_value, np.tanh(xv @ yv + 1.0).sum(axis=0))
    np.testing.assert_allclose(z.get_test_value(), z.tag.test_value)
    # and the compiled function agrees with the test value
    np.testing.assert_allclose(symcore.function([x, y], z)(xv, yv), z.tag.test_value)


def test_shared_variables_and_constants_provide_their_values():
    w = symcore.shared(np.arange(6.0).reshape(2, 3), name="w")
    with change_flags(compute_test_value="raise"):
        x = T.dvector("x")
        x.tag.test_value = np.array([1.0, 2.0])
        z = T.dot(x, w) * np.array([1.0, 10.0, 100.0])
    np.testing.assert_allclose(
        z.tag.test_value, (np.array([1.0, 2.0]) @ w.get_value()) * [1, 10, 100]
    )


def test_off_computes_nothing():
    with change_flags(compute_test_value="off"):
        x, y = T.dmatrices("x", "y")
        x.tag.test_value = np.ones((5, 10))
        y.tag.test_value = np.ones((4, 3))
        z = T.dot(x, y)  # no error: test values are not computed
    assert not hasattr(z.tag, "test_value")


def test_missing_test_value_raise_ignore_warn():
    x = T.dvector("x")  # no test value
    with change_flags(compute_test_value="raise"):
        with pytest.raises(TestValueError, match="has no test value"):
            T.exp(x)
    with change_flags(compute_test_value="ignore"):
        z = T.exp(x)
    assert not hasattr(z.tag, "test_value")
    with change_flags(compute_test_value="warn"):
        with pytest.warns(UserWarning, match="has no test value"):
            z = T.exp(x)
    assert not hasattr(z.tag, "test_value")


def test_ignore_still_reports_shape_errors_when_values_exist():
    with change_flags(compute_test_value="ignore"):
        x, y = T.dvectors("x", "y")
        x.tag.test_value = np.ones(3)
        y.tag.test_value = np.ones(4)
        with pytest.raises(TestValueError, match=r"\(3,\).*\(4,\)|\(4,\).*\(3,\)"):
            x + y


def test_test_value_is_checked_against_the_type():
    x = T.dmatrix("x")
    with pytest.raises(TypeError, match="dimensions"):
        x.tag.test_value = np.ones(3)
    f = T.fvector("f")
    f.tag.test_value = np.array([1, 2], dtype=np.int16)  # converted like a function input
    assert f.tag.test_value.dtype == np.float32
    with pytest.raises(TypeError, match="loss of precision"):
        f.tag.test_value = np.array([1.0, 2.0])  # float64 into float32 would lose precision


def test_get_test_value_without_one_raises():
    with pytest.raises(TestValueError, match="no test value"):
        T.dvector("x").get_test_value()


def test_random_draws_get_test_values():
    from symcore.tensor.shared_randomstreams import RandomStreams

    with change_flags(compute_test_value="raise"):
        srng = RandomStreams(3)
        u = srng.uniform((2, 3))
        z = u * 2
    assert u.tag.test_value.shape == (2, 3)
    np.testing.assert_allclose(z.tag.test_value, u.tag.test_value * 2)


def test_debugprint_shows_test_values_with_print_test_value_flag():
    with change_flags(compute_test_value="raise"):
        x = T.dvector("x")
        x.tag.test_value = np.array([1.0, 4.0])
        z = T.sqrt(x)
    with change_flags(print_test_value=True):
        text = debugprint(z, file="str")
    assert "test_value=[1., 2.]" in text
    assert "test_value" not in debugprint(z, file="str")


def test_no_warning_when_all_values_present():
    with change_flags(compute_test_value="warn"):
        x = T.dvector("x")
        x.tag.test_value = np.ones(2)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            T.exp(x)
