"""NanGuardMode stops at the first node producing NaN / Inf / big values."""

from __future__ import annotations

import numpy as np
import pytest
import symcore
import symcore.tensor as T
from symcore.compile.mode import get_mode
from symcore.compile.nanguardmode import NanGuardError, NanGuardMode


def test_clean_values_pass():
    x = T.dvector("x")
    f = symcore.function([x], T.log(x) * 2, mode=NanGuardMode())
    xv = np.array([1.0, 2.0])
    np.testing.assert_allclose(f(xv), np.log(xv) * 2)


def test_nan_is_reported_at_the_producing_node():
    x = T.dvector("x")
    f = symcore.function([x], T.exp(T.log(x) * 2), mode=NanGuardMode())
    with np.errstate(invalid="ignore"):
        with pytest.raises(NanGuardError, match=r"output 0 of .*log.* contains NaN") as err:
            f(np.array([1.0, -1.0]))
    assert isinstance(err.value, AssertionError)
    assert "test_nanguard.py" in str(err.value)  # the user's line that built the node


def test_inf_and_flags():
    x = T.dvector("x")
    with np.errstate(divide="ignore"):
        f = symcore.function([x], T.log(x), mode=NanGuardMode())
        with pytest.raises(NanGuardError, match="Inf"):
            f(np.array([0.0]))
        g = symcore.function([x], T.log(x), mode=NanGuardMode(inf_is_error=False))
        assert np.isneginf(g(np.array([0.0]))).all()


def test_big_values_only_when_asked():
    x = T.dvector("x")
    xv = np.array([30.0])
    f = symcore.function([x], T.exp(x), mode=NanGuardMode())
    np.testing.assert_allclose(f(xv), np.exp(xv))
    g = symcore.function([x], T.exp(x), mode=NanGuardMode(big_is_error=True))
    with pytest.raises(NanGuardError, match="big values"):
        g(xv)


def test_bad_input_is_reported_as_input():
    x = T.dvector("x")
    f = symcore.function([x], x * 2, mode=NanGuardMode())
    with pytest.raises(NanGuardError, match="input x"):
        f(np.array([np.nan]))


def test_integer_outputs_are_not_checked():
    i = T.lvector("i")
    f = symcore.function([i], i * 2, mode=NanGuardMode(big_is_error=True))
    np.testing.assert_array_equal(f(np.array([10**12])), [2 * 10**12])


def test_mode_by_name():
    assert isinstance(get_mode("NanGuardMode"), NanGuardMode)
    x = T.dvector("x")
    f = symcore.function([x], T.sqrt(x), mode="NanGuardMode")
    with np.errstate(invalid="ignore"):
        with pytest.raises(NanGuardError):
            f(np.array([-4.0]))
