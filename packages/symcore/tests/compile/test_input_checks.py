"""Checking arguments and inputs: dtypes, ndim, broadcastable dims, argument counts,
unused/missing/duplicated inputs, shared variables and constants as inputs, run-time
shape errors."""

import warnings

import numpy as np
import pytest
import symcore.tensor as T
from symcore.compile.function import function
from symcore.compile.function_maker import UnusedInputError
from symcore.compile.io import In
from symcore.compile.sharedvalue import shared
from symcore.config import config
from symcore.graph.fg import MissingInputError


def test_lossy_dtype_is_a_type_error_naming_the_argument():
    x = T.fvector("x")
    y = T.fvector("y")
    f = function([x, y], x + y, name="adder")
    with pytest.raises(TypeError) as info:
        f(np.ones(2, dtype="float32"), np.ones(2, dtype="float64"))
    msg = str(info.value)
    assert 'Bad input argument with name "y"' in msg
    assert 'symcore function with name "adder"' in msg
    assert "at index 1 (0-based)" in msg
    assert "float32" in msg and "float64" in msg


def test_allow_input_downcast_casts():
    x = T.fvector("x")
    f = function([x], x * 2, allow_input_downcast=True)
    out = f(np.array([1.5, 2.5]))
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, np.array([3.0, 5.0], dtype="float32"))
    g = function([In(x, allow_downcast=True)], x * 2)
    assert g(np.array([1.0])).dtype == np.float32


def test_safe_upcast_is_accepted():
    x = T.dvector("x")
    f = function([x], x * 2)
    out = f(np.array([1, 2], dtype="int32"))
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out, [2.0, 4.0])


def test_python_lists_and_scalars_are_accepted():
    x = T.dmatrix("x")
    s = T.lscalar("s")
    f = function([x, s], x * s)
    np.testing.assert_array_equal(f([[1, 2], [3, 4]], 2), [[2.0, 4.0], [6.0, 8.0]])
    i = T.ivector("i")
    g = function([i], i + 1)
    assert g([1, 2]).dtype == np.int32


def test_python_float_into_floatx_scalar():
    with config.change_flags(floatX="float32"):
        x = T.scalar("x")
        f = function([x], x * 2)
        out = f(0.1)
    assert out.dtype == np.float32


def test_wrong_ndim_is_a_type_error():
    x = T.dmatrix("x")
    f = function([x], x * 2)
    with pytest.raises(TypeError, match='name "x".*index 0') as info:
        f(np.ones(3))
    assert "dimensions" in str(info.value)


def test_non_unit_broadcastable_dimension_is_a_type_error():
    r = T.drow("r")
    f = function([r], r * 2)
    np.testing.assert_array_equal(f(np.ones((1, 3))), 2 * np.ones((1, 3)))
    with pytest.raises(TypeError, match="broadcastable"):
        f(np.ones((2, 3)))


def test_strict_input():
    x = T.dvector("x")
    f = function([In(x, strict=True)], x * 2)
    np.testing.assert_array_equal(f(np.ones(2)), [2.0, 2.0])
    with pytest.raises(TypeError, match='name "x"'):
        f([1.0, 2.0])


def test_too_many_arguments():
    x = T.dscalar("x")
    f = function([x], x + 1)
    with pytest.raises(TypeError, match="1 positional argument"):
        f(1.0, 2.0)


def test_missing_arguments_are_named():
    x, y, z = T.dscalars("x", "y", "z")
    f = function([x, y, z], x + y + z)
    with pytest.raises(TypeError, match=r"Missing required input.*y \(index 1\).*z \(index 2\)"):
        f(1.0)


def test_multiple_values_and_unknown_keyword():
    x, y = T.dscalars("x", "y")
    f = function([x, y], x + y)
    with pytest.raises(TypeError, match="Multiple values for input 'x'"):
        f(1.0, 2.0, x=3.0)
    with pytest.raises(TypeError, match="unexpected keyword argument 'q'"):
        f(1.0, 2.0, q=3.0)


def test_unused_input_raises_by_default():
    x, y = T.dscalars("x", "y")
    with pytest.raises(UnusedInputError, match=r"index 1 \(y"):
        function([x, y], x * 2)


def test_unused_input_warn_and_ignore():
    x, y = T.dscalars("x", "y")
    with pytest.warns(UserWarning, match="not part of the computational graph"):
        f = function([x, y], x * 2, on_unused_input="warn")
    assert float(f(1.0, 5.0)) == 2.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        g = function([x, y], x * 2, on_unused_input="ignore")
    assert float(g(1.0, 5.0)) == 2.0
    with pytest.raises(ValueError, match="on_unused_input"):
        function([x, y], x * 2, on_unused_input="sometimes")


def test_unused_input_follows_config_flag():
    x, y = T.dscalars("x", "y")
    with config.change_flags(on_unused_input="ignore"):
        f = function([x, y], x * 2)
    assert float(f(1.0, 0.0)) == 2.0


def test_input_used_only_by_an_update_is_used():
    s = shared(0.0)
    x, y = T.dscalars("x", "y")
    f = function([x, y], x * 2, updates=[(s, s + y)])
    f(1.0, 3.0)
    assert float(s.get_value()) == 3.0


def test_duplicated_input():
    x = T.dscalar("x")
    with pytest.raises(ValueError, match="used twice"):
        function([x, x], x * 2)


def test_shared_variable_as_explicit_input():
    s = shared(1.0, name="s")
    with pytest.raises(TypeError, match="shared variable s .*givens"):
        function([s], s * 2)


def test_constant_as_input():
    c = T.constant(2.0)
    with pytest.raises(TypeError, match="constant"):
        function([c], c * 2)


def test_value_as_input_spec():
    with pytest.raises(TypeError, match="not a symbolic variable"):
        function([np.zeros(2)], None)


def test_missing_input_names_the_variable_and_the_line():
    x, y = T.dscalars("x", "forgotten")
    out = x + y  # the user line the error points at
    with pytest.raises(MissingInputError) as info:
        function([x], out)
    msg = str(info.value)
    assert "forgotten" in msg
    assert "test_input_checks.py" in msg and "out = x + y" in msg
    assert info.value.variable is y


def test_runtime_shape_mismatch_names_op_shapes_and_line():
    x, y = T.dvectors("x", "y")
    z = x + y  # line reported in the error
    f = function([x, y], z)
    with pytest.raises(ValueError) as info:
        f(np.ones(2), np.ones(3))
    msg = str(info.value)
    assert "(2,)" in msg and "(3,)" in msg
    assert "float64" in msg
    assert "test_input_checks.py" in msg and "z = x + y" in msg
    assert info.value.node.op == z.owner.op


def test_trusted_inputs_skip_conversion_errors():
    x = T.dvector("x")
    f = function([x], x * 2)
    f.trust_input = True
    # no conversion: an int array goes straight to the thunk. The reference backend's Op
    # computes with it; a backend whose thunk validates its inputs (linker_report.
    # validates_inputs, e.g. the C backend) refuses it with a TypeError, never a crash.
    report = getattr(f.maker.fgraph, "linker_report", None)
    if report is not None and report.validates_inputs:
        with pytest.raises(TypeError, match="dtype"):
            f(np.array([1, 2]))
        return
    out = f(np.array([1, 2]))
    np.testing.assert_array_equal(out, [2, 4])
