"""The seed's logistic regression (``examples/logistic_regression.py``) trains on the
reference backend.

The seed starts from ``w = randn(784)``: logits of size ~30-90, where ``1/(1+exp(-z))``
rounds to exactly 1 and the naive cross-entropy's gradient is ``0/0``. Theano trained it
thanks to its stabilization rewrites (``log(1-sigmoid(z)) -> -softplus(z)``...), which
symcore ships in the ``sym-opt-stability`` plugin (issue 6). So:

- the gradient of the seed's cost is checked against NumPy, and the seed's model is
  trained from small initial weights (no saturation) with the core alone;
- the example script itself (1000 steps from the seed's initialisation) is run as is; it
  is an expected failure only while the stabilization rewrites are absent, detected by
  probing the gradient of ``log(1 - 1/(1+exp(-z)))`` at ``z = 40``.
"""

import os
import runpy
from pathlib import Path

import numpy as np
import pytest
import symcore
import symcore.tensor as T

EXAMPLE = Path(__file__).resolve().parents[4] / "examples" / "logistic_regression.py"
REF_MODE = symcore.Mode(linker="py")


def _seed_graph(w_init, feats):
    x = T.dmatrix("x")
    y = T.dvector("y")
    w = symcore.shared(w_init, name="w")
    b = symcore.shared(0.0, name="b")
    p_1 = 1 / (1 + T.exp(-T.dot(x, w) - b))
    prediction = p_1 > 0.5
    xent = -y * T.log(p_1) - (1 - y) * T.log(1 - p_1)
    cost = xent.mean() + 0.01 * (w**2).sum()
    gw, gb = T.grad(cost, [w, b])
    return x, y, w, b, prediction, xent, cost, gw, gb


def test_gradient_of_the_seed_cost_matches_numpy():
    rng = np.random.RandomState(0)
    N, feats = 50, 20
    X, Y = rng.randn(N, feats), rng.randint(size=N, low=0, high=2)
    w0 = rng.randn(feats) * 0.1
    x, y, w, b, _, _, cost, gw, gb = _seed_graph(w0.copy(), feats)
    f = symcore.function([x, y], [cost, gw, gb], mode=REF_MODE)
    c, got_w, got_b = f(X, Y)
    p = 1 / (1 + np.exp(-X @ w0))
    expected_cost = np.mean(-Y * np.log(p) - (1 - Y) * np.log(1 - p)) + 0.01 * np.sum(w0**2)
    np.testing.assert_allclose(c, expected_cost)
    np.testing.assert_allclose(got_w, X.T @ (p - Y) / N + 0.02 * w0)
    np.testing.assert_allclose(got_b, np.mean(p - Y))


def test_seed_model_trains_with_the_core_alone():
    rng = np.random.RandomState(42)
    N, feats = 400, 784
    D = (rng.randn(N, feats), rng.randint(size=N, low=0, high=2))
    x, y, w, b, prediction, xent, _, gw, gb = _seed_graph(rng.randn(feats) * 0.01, feats)
    train = symcore.function(
        inputs=[x, y],
        outputs=[prediction, xent],
        updates=((w, w - 0.1 * gw), (b, b - 0.1 * gb)),
        mode=REF_MODE,
    )
    predict = symcore.function(inputs=[x], outputs=prediction, mode=REF_MODE)
    for _ in range(300):
        pred, err = train(D[0], D[1])
    assert np.all(np.isfinite(w.get_value()))
    accuracy = np.mean(predict(D[0]) == D[1])
    assert accuracy > 0.99, accuracy


def _stabilization_present() -> bool:
    z = T.dscalar("z")
    p = 1 / (1 + T.exp(-z))
    g = T.grad(T.log(1 - p), z)
    with np.errstate(all="ignore"):
        return bool(np.isfinite(symcore.function([z], g, mode=REF_MODE)(40.0)))


@pytest.mark.xfail(
    not _stabilization_present(),
    strict=True,
    reason="the seed starts saturated: it needs the stabilization rewrites of "
    "sym-opt-stability (issue 6), which are not installed or not implemented yet",
)
def test_example_script_trains_to_99_percent(capsys, monkeypatch):
    monkeypatch.setenv("SYMCORE_DEMO_STEPS", "1000")
    monkeypatch.setattr("sys.argv", [str(EXAMPLE)])
    np.random.seed(1234)  # the script draws from the global numpy.random, as the seed does
    with np.errstate(all="ignore"):
        namespace = runpy.run_path(str(EXAMPLE), run_name="__main__")
    out = capsys.readouterr().out
    assert "Initial model:" in out and "Final model:" in out and "prediction on D:" in out
    D, predict = namespace["D"], namespace["predict"]
    assert namespace["training_steps"] == 1000
    accuracy = np.mean(predict(D[0]) == D[1])
    assert accuracy > 0.99, accuracy
    assert f"training accuracy: {accuracy}" in out


def test_example_keeps_the_seed_default_of_10000_steps():
    source = EXAMPLE.read_text()
    assert "training_steps = 10000" in source and "SYMCORE_DEMO_STEPS" in source
    for line in (
        "N = 400",
        "feats = 784",
        'x = T.dmatrix("x")',
        'y = T.dvector("y")',
        "gw, gb = T.grad(cost, [w, b])",
        "prediction = p_1 > 0.5",
    ):
        assert line in source, line
    assert os.path.basename(EXAMPLE) == "logistic_regression.py"
