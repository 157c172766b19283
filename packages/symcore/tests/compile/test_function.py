"""symcore.function: outputs (single/list/dict), aliasing of returned values, maker
attributes, copies, pickling, trust_input, in-place graphs, modes."""

import pickle

import numpy as np
import pytest
import symcore
import symcore.tensor as T
from symcore.compile.function import function
from symcore.compile.function_runtime import Function
from symcore.compile.io import In, Out
from symcore.compile.sharedvalue import shared
from symcore.graph.basic import Apply
from symcore.graph.op import Op
from symcore.tensor.basic import as_tensor_variable


class ViewOp(Op):
    """Returns its input itself (a declared view)."""

    __props__ = ()
    view_map = {0: [0]}

    def make_node(self, x):
        x = as_tensor_variable(x)
        return Apply(self, [x], [x.type()])

    def perform(self, node, inputs, out, params=None):
        out[0][0] = inputs[0]


class InplaceNeg(Op):
    """Negates its input in place (a declared destroyer)."""

    __props__ = ()
    destroy_map = {0: [0]}

    def make_node(self, x):
        x = as_tensor_variable(x)
        return Apply(self, [x], [x.type()])

    def perform(self, node, inputs, out, params=None):
        np.negative(inputs[0], out=inputs[0])
        out[0][0] = inputs[0]


view = ViewOp()
inplace_neg = InplaceNeg()


def test_single_output_returns_an_array():
    x, y = T.dvectors("x", "y")
    f = function([x, y], x * y + 1)
    a, b = np.arange(3.0), np.array([2.0, -1.0, 0.5])
    out = f(a, b)
    assert isinstance(out, np.ndarray) and out.dtype == np.float64
    np.testing.assert_allclose(out, a * b + 1)


def test_list_outputs_even_of_length_one_and_tuple():
    x = T.dvector("x")
    f = function([x], [x * 2])
    res = f([1.0, 2.0])
    assert isinstance(res, list) and len(res) == 1
    np.testing.assert_allclose(res[0], [2.0, 4.0])
    g = function([x], (x * 2, x + 1))
    r2 = g([1.0])
    assert isinstance(r2, list) and len(r2) == 2
    np.testing.assert_allclose(r2[1], [2.0])


def test_dict_outputs():
    x = T.dscalar("x")
    f = function([x], {"double": x * 2, "square": x * x})
    res = f(3.0)
    assert set(res) == {"double", "square"}
    assert float(res["double"]) == 6.0 and float(res["square"]) == 9.0


def test_no_outputs_returns_empty_list():
    x = T.dscalar("x")
    s = shared(0.0)
    f = function([x], updates=[(s, s + x)])
    assert f(2.0) == []
    assert float(s.get_value()) == 2.0


def test_output_is_input_is_copied():
    x = T.dvector("x")
    f = function([x], x)
    a = np.arange(3.0)
    out = f(a)
    np.testing.assert_array_equal(out, a)
    assert not np.may_share_memory(out, a)


def test_output_view_of_input_is_copied():
    m = T.dmatrix("m")
    f = function([m], [m.T, view(m)])
    a = np.arange(6.0).reshape(2, 3)
    t, v = f(a)
    np.testing.assert_array_equal(t, a.T)
    np.testing.assert_array_equal(v, a)
    assert not np.may_share_memory(t, a) and not np.may_share_memory(v, a)


def test_same_output_twice_gives_two_arrays():
    x = T.dvector("x")
    y = x * 2
    f = function([x], [y, y, view(y)])
    a, b, c = f(np.ones(3))
    np.testing.assert_array_equal(a, b)
    assert not np.may_share_memory(a, b)
    assert not np.may_share_memory(a, c) and not np.may_share_memory(b, c)


def test_constant_output_is_writable_copy():
    x = T.dscalar("x")
    c = T.constant(np.arange(3.0))
    f = function([x], [c, x + 1])
    out1, _ = f(1.0)
    out1[0] = 100.0  # the caller owns it
    out2, _ = f(1.0)
    np.testing.assert_array_equal(out2, np.arange(3.0))


def test_results_not_overwritten_by_later_calls():
    x = T.dvector("x")
    f = function([x], x * 2)
    r1 = f(np.ones(2))
    r2 = f(np.full(2, 5.0))
    np.testing.assert_array_equal(r1, [2.0, 2.0])
    np.testing.assert_array_equal(r2, [10.0, 10.0])


