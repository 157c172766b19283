"""``verify_grad`` and ``numeric_grad``: they accept right gradients and catch wrong ones."""

import numpy as np
import pytest
import symcore.tensor as T
from symcore.gradient import GradientError, numeric_grad, verify_grad
from symcore.graph.basic import Apply
from symcore.graph.op import Op
from symcore.testing.graph_ops import IdentityOp


class SinWithGrad(Op):
    """sin(x) whose gradient is cos(x) * factor (factor != 1 is deliberately wrong)."""

    __props__ = ("factor",)

    def __init__(self, factor=1.0):
        self.factor = factor

    def make_node(self, x):
        x = T.as_tensor_variable(x)
        return Apply(self, [x], [x.type()])

    def perform(self, node, inputs, out, params=None):
        out[0][0] = np.asarray(np.sin(inputs[0]), dtype=node.outputs[0].type.dtype)

    def grad(self, inputs, output_grads):
        return [T.cos(inputs[0]) * output_grads[0] * self.factor]


class WrongAtOneElement(IdentityOp):
    """Identity whose gradient is wrong only at flat index 3."""

    __props__ = ()

    def grad(self, inputs, output_grads):
        (x,) = inputs
        mask = np.ones((2, 3))
        mask[1, 0] = 0.0  # flat index 3
        return [output_grads[0] * T.constant(mask)]


RNG = np.random.default_rng(5)


def test_correct_gradients_pass():
    verify_grad(SinWithGrad(), [RNG.standard_normal((3, 2))], rng=np.random.default_rng(0))
    verify_grad(
        lambda a, b: T.dot(a, b) * T.exp(b).sum(),
        [RNG.standard_normal((2, 3)), RNG.standard_normal(3)],
        rng=np.random.default_rng(1),
    )


def test_wrong_gradient_is_caught_with_a_clear_message():
    pt = [RNG.standard_normal(4)]
    with pytest.raises(GradientError) as info:
        verify_grad(SinWithGrad(factor=1.1), pt, rng=np.random.default_rng(0))
    err = info.value
    msg = str(err)
    assert err.arg == 0
    assert "analytic" in msg and "numeric" in msg and "input 0" in msg
    # the reported values are the analytic and numeric gradients at the worst element
    assert err.abs_err > err.abs_tol and err.rel_err > err.rel_tol
    np.testing.assert_allclose(err.val1 / err.val2, 1.1, rtol=1e-4)
    assert err.analytic.shape == (4,) and err.numeric.shape == (4,)


def test_error_points_at_the_wrong_element():
    with pytest.raises(GradientError) as info:
        verify_grad(
            WrongAtOneElement(), [RNG.standard_normal((2, 3))], rng=np.random.default_rng(3)
        )
    err = info.value
    assert err.err_pos == (1, 0)
    assert err.val1 == 0.0 and err.val2 != 0.0
    assert "(1, 0)" in str(err)


def test_wrong_gradient_in_second_input_is_attributed():
    def fun(a, b):
        return a * 2.0 + SinWithGrad(factor=0.5)(b)

    with pytest.raises(GradientError) as info:
        verify_grad(
            fun, [RNG.standard_normal(3), RNG.standard_normal(3)], rng=np.random.default_rng(0)
        )
    assert info.value.arg == 1


def test_tolerances_can_be_loosened():
    verify_grad(
        SinWithGrad(factor=1.001),
        [RNG.standard_normal(3)],
        rng=np.random.default_rng(0),
        abs_tol=1e-2,
        rel_tol=1e-2,
    )


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")
def test_nan_gradient_is_never_accepted():
    class NanGrad(SinWithGrad):
        def grad(self, inputs, output_grads):
            return [T.log(-T.abs(inputs[0]) - 1.0) * output_grads[0]]

    with pytest.raises(GradientError):
        verify_grad(NanGrad(), [np.array([0.3, 0.4])], rng=np.random.default_rng(0))


def test_float32_inputs_use_float32_step_and_tolerance():
    pt = [RNG.standard_normal((2, 2)).astype("float32")]
    verify_grad(lambda x: T.tanh(x) * x, pt, rng=np.random.default_rng(0))
    with pytest.raises(GradientError):
        verify_grad(SinWithGrad(factor=1.2), pt, rng=np.random.default_rng(0))


def test_rng_may_be_a_randomstate_or_default():
    pt = [RNG.standard_normal(3)]
    verify_grad(SinWithGrad(), pt, rng=np.random.RandomState(0))
    verify_grad(SinWithGrad(), pt)


def test_several_outputs_are_all_projected():
    def fun(x):
        return [T.exp(x), SinWithGrad(factor=1.3)(x)]

    verify_grad(
        lambda x: [T.exp(x), T.sin(x)], [RNG.standard_normal(3)], rng=np.random.default_rng(0)
    )
    with pytest.raises(GradientError):
        verify_grad(fun, [RNG.standard_normal(3)], rng=np.random.default_rng(0))


def test_scalar_and_empty_inputs():
    verify_grad(lambda x: x * x * 3.0, [np.asarray(1.3)], rng=np.random.default_rng(0))
    verify_grad(
        lambda x, y: T.sum(x) * y, [np.zeros((0, 3)), np.asarray(2.0)], rng=np.random.default_rng(0)
    )


def test_integer_inputs_are_refused():
    with pytest.raises(TypeError, match="floating point"):
        verify_grad(lambda x: x * 2, [np.arange(3)], rng=np.random.default_rng(0))


def test_point_is_not_modified():
    p = RNG.standard_normal(3)
    keep = p.copy()
    verify_grad(SinWithGrad(), [p], rng=np.random.default_rng(0))
    np.testing.assert_array_equal(p, keep)


def test_numeric_grad_central_differences():
    def f(x, y):
        return np.sum(np.sin(x) * y) + np.sum(y**3)

    x, y = RNG.standard_normal(3), RNG.standard_normal(3)
    ng = numeric_grad(f, [x, y])
    np.testing.assert_allclose(ng.gf[0], np.cos(x) * y, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(ng.gf[1], np.sin(x) + 3 * y**2, rtol=1e-6, atol=1e-8)
    arg, pos, abs_err, rel_err = ng.max_err([np.cos(x) * y, np.sin(x) + 3 * y**2], 1e-4, 1e-4)
    assert abs_err < 1e-6
    single = numeric_grad(lambda v: np.sum(v**2), x)
    np.testing.assert_allclose(single.gf, 2 * x, rtol=1e-6)


def test_abs_rel_err_handles_non_finite_values():
    a = np.array([1.0, np.nan, np.inf, np.nan, 0.0])
    b = np.array([1.0, np.nan, np.inf, 2.0, 0.0])
    abs_err, rel_err = numeric_grad.abs_rel_err(a, b)
    np.testing.assert_array_equal(abs_err, [0.0, 0.0, 0.0, np.inf, 0.0])
    np.testing.assert_array_equal(rel_err, [0.0, 0.0, 0.0, np.inf, 0.0])


@pytest.mark.parametrize("mode", ["FAST_COMPILE", "FAST_RUN"])
def test_mode_is_used_for_compiling(mode):
    verify_grad(
        lambda x: T.tanh(x) * T.exp(x),
        [RNG.standard_normal(3)],
        rng=np.random.default_rng(0),
        mode=mode,
    )
    with pytest.raises(GradientError):
        verify_grad(SinWithGrad(factor=2.0), [RNG.standard_normal(3)], mode=mode)
