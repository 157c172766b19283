"""Theano behaviours that real programs rely on: old module names, GPU modules failing
cleanly, and a few API shapes (stack(a, b, c), softmax of a vector, truthiness...)."""

import importlib
import sys

import numpy as np
import pytest
import symcore
import symcore.tensor as T
from symcore.graph.basic import Constant, Variable

# ---------------------------------------------------------------------------------------
# symcore.gof: Theano's name of the graph module
# ---------------------------------------------------------------------------------------


def test_gof_reexports_the_graph_protocol():
    from symcore import gof

    assert gof.Op is symcore.graph.Op
    assert gof.Apply is symcore.graph.Apply
    assert gof.Variable is symcore.graph.Variable
    assert gof.Constant is symcore.graph.Constant
    assert gof.Type is symcore.graph.Type
    assert gof.FunctionGraph is symcore.graph.FunctionGraph
    assert gof.graph.inputs is symcore.graph.inputs
    assert gof.graph.io_toposort is symcore.graph.io_toposort
    assert gof.toolbox.History is gof.History
    from symcore.gof.fg import FunctionGraph
    from symcore.gof.op import Op

    assert Op is gof.Op and FunctionGraph is gof.FunctionGraph


def test_gof_graph_walkers_on_a_real_graph():
    from symcore.gof import graph

    x, y = T.dvectors("x", "y")
    c = T.constant(np.array([2.0, 3.0]))
    z = T.exp(x) * y + c
    assert set(graph.inputs([z])) == {x, y, c}
    assert set(graph.orphans([x, y], [z])) == {c}
    nodes = graph.io_toposort([x, y], [z])
    assert set(graph.ops([x, y], [z])) == set(nodes)
    assert x in set(graph.ancestors([z]))
    assert z in set(graph.variables([x, y], [z]))
    assert symcore.function([x, y], z)(np.ones(2), np.ones(2)).tolist() == pytest.approx(
        (np.e + np.array([2.0, 3.0])).tolist()
    )


def test_theano_style_op_subclass_from_gof():
    from symcore import gof

    class Double(gof.Op):
        __props__ = ()

        def make_node(self, x):
            x = T.as_tensor_variable(x)
            return gof.Apply(self, [x], [x.type()])

        def perform(self, node, inputs, output_storage, params=None):
            output_storage[0][0] = np.asarray(inputs[0] * 2, dtype=node.outputs[0].dtype)

    x = T.dvector("x")
    f = symcore.function([x], Double()(x))
    np.testing.assert_array_equal(f(np.array([1.0, -2.0])), [2.0, -4.0])


# ---------------------------------------------------------------------------------------
# GPU-only Theano modules
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "module", ["symcore.sandbox.cuda", "symcore.gpuarray", "symcore.sandbox.gpuarray"]
)
def test_gpu_modules_fail_cleanly(module):
    with pytest.raises(ImportError) as info:
        importlib.import_module(module)
    msg = str(info.value)
    assert "sym-backend-cuda" in msg and "device=cuda" in msg
    assert module not in sys.modules  # not left half-imported


def test_gpu_import_error_works_with_try_except_fallbacks():
    try:
        from symcore.sandbox import cuda  # noqa: F401

        available = True
    except ImportError:
        available = False
    assert available is False


# ---------------------------------------------------------------------------------------
# API shapes Theano programs rely on
# ---------------------------------------------------------------------------------------


def test_stack_accepts_varargs_and_a_list():
    a, b, c = T.dscalars("a", "b", "c")
    f = symcore.function([a, b, c], [T.stack(a, b, c), T.stack([a, b, c])])
    r1, r2 = f(1.0, 2.0, 3.0)
    np.testing.assert_array_equal(r1, np.stack([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(r2, r1)


def test_softmax_of_a_vector_is_a_row():
    v = T.dvector("v")
    s = T.nnet.softmax(v)
    assert s.ndim == 2 and s.broadcastable == (True, False)
    val = np.array([1.0, 2.0, 3.0])
    e = np.exp(val - val.max())
    np.testing.assert_allclose(symcore.function([v], s)(val), (e / e.sum())[None, :])


def test_variables_are_truthy():
    W = symcore.shared(np.zeros(3), name="W")
    x = T.dvector("x")
    assert bool(W) and bool(x) and bool(x * 0)
    if not W:  # Theano programs write this to test for a missing parameter
        pytest.fail("a variable must be truthy")
    assert bool(T.constant(0.0))


def test_clone_with_replace_and_share_inputs():
    x, y = T.dscalars("x", "y")
    z = x * 2 + 1
    z2 = symcore.clone(z, replace={x: y})
    assert symcore.function([y], z2)(3.0) == 7.0
    cp = symcore.clone(z, share_inputs=False)
    assert x not in set(symcore.graph.inputs([cp]))
    assert symcore.clone(z, share_inputs=True) is not z
    assert x in set(symcore.graph.inputs([symcore.clone(z)]))


def test_variable_from_a_type_with_no_owner():
    t = T.TensorType("float64", (False,))
    v = Variable(t)
    assert v.owner is None and v.type == t
    w = t("w")
    f = symcore.function([w], w * 2)
    np.testing.assert_array_equal(f(np.array([1.0, 2.0])), [2.0, 4.0])


def test_theano_names_inv_abs_round_patternbroadcast():
    x = T.dvector("x")
    val = np.array([0.5, 1.5, 2.5, -0.5, -2.5, 4.0])
    f = symcore.function([x], [T.inv(x), T.abs_(x), T.round(x)])
    inv, ab, rnd = f(val)
    np.testing.assert_allclose(inv, 1.0 / val)
    np.testing.assert_array_equal(ab, np.abs(val))
    np.testing.assert_array_equal(
        rnd, np.sign(val) * np.floor(np.abs(val) + 0.5)
    )  # half away from 0
    row = T.patternbroadcast(T.dmatrix("m"), (True, False))
    assert row.broadcastable == (True, False)


def test_graph_helpers_under_symcore_graph():
    x = T.dvector("x")
    z = T.exp(x) + 1
    ins = symcore.graph.inputs([z])
    assert all(v.owner is None for v in ins)
    assert [v for v in ins if not isinstance(v, Constant)] == [x]
    order = symcore.graph.io_toposort([x], [z])
    assert order[-1] is z.owner
    assert order.index(z.owner.inputs[0].owner) < len(order) - 1
    assert x in set(symcore.graph.ancestors([z]))


def test_printing_sandbox_and_gof_are_exposed():
    assert symcore.pp is symcore.printing.pp
    assert callable(symcore.printing.debugprint)
    assert symcore.gof.graph.inputs is symcore.graph.inputs
    assert "rng_mrg" in dir(symcore.sandbox)
    with pytest.raises(AttributeError):
        symcore.sandbox.no_such_module  # noqa: B018
