"""Scan with the rest of symcore: the step compiled once per mode, pickling, printing,
test values, DebugMode, the Scan node's layout for backends."""

import pickle

import numpy as np
import symcore
import symcore.tensor as T
from symcore.scan import Scan, scan


def _acc():
    x = T.dvector("x")
    h0 = T.dscalar("h0")
    out, _ = scan(lambda v, h: h * 0.5 + v, sequences=x, outputs_info=h0, name="acc")
    return x, h0, out


def _numpy_acc(xv, h):
    res = []
    for v in xv:
        h = h * 0.5 + v
        res.append(h)
    return np.array(res)


def test_step_is_compiled_once_and_reused():
    x, h0, out = _acc()
    f = symcore.function([x, h0], out)
    (node,) = [n for n in f.maker.fgraph.toposort() if isinstance(n.op, Scan)]
    step = node.op.inner_function()
    for n in (3, 50):
        xv = np.arange(float(n))
        np.testing.assert_allclose(f(xv, 1.0), _numpy_acc(xv, 1.0))
    assert node.op.inner_function() is step
    assert len(node.op._compiled) == 1


def test_step_uses_the_active_linker():
    from symcore.link.reference import ReferenceLinker

    x, h0, out = _acc()
    with symcore.config.change_flags(linker="py"):
        f = symcore.function([x, h0], out)
        (node,) = [n for n in f.maker.fgraph.toposort() if isinstance(n.op, Scan)]
        linker = node.op.inner_function().maker.linker
        assert isinstance(getattr(linker, "inner", linker), ReferenceLinker)
        np.testing.assert_allclose(f(np.arange(4.0), 2.0), _numpy_acc(np.arange(4.0), 2.0))


def test_pickle_compiled_function():
    x, h0, out = _acc()
    f = symcore.function([x, h0], out)
    g = pickle.loads(pickle.dumps(f))
    np.testing.assert_allclose(g(np.arange(3.0), 1.0), _numpy_acc(np.arange(3.0), 1.0))


def test_debugprint_shows_the_inner_graph(capsys):
    _, _, out = _acc()
    text = symcore.printing.debugprint(out, file="str")
    assert "Scan{acc}" in text
    assert "h0[t-1]" in text and "x[t+0]" in text


def test_test_values_flow_through_scan():
    with symcore.config.change_flags(compute_test_value="raise"):
        x = T.dvector("x")
        h0 = T.dscalar("h0")
        x.tag.test_value = np.arange(3.0)
        h0.tag.test_value = np.float64(1.0)
        out, _ = scan(lambda v, h: h * 0.5 + v, sequences=x, outputs_info=h0)
        np.testing.assert_allclose(out.tag.test_value, _numpy_acc(np.arange(3.0), 1.0))


def test_debug_mode_checks_scan_and_its_gradient():
    x, h0, out = _acc()
    f = symcore.function([x, h0], [out, symcore.grad(out.sum(), h0)], mode="DebugMode")
    res, g = f(np.arange(3.0), np.asarray(1.0))
    np.testing.assert_allclose(res, _numpy_acc(np.arange(3.0), 1.0))
    assert g == np.sum(0.5 ** np.arange(1, 4))


def test_step_layout_for_backends():
    x, h0, out = _acc()
    layout = out.owner.op.step_layout()
    assert layout["info"].n_seqs == 1 and layout["info"].n_sit_sot == 1
    assert layout["store_steps"] == (-1,)
    assert len(layout["inner_inputs"]) == 2 and len(layout["inner_outputs"]) == 1


def test_scan_op_equality_and_str():
    x, h0, out = _acc()
    op = out.owner.op
    assert op == op.clone_with()
    assert op != op.clone_with(store_steps=(1,))
    assert str(op.clone_with(store_steps=(1,))) == "Scan{acc, store=[1]}"
