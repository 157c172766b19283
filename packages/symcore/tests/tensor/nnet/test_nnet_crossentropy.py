"""Cross-entropies: binary (probabilities and logits), categorical (one-hot/probability
targets and integer labels), the 1-hot Ops and CrossentropySoftmaxArgmax1HotWithBias:
values against NumPy, stability, errors, infer_shape and gradients."""

import numpy as np
import pytest
import symcore
import symcore.tensor as T
from symcore.gradient import grad, verify_grad
from symcore.tensor.nnet import (
    CrossentropyCategorical1Hot,
    CrossentropyCategorical1HotGrad,
    CrossentropySoftmaxArgmax1HotWithBias,
    LabelMask,
    binary_crossentropy,
    categorical_crossentropy,
    crossentropy_categorical_1hot,
    crossentropy_softmax_1hot,
    crossentropy_softmax_1hot_with_bias,
    crossentropy_softmax_argmax_1hot_with_bias,
    sigmoid,
    sigmoid_binary_crossentropy,
    softmax,
)
from symcore.tensor.shape import shape_i

rng = np.random.default_rng(5)


def run(outputs, inputs, *values):
    return symcore.function(list(inputs), outputs)(*values)


def np_softmax(a):
    e = np.exp(a - a.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def np_sigmoid(a):
    return np.exp(-np.logaddexp(0.0, -a))  # 1 / (1 + exp(-a)) without overflow


def probs(*shape):
    return np_softmax(rng.normal(size=shape))


# ---------------------------------------------------------------------------------------
# binary
# ---------------------------------------------------------------------------------------


def test_binary_crossentropy_formula():
    o, t = T.dmatrix("o"), T.dmatrix("t")
    a, b = rng.uniform(0.05, 0.95, size=(3, 4)), rng.uniform(0, 1, size=(3, 4))
    out = run(binary_crossentropy(o, t), [o, t], a, b)
    np.testing.assert_allclose(out, -(b * np.log(a) + (1 - b) * np.log(1 - a)))
    assert binary_crossentropy(T.fvector(), T.fvector()).dtype == "float32"
    verify_grad(binary_crossentropy, [a, b], rng=rng)


def test_sigmoid_binary_crossentropy_matches_and_is_stable():
    x, t = T.dvector("x"), T.dvector("t")
    a = np.array([-3.0, -0.5, 0.0, 0.7, 4.0])
    b = np.array([0.0, 1.0, 0.3, 1.0, 0.0])
    out = run(sigmoid_binary_crossentropy(x, t), [x, t], a, b)
    p = np_sigmoid(a)
    np.testing.assert_allclose(out, -(b * np.log(p) + (1 - b) * np.log(1 - p)))
    big = run(
        sigmoid_binary_crossentropy(x, t),
        [x, t],
        np.array([1000.0, -1000.0, 1000.0]),
        np.array([0.0, 1.0, 1.0]),
    )
    np.testing.assert_allclose(big, [1000.0, 1000.0, 0.0])
    assert sigmoid_binary_crossentropy(T.fvector(), T.fvector()).dtype == "float32"


def test_sigmoid_binary_crossentropy_grad_is_exact_including_zero():
    x, t = T.dvector("x"), T.dvector("t")
    a = np.array([-1000.0, -2.0, 0.0, 3.0, 1000.0])
    b = np.array([1.0, 0.2, 0.7, 0.0, 0.0])
    gx, gt = run(grad(T.sum(sigmoid_binary_crossentropy(x, t)), [x, t]), [x, t], a, b)
    np.testing.assert_allclose(gx, np_sigmoid(a) - b)
    np.testing.assert_allclose(gt, -a)
    verify_grad(
        sigmoid_binary_crossentropy, [rng.normal(size=(2, 3)), rng.uniform(size=(2, 3))], rng=rng
    )


# ---------------------------------------------------------------------------------------
# categorical
# ---------------------------------------------------------------------------------------


def test_categorical_crossentropy_onehot_and_labels_agree():
    c, t, y = T.dmatrix("c"), T.dmatrix("t"), T.lvector("y")
    p = probs(4, 3)
    labels = np.array([0, 2, 1, 2])
    onehot = np.eye(3)[labels]
    a, b = run(
        [categorical_crossentropy(c, t), categorical_crossentropy(c, y)],
        [c, t, y],
        p,
        onehot,
        labels,
    )
    expected = -np.log(p[np.arange(4), labels])
    np.testing.assert_allclose(a, expected)
    np.testing.assert_allclose(b, expected)
    assert isinstance(categorical_crossentropy(c, y).owner.op, CrossentropyCategorical1Hot)


def test_categorical_crossentropy_soft_targets_and_3d():
    c, t = T.dtensor3("c"), T.dtensor3("t")
    p, q = probs(2, 3, 4), probs(2, 3, 4)
    np.testing.assert_allclose(
        run(categorical_crossentropy(c, t), [c, t], p, q), -(q * np.log(p)).sum(-1)
    )
    y = T.imatrix("y")
    labels = rng.integers(0, 4, size=(2, 3)).astype("int32")
    out = run(crossentropy_categorical_1hot(c, y), [c, y], p, labels)
    np.testing.assert_allclose(out, -np.log(np.take_along_axis(p, labels[..., None], -1)[..., 0]))


def test_categorical_crossentropy_dtypes():
    c = T.fmatrix("c")
    assert categorical_crossentropy(c, T.ivector()).dtype == "float32"
    assert categorical_crossentropy(c, T.fmatrix()).dtype == "float32"


def test_categorical_crossentropy_errors():
    c = T.dmatrix("c")
    with pytest.raises(TypeError, match="rank mismatch"):
        categorical_crossentropy(c, T.dtensor3())
    with pytest.raises(TypeError, match="integers"):
        categorical_crossentropy(c, T.dvector())
    y = T.lvector("y")
    f = symcore.function([c, y], categorical_crossentropy(c, y))
    with pytest.raises(IndexError, match=r"CrossentropyCategorical1Hot.*label 3.*3 classes"):
        f(probs(2, 3), np.array([0, 3]))
    with pytest.raises(IndexError, match="label -1"):
        f(probs(2, 3), np.array([-1, 0]))
    with pytest.raises(ValueError, match="do not match"):
        f(probs(2, 3), np.array([0, 1, 2]))


def test_1hot_infer_shape_and_empty():
    c, y = T.dmatrix("c"), T.lvector("y")
    out = crossentropy_categorical_1hot(c, y)
    node = out.owner
    shp = node.op.infer_shape(node, [(shape_i(c, 0), shape_i(c, 1)), (shape_i(y, 0),)])[0]
    val, n = run([out, T.as_tensor_variable(shp[0])], [c, y], probs(3, 4), np.array([0, 1, 3]))
    assert val.shape == (int(n),)
    empty = run(out, [c, y], np.zeros((0, 4)), np.zeros(0, dtype="int64"))
    assert empty.shape == (0,)


def test_1hot_grads_first_and_second_order():
    labels = np.array([1, 0, 2])
    verify_grad(
        lambda c: crossentropy_categorical_1hot(c, T.constant(labels)), [probs(3, 3)], rng=rng
    )
    verify_grad(
        lambda c: categorical_crossentropy(c, T.constant(np.eye(3)[labels])), [probs(3, 3)], rng=rng
    )
    verify_grad(
        lambda g, c: CrossentropyCategorical1HotGrad()(g, c, T.constant(labels)),
        [rng.normal(size=3), probs(3, 3)],
        rng=rng,
    )
    c, y = T.dmatrix("c"), T.lvector("y")
    g = run(grad(T.sum(crossentropy_categorical_1hot(c, y)), c), [c, y], probs(3, 3) + 0.0, labels)
    assert (g[np.arange(3), labels] < 0).all()
    g[np.arange(3), labels] = 0
    assert not g.any()


def test_1hot_grad_with_underflowed_probabilities_has_no_nan():
    c, y = T.dmatrix("c"), T.lvector("y")
    p = np.array([[0.0, 1.0], [1.0, 0.0]])
    g = run(grad(T.sum(crossentropy_categorical_1hot(c, y)), c), [c, y], p, np.array([1, 0]))
    np.testing.assert_array_equal(g, [[0.0, -1.0], [-1.0, 0.0]])


def test_label_mask():
    c, y = T.dmatrix("c"), T.lvector("y")
    out = run(LabelMask()(c, y), [c, y], np.zeros((3, 4)), np.array([3, 0, 1]))
    np.testing.assert_array_equal(out, np.eye(4)[[3, 0, 1]])


# ---------------------------------------------------------------------------------------
# softmax + nll in one node
# ---------------------------------------------------------------------------------------


def test_crossentropy_softmax_argmax_1hot_with_bias_values():
    x, b, y = T.dmatrix("x"), T.dvector("b"), T.lvector("y")
    a, bb = rng.normal(size=(4, 3)), rng.normal(size=3)
    labels = np.array([2, 0, 1, 1])
    nll, sm, am = crossentropy_softmax_argmax_1hot_with_bias(x, b, y)
    out = run([nll, sm, am], [x, b, y], a, bb, labels)
    z = a + bb
    np.testing.assert_allclose(out[1], np_softmax(z))
    np.testing.assert_allclose(out[0], -np.log(np_softmax(z)[np.arange(4), labels]))
    np.testing.assert_array_equal(out[2], z.argmax(1))
    assert out[2].dtype == np.int64


def test_crossentropy_softmax_is_stable_where_softmax_underflows():
    x, y = T.dmatrix("x"), T.lvector("y")
    a = np.array([[1000.0, 0.0], [0.0, -800.0]])
    labels = np.array([1, 1])
    nll, sm = crossentropy_softmax_1hot(x, y)
    out = run([nll, sm, grad(T.sum(nll), x)], [x, y], a, labels)
    np.testing.assert_allclose(out[0], [1000.0, 800.0])
    np.testing.assert_allclose(out[2], np_softmax(a) - np.eye(2)[labels])


def test_crossentropy_softmax_grads():
    labels = T.constant(np.array([2, 0, 1]))
    a, bb = rng.normal(size=(3, 3)), rng.normal(size=3)
    verify_grad(
        lambda x, b: crossentropy_softmax_argmax_1hot_with_bias(x, b, labels)[0], [a, bb], rng=rng
    )
    verify_grad(
        lambda x, b: crossentropy_softmax_argmax_1hot_with_bias(x, b, labels)[1], [a, bb], rng=rng
    )
    verify_grad(lambda x, b: crossentropy_softmax_1hot_with_bias(x, b, labels), [a, bb], rng=rng)
    verify_grad(lambda x: crossentropy_softmax_1hot(x, labels)[0], [a], rng=rng)


def test_crossentropy_softmax_errors_and_float32():
    with pytest.raises(TypeError, match="float matrix"):
        CrossentropySoftmaxArgmax1HotWithBias()(T.dvector(), T.dvector(), T.lvector())
    x, b, y = T.fmatrix("x"), T.fvector("b"), T.ivector("y")
    nll, sm = crossentropy_softmax_1hot_with_bias(x, b, y)
    assert nll.dtype == sm.dtype == "float32"
    f = symcore.function([x, b, y], nll)
    with pytest.raises(IndexError, match="out of bounds"):
        f(np.zeros((2, 3), "float32"), np.zeros(3, "float32"), np.array([0, 5], "int32"))
    gx = grad(T.sum(nll), x)
    assert gx.dtype == "float32"


def test_softmax_then_categorical_crossentropy_training_gradient():
    # the usual Theano classifier: nll of softmax(dot(x, W) + b) with integer labels
    x, y = T.dmatrix("x"), T.lvector("y")
    W = T.dmatrix("W")
    cost = T.mean(categorical_crossentropy(softmax(T.dot(x, W)), y))
    xs, Ws = rng.normal(size=(5, 4)), rng.normal(size=(4, 3))
    labels = rng.integers(0, 3, size=5)
    g = run(grad(cost, W), [x, y, W], xs, labels, Ws)
    expected = xs.T @ (np_softmax(xs @ Ws) - np.eye(3)[labels]) / 5
    np.testing.assert_allclose(g, expected)
    assert sigmoid(T.dvector()).ndim == 1


def test_infer_shape_of_crossentropy_ops():
    x, b, y = T.dmatrix("x"), T.dvector("b"), T.lvector("y")
    outs = list(crossentropy_softmax_argmax_1hot_with_bias(x, b, y))
    outs += [LabelMask()(x, y), CrossentropyCategorical1HotGrad()(T.dvector("g"), x, y)]
    vals = [rng.normal(size=(4, 3)), rng.normal(size=3), np.array([0, 2, 1, 1])]
    g = outs[-1].owner.inputs[0]
    for out in outs:
        node = out.owner
        in_shapes = [tuple(shape_i(v, d) for d in range(v.ndim)) for v in node.inputs]
        shp = node.op.infer_shape(node, in_shapes)[node.outputs.index(out)]
        res = symcore.function(
            [x, b, y, g], [out] + [T.as_tensor_variable(s) for s in shp], on_unused_input="ignore"
        )(*vals, np.ones(4))
        assert tuple(int(s) for s in res[1:]) == res[0].shape