def test_borrow_allows_aliasing_an_input():
    x = T.dvector("x")
    a = np.arange(3.0)
    assert function([x], Out(x, borrow=True))(a) is a
    assert function([In(x, borrow=True)], x)(a) is a
    assert not np.may_share_memory(function([x], x)(a), a)


def test_shared_value_output_is_a_copy():
    s = shared(np.arange(3.0))
    f = function([], s)
    out = f()
    out[0] = 42.0
    np.testing.assert_array_equal(s.get_value(), np.arange(3.0))


def test_maker_attributes():
    x, y = T.dvectors("x", "y")
    out = x + y
    f = function([x, y], out)
    fg = f.maker.fgraph
    assert len(fg.inputs) == 2 and len(fg.outputs) == 1
    nodes = fg.toposort()
    assert len(nodes) == 1
    # the compiled graph is a copy: the user's graph is untouched
    assert fg.outputs[0] is not out and fg.inputs[0] is not x
    assert [i.variable for i in f.maker.inputs] == [x, y]
    assert f.maker.outputs[0].variable is out
    assert f.maker.mode is not None
    assert len(f.input_storage) == 2


def test_inputs_must_be_a_list():
    x = T.dscalar("x")
    with pytest.raises(TypeError, match="contained in a list"):
        function(x, x * 2)


def test_intermediate_variable_as_input_cuts_the_graph():
    x = T.dscalar("x")
    y = x * 2
    z = y + 1
    f = function([y], z)
    assert float(f(10.0)) == 11.0


def test_eval_uses_function():
    x, y = T.dscalars("x", "y")
    assert float((x * y).eval({x: 2.0, y: 4.0})) == 8.0


def test_name_and_repr():
    x = T.dscalar("x")
    f = function([x], x + 1, name="inc")
    assert f.name == "inc" and "inc" in repr(f)
    g = function([x], x + 1)
    assert g.name is None and "test_function.py" in repr(g)


def test_trust_input_skips_checks():
    x = T.dvector("x")
    f = function([x], x * 2)
    f.trust_input = True
    out = f(np.array([1.0, 2.0]))
    np.testing.assert_array_equal(out, [2.0, 4.0])
    g = function([x], x * 2, trust_input=True)
    assert g.trust_input is True
    # a list is not converted when inputs are trusted: the Op sees the raw object
    np.testing.assert_array_equal(g(np.array([3.0])), [6.0])


def test_output_subset():
    x = T.dscalar("x")
    f = function([x], [x + 1, x + 2, x + 3])
    res = f(1.0, output_subset=[2, 0])
    assert [float(r) for r in res] == [4.0, 2.0]


def test_noncontiguous_negative_stride_and_empty_inputs():
    x, y = T.dmatrices("x", "y")
    f = function([x, y], x * y)
    a = np.arange(24.0).reshape(4, 6)[::2, ::-3]
    b = np.asfortranarray(np.arange(4.0).reshape(2, 2))
    np.testing.assert_allclose(f(a, b), a * b)
    e = np.zeros((0, 3))
    assert f(e, e).shape == (0, 3)


def test_graph_with_inplace_op_needs_accept_inplace():
    x = T.dvector("x")
    y = x * 2
    out = inplace_neg(y)
    with pytest.raises(TypeError, match="accept_inplace"):
        function([x], out)
    f = function([x], out, accept_inplace=True)
    np.testing.assert_array_equal(f(np.arange(3.0)), -2 * np.arange(3.0))


def test_inplace_output_on_mutable_input_is_copied():
    x = T.dvector("x")
    f = function([In(x, mutable=True)], inplace_neg(x), accept_inplace=True)
    a = np.arange(3.0)
    out = f(a)
    np.testing.assert_array_equal(out, -np.arange(3.0))
    np.testing.assert_array_equal(a, -np.arange(3.0))  # mutable: the graph may overwrite it


def test_copy_shares_shared_variables_and_copies_defaults():
    s = shared(0.0, name="s")
    x = T.dscalar("x")
    y = T.dscalar("y")
    f = function([x, In(y, value=1.0)], s + x * y, updates=[(s, s + x)])
    g = f.copy()
    assert isinstance(g, Function) and g.maker.fgraph is not f.maker.fgraph
    assert float(g(2.0)) == 2.0
    assert float(f(1.0)) == 3.0  # f sees g's update of s
    assert float(s.get_value()) == 3.0
    g["y"] = 10.0
    assert float(f["y"]) == 1.0


