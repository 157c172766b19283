"""The compiled loop the C backend registers for scan (``sym_backend_c.ops.scan``) gives
exactly what the Python loop gives, and reports errors the same way."""

import numpy as np
import pytest
import symcore
import symcore.tensor as T
from symcore.scan import loop as scan_loop
from symcore.scan import scan, until

sym_backend_c = pytest.importorskip("sym_backend_c.ops.scan")


@pytest.fixture
def python_loop():
    """Run with the Python loop, then restore the compiled one."""
    saved = scan_loop._driver_factory
    scan_loop.set_loop_driver(None)
    yield
    scan_loop.set_loop_driver(saved)


def _graph():
    x = T.dmatrix("x")
    h0 = T.dvector("h0")
    f0 = T.dmatrix("f0")
    acc = symcore.shared(np.float64(0.0), name="acc")

    def step(xt, h, f2, f1):
        return [T.tanh(h + xt), f1 * 0.5 + f2 + xt.sum(), (h * xt).sum()], {acc: acc + xt.sum()}

    (hs, fs, ys), upd = scan(
        step, sequences=x, outputs_info=[h0, dict(initial=f0, taps=[-2, -1]), None]
    )
    return [x, h0, f0], [hs, fs, ys, hs[-1], ys[-2:]], upd, acc


def test_compiled_loop_is_registered_and_built():
    assert scan_loop._driver() is not None


def test_compiled_loop_matches_python_loop(request):
    ins, outs, upd, acc = _graph()
    f = symcore.function(ins, outs, updates=upd)
    rng = np.random.default_rng(5)
    args = rng.standard_normal((70, 3)), rng.standard_normal(3), rng.standard_normal((2, 3))
    compiled = f(*args)
    acc_compiled = acc.get_value()
    acc.set_value(0.0)
    saved = scan_loop._driver_factory
    scan_loop.set_loop_driver(None)
    try:
        reference = f(*args)
    finally:
        scan_loop.set_loop_driver(saved)
    for a, b in zip(compiled, reference, strict=True):
        np.testing.assert_array_equal(a, b)
    assert acc_compiled == acc.get_value() == pytest.approx(args[0].sum())


def test_compiled_while_loop():
    x0 = T.dscalar("x0")
    out, _ = scan(lambda x: (x * 2, until(x * 2 > 100)), outputs_info=x0, n_steps=50)
    np.testing.assert_allclose(symcore.function([x0], out)(3.0), [6, 12, 24, 48, 96, 192])


def test_compiled_loop_shape_error_names_the_step():
    h0 = T.dvector("h0")
    n = T.lscalar("n")
    out, _ = scan(lambda h, n: h[: n + 1] * 1.0, outputs_info=h0, non_sequences=n, n_steps=3)
    f = symcore.function([h0, n], out)
    with pytest.raises(ValueError, match="at step 0 .* shape"):
        f(np.ones(3), 1)


def test_compiled_loop_step_error_names_the_step():
    x = T.dvector("x")
    idx = T.lvector("idx")
    out, _ = scan(lambda i, x: x[i], sequences=idx, non_sequences=x)
    f = symcore.function([idx, x], out)
    with pytest.raises(IndexError) as info:
        f(np.array([0, 1, 7]), np.arange(3.0))
    assert "step 2 of Scan" in str(info.value)


def test_python_loop_gives_the_same_errors(python_loop):
    x = T.dvector("x")
    idx = T.lvector("idx")
    out, _ = scan(lambda i, x: x[i], sequences=idx, non_sequences=x)
    f = symcore.function([idx, x], out)
    with pytest.raises(IndexError) as info:
        f(np.array([0, 1, 7]), np.arange(3.0))
    assert "step 2 of Scan" in str(info.value)