def test_copy_with_swap_and_delete_updates():
    s = shared(1.0, name="s")
    t = shared(100.0, name="t")
    x = T.dscalar("x")
    f = function([x], s * x, updates=[(s, s + 1)])
    g = f.copy(swap={s: t})
    assert float(g(2.0)) == 200.0
    assert float(t.get_value()) == 101.0 and float(s.get_value()) == 1.0
    h = f.copy(delete_updates=True)
    h(1.0)
    assert float(s.get_value()) == 1.0
    with pytest.raises(TypeError, match="conflicts"):
        f.copy(swap={s: shared(np.zeros(2))})


def test_pickle_roundtrip_keeps_shared_state_and_defaults():
    s = shared(np.arange(3.0), name="s")
    x = T.dvector("x")
    y = T.dscalar("y")
    f = function([x, In(y, value=2.0, name="y")], s * y + x, updates={s: s + 1})
    f(np.zeros(3))
    f2, s2 = pickle.loads(pickle.dumps((f, s)))
    np.testing.assert_array_equal(s2.get_value(), np.arange(3.0) + 1)
    out = f2(np.ones(3))
    np.testing.assert_allclose(out, (np.arange(3.0) + 1) * 2 + 1)
    np.testing.assert_array_equal(s2.get_value(), np.arange(3.0) + 2)
    np.testing.assert_array_equal(s.get_value(), np.arange(3.0) + 1)  # the original is independent
    assert float(f2(np.zeros(3), y=0.0)[0]) == 0.0


def test_pickle_deep_graph():
    x = T.dscalar("x")
    y = x
    for _ in range(3000):
        y = y + 1
    f = function([x], y)
    f2 = pickle.loads(pickle.dumps(f))
    assert float(f2(0.0)) == 3000.0


def test_mode_argument_accepts_names_and_objects():
    x = T.dscalar("x")
    for mode in (None, "FAST_COMPILE", "FAST_RUN"):
        f = function([x], x * 3 + 1, mode=mode)
        assert float(f(2.0)) == 7.0


def test_free_is_harmless():
    x = T.dscalar("x")
    f = function([x], x + 1)
    f.free()
    assert float(f(1.0)) == 2.0


def test_function_exported_at_top_level():
    assert symcore.function is function
    assert symcore.shared is shared
    assert symcore.In is In and symcore.Out is Out


def test_mutable_inputs_of_the_compiled_graph():
    s = shared(np.zeros(2), name="s")
    t = shared(np.zeros(2), name="t")
    x, y = T.dvectors("x", "y")
    f = function([In(x, mutable=True), y], s + t + x + y, updates=[(s, s + 1)])
    fg = f.maker.fgraph
    by_name = {str(v): v for v in fg.inputs}
    assert fg.mutable_inputs == {by_name["x"], by_name["s"]}


def test_profile_object_is_passed_through():
    from symcore.compile.profiling import ProfileStats

    x = T.dscalar("x")
    f = function([x], x * 2, profile=True, name="prof")
    assert isinstance(f.profile, ProfileStats) and f.maker.fgraph.profile is f.profile
    f(1.0)
    f(2.0)
    assert f.profile.fct_callcount == 2
    mine = ProfileStats(message="mine", atexit_print=False)
    g = function([x], x * 2, profile=mine)
    assert g.profile is mine
    assert function([x], x * 2).profile is None


def test_undefined_gradient_as_output_is_refused():
    from symcore.graph.type import NullType

    x = T.dscalar("x")
    undefined = NullType("the gradient of floor is undefined here")()
    with pytest.raises(TypeError, match="undefined.*floor"):
        function([x], [x * 2, undefined])


def test_pickle_and_copy_with_mode_objects():
    from symcore.compile.mode import FAST_COMPILE, Mode

    x = T.dscalar("x")
    for mode in (FAST_COMPILE, Mode(linker="py", optimizer=None)):
        f = function([x], x * 2 + 1, mode=mode)
        g = pickle.loads(pickle.dumps(f))
        assert float(g(1.0)) == 3.0
        assert float(f.copy()(2.0)) == 5.0


def test_inplace_graph_destroying_a_protected_input_is_refused():
    from symcore.graph.fg import InconsistencyError

    x = T.dvector("x")
    with pytest.raises(InconsistencyError, match="mutable=True"):
        function([x], inplace_neg(x), accept_inplace=True)
    s = shared(np.ones(2), name="s")
    with pytest.raises(InconsistencyError, match="would overwrite.* s "):
        function([], inplace_neg(s), accept_inplace=True)
    # an updated shared variable may be overwritten: its old value is not needed after
    f = function([], [], updates=[(s, inplace_neg(s))], accept_inplace=True)
    f()
    np.testing.assert_array_equal(s.get_value(), [-1.0, -1.0])
