"""The rewrite engine: node rewriters, walkers, patterns, equilibrium, database, errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from symcore.config import config
from symcore.graph.basic import Apply
from symcore.graph.fg import FunctionGraph, InconsistencyError
from symcore.graph.op import Op
from symcore.link.reference import ReferenceLinker
from symcore.plugins import RewriteRecord
from symcore.rewriting import (
    EquilibriumDB,
    EquilibriumGraphRewriter,
    GraphRewriter,
    LocalGroupDB,
    NodeRewriter,
    PatternNodeRewriter,
    RewriteDatabase,
    RewriteDatabaseQuery,
    RewriteWarning,
    SequenceDB,
    SequentialNodeRewriter,
    TopoDB,
    WalkingGraphRewriter,
    copy_stack_trace,
    graph_rewriter,
    in2out,
    node_rewriter,
    out2in,
    rewrite_db,
)
from symcore.rewriting import db as db_module
from symcore.rewriting.folding import constant_folding


def run(fgraph, *values):
    return ReferenceLinker().make_thunk(fgraph)([np.asarray(v, dtype="float64") for v in values])


# ---------------------------------------------------------------------------------------
# node_rewriter and walkers
# ---------------------------------------------------------------------------------------


def test_node_rewriter_tracks_instances_and_classes(ops):
    @node_rewriter([ops.neg])
    def by_instance(fgraph, node):
        return None

    @node_rewriter([ops.Elem])
    def by_class(fgraph, node):
        return None

    assert by_instance.tracks() == (ops.neg,)
    assert by_class.tracks() == (ops.Elem,)
    assert by_instance.name == "by_instance"
    with pytest.raises(TypeError, match="tracks must be Op classes or Op instances"):
        node_rewriter([lambda x: x])


def test_list_and_dict_replacements(ops, names):
    x = ops.vector("x")

    @node_rewriter([ops.neg])
    def neg_neg(fgraph, node):
        inner = node.inputs[0].owner
        if inner is not None and inner.op == ops.neg:
            return [inner.inputs[0]]
        return None

    @node_rewriter([ops.log])
    def log_exp(fgraph, node):
        inner = node.inputs[0].owner
        if inner is not None and inner.op == ops.exp:
            return {node.outputs[0]: inner.inputs[0]}
        return False

    fg = FunctionGraph([x], [ops.log(ops.exp(ops.neg(ops.neg(x))))])
    in2out(neg_neg, log_exp).rewrite(fg)
    assert names(fg) == []
    assert fg.outputs[0] is fg.inputs[0]


def test_only_tracked_ops_are_visited(ops):
    seen = []

    @node_rewriter([ops.exp])
    def spy(fgraph, node):
        seen.append(node.op)

    x = ops.vector()
    fg = FunctionGraph([x], [ops.exp(ops.neg(ops.exp(x)))])
    in2out(spy).rewrite(fg)
    assert seen == [ops.exp, ops.exp]


def test_in_to_out_and_out_to_in_orders(ops):
    x = ops.vector("x")
    a = ops.exp(x)
    b = ops.log(a)
    c = ops.neg(b)
    for walker, expected in ((in2out, ["exp", "log", "neg"]), (out2in, ["neg", "log", "exp"])):
        order: list[str] = []

        @node_rewriter(None)
        def spy(fgraph, node, order=order):
            order.append(str(node.op))

        fg = FunctionGraph([x], [c])
        walker(spy).rewrite(fg)
        assert order == expected


def test_walker_visits_new_nodes_unless_ignore_newtrees(ops, names):
    x = ops.vector("x")

    @node_rewriter([ops.exp])
    def exp_to_neg_log(fgraph, node):
        return [ops.neg(ops.log(node.inputs[0]))]

    @node_rewriter([ops.log])
    def log_to_log1p(fgraph, node):
        return [ops.log1p(node.inputs[0])]

    for ignore, expected in ((False, ["log1p", "neg"]), (True, ["log", "neg"])):
        fg = FunctionGraph([x], [ops.exp(x)])
        WalkingGraphRewriter(
            SequentialNodeRewriter(exp_to_neg_log, log_to_log1p), ignore_newtrees=ignore
        ).rewrite(fg)
        assert names(fg) == expected


def test_replacement_keeps_user_trace(ops):
    x = ops.vector("x")
    out = ops.exp(x)
    fg = FunctionGraph([x], [out])
    old_node = fg.outputs[0].owner
    old_node.tag.trace = [("user_file.py", 12, "model", None)]

    @node_rewriter([ops.exp])
    def exp_to_neg(fgraph, node):
        return [ops.neg(ops.log(node.inputs[0]))]

    in2out(exp_to_neg).rewrite(fg)
    for node in fg.toposort():
        assert node.tag.trace == [("user_file.py", 12, "model", None)]


def test_copy_stack_trace(ops):
    x = ops.vector()
    a = ops.exp(x)
    a.tag.trace = [("f.py", 1, "g", None)]
    b = ops.neg(x)
    c = ops.log(x)
    copy_stack_trace(a, [b, c])
    assert b.tag.trace == [("f.py", 1, "g", None)]
    assert c.owner.tag.trace[0] == ("f.py", 1, "g", None)


def test_graph_rewriter_decorator(ops, names):
    calls = []

    @graph_rewriter
    def drop_outer_neg(fgraph):
        calls.append(fgraph)
        out = fgraph.outputs[0]
        if out.owner is not None and out.owner.op == ops.neg:
            fgraph.replace_validate(out, out.owner.inputs[0], reason="test")

    x = ops.vector()
    fg = FunctionGraph([x], [ops.neg(ops.exp(x))])
    assert isinstance(drop_outer_neg, GraphRewriter)
    drop_outer_neg.rewrite(fg)
    assert calls == [fg]
    assert names(fg) == ["exp"]


# ---------------------------------------------------------------------------------------
# Patterns
# ---------------------------------------------------------------------------------------


def test_pattern_log_add_one_to_log1p(ops, names):
    x = ops.vector("x")
    fg = FunctionGraph([x], [ops.log(ops.add(1.0, x))])
    rw = PatternNodeRewriter((ops.log, (ops.add, 1, "x")), (ops.log1p, "x"))
    in2out(rw).rewrite(fg)
    assert names(fg) == ["log1p"]
    xv = np.array([0.5, 2.0, 1e-9])
    np.testing.assert_allclose(run(fg, xv)[0], np.log1p(xv))


def test_pattern_constant_must_match_value(ops, names):
    x = ops.vector("x")
    fg = FunctionGraph([x], [ops.log(ops.add(2.0, x))])
    in2out(PatternNodeRewriter((ops.log, (ops.add, 1, "x")), (ops.log1p, "x"))).rewrite(fg)
    assert names(fg) == ["add", "log"]


def test_pattern_repeated_variable_must_bind_same_variable(ops, names):
    x, y = ops.vector("x"), ops.vector("y")
    rw = PatternNodeRewriter((ops.sub, "a", "a"), (ops.mul, "a", 0.0))
    fg = FunctionGraph([x, y], [ops.sub(x, y), ops.sub(x, x)])
    in2out(rw).rewrite(fg)
    assert sorted(names(fg)) == ["mul", "sub"]
    assert fg.outputs[0].owner.op == ops.sub
    assert fg.outputs[1].owner.op == ops.mul


def test_pattern_constraint_and_class_head(ops, names):
    x = ops.vector("x")
    y = ops.vector("y")
    only_x = {"pattern": "v", "constraint": lambda v: v.name == "x"}
    rw = PatternNodeRewriter((ops.Elem, only_x), (ops.exp, "v"), tracks=[ops.neg])
    fg = FunctionGraph([x, y], [ops.neg(x), ops.neg(y)])
    in2out(rw).rewrite(fg)
    assert [o.owner.op.name for o in fg.outputs] == ["exp", "neg"]


def test_pattern_refuses_multiple_clients_unless_allowed(ops, names):
    x = ops.vector("x")
    inner = ops.add(1.0, x)
    pattern = (ops.log, (ops.add, 1, "x"))
    fg = FunctionGraph([x], [ops.log(inner), ops.exp(inner)])
    in2out(PatternNodeRewriter(pattern, (ops.log1p, "x"))).rewrite(fg)
    assert "log1p" not in names(fg)
    fg = FunctionGraph([x], [ops.log(inner), ops.exp(inner)])
    in2out(PatternNodeRewriter(pattern, (ops.log1p, "x"), allow_multiple_clients=True)).rewrite(fg)
    assert "log1p" in names(fg)


def test_pattern_head_may_be_a_builder_function(ops, names):
    def my_log(v):
        return ops.log(v)

    def my_log1p(v):
        return ops.log1p(v)

    x = ops.vector("x")
    rw = PatternNodeRewriter((my_log, (ops.add, 1, "x")), (my_log1p, "x"))
    assert rw.tracks() is None
    fg = FunctionGraph([x], [ops.log(ops.add(1.0, x)), ops.exp(x)])
    in2out(rw).rewrite(fg)
    assert sorted(names(fg)) == ["exp", "log1p"]


# ---------------------------------------------------------------------------------------
# Equilibrium
# ---------------------------------------------------------------------------------------


def _neg_neg(ops):
    @node_rewriter([ops.neg])
    def neg_neg(fgraph, node):
        inner = node.inputs[0].owner
        if inner is not None and inner.op == ops.neg:
            return [inner.inputs[0]]
        return None

    return neg_neg


def test_equilibrium_reaches_fixed_point(ops, names):
    x = ops.vector("x")
    y = x
    for _ in range(10):
        y = ops.neg(y)
    y = ops.log(ops.add(1.0, ops.exp(y)))
    fg = FunctionGraph([x], [y])
    add_one = PatternNodeRewriter((ops.log, (ops.add, 1, "x")), (ops.log1p, "x"))
    eq = EquilibriumGraphRewriter([_neg_neg(ops), add_one])
    eq.rewrite(fg)
    assert names(fg) == ["exp", "log1p"]
    # a second run finds nothing to do
    eq.rewrite(fg)
    assert all(count == 0 for count, _ in eq.stats.values())


def test_equilibrium_sees_changes_deeper_than_one_node(ops, names):
    # log(add(1, mul(1, x))): the pattern at log only matches after mul(1, x) -> x,
    # two levels below the log node.
    @node_rewriter([ops.mul])
    def mul_one(fgraph, node):
        a, b = node.inputs
        if getattr(a, "data", None) is not None and np.all(a.data == 1):
            return [b]
        return None

    x = ops.vector("x")
    fg = FunctionGraph([x], [ops.log(ops.add(1.0, ops.mul(1.0, x)))])
    add_one = PatternNodeRewriter((ops.log, (ops.add, 1, "x")), (ops.log1p, "x"))
    EquilibriumGraphRewriter([add_one, mul_one]).rewrite(fg)
    assert names(fg) == ["log1p"]


def test_equilibrium_work_grows_linearly(ops):
    """Count transform calls (not time): doubling the depth about doubles the work."""

    def calls_for(depth):
        counter = [0]

        @node_rewriter(None)
        def count(fgraph, node):
            counter[0] += 1

        x = ops.vector("x")
        y = x
        for _ in range(depth):
            y = ops.exp(ops.neg(ops.neg(y)))
        fg = FunctionGraph([x], [y])
        EquilibriumGraphRewriter([_neg_neg(ops), count]).rewrite(fg)
        assert len(fg.apply_nodes) == depth
        return counter[0]

    small, large = calls_for(100), calls_for(400)
    assert large / small < 4.5


def test_equilibrium_max_use_safeguard(ops):
    @node_rewriter([ops.exp])
    def exp_to_log(fgraph, node):
        return [ops.log(node.inputs[0])]

    @node_rewriter([ops.log])
    def log_to_exp(fgraph, node):
        return [ops.exp(node.inputs[0])]

    x = ops.vector("x")
    fg = FunctionGraph([x], [ops.exp(x)])
    with pytest.warns(RewriteWarning, match="applied more than"):
        EquilibriumGraphRewriter([exp_to_log, log_to_exp], max_use_ratio=3).rewrite(fg)
    fg.check_integrity()


def test_equilibrium_runs_graph_and_final_rewriters(ops, names):
    seen = []

    @graph_rewriter
    def final(fgraph):
        seen.append(len(fgraph.apply_nodes))

    x = ops.vector("x")
    fg = FunctionGraph([x], [ops.neg(ops.neg(ops.exp(x)))])
    EquilibriumGraphRewriter([_neg_neg(ops)], final_rewriters=[final]).rewrite(fg)
    assert names(fg) == ["exp"]
    assert seen and seen[-1] == 1


# ---------------------------------------------------------------------------------------
# Validation, errors
# ---------------------------------------------------------------------------------------


class _Refuse:
    """A feature refusing any graph containing a log node."""

    def validate(self, fgraph):
        if any(str(n.op) == "log" for n in fgraph.apply_nodes):
            raise InconsistencyError("no log allowed")


def test_refused_replacement_is_rolled_back(ops, names):
    @node_rewriter([ops.exp])
    def exp_to_log(fgraph, node):
        return [ops.log(node.inputs[0])]

    x = ops.vector("x")
    fg = FunctionGraph([x], [ops.exp(x)])
    fg.attach_feature(_Refuse())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        in2out(exp_to_log).rewrite(fg)
    assert names(fg) == ["exp"]
    fg.check_integrity()


def _boom(ops, name):
    def fn(fgraph, node):
        raise RuntimeError("kaboom")

    fn.__name__ = name
    return node_rewriter([ops.exp])(fn)


def test_on_opt_error_warn_skips_and_warns_once(ops, names, monkeypatch):
    # "once" is per process: forget earlier runs of this test (one per test backend)
    monkeypatch.setattr("symcore.rewriting.basic._warned", set())
    rw = _boom(ops, "boom_warn_once")
    x = ops.vector("x")
    fg = FunctionGraph([x], [ops.exp(ops.exp(x))])
    with config.change_flags(on_opt_error="warn"):
        with pytest.warns(RewriteWarning, match="boom_warn_once.*kaboom") as rec:
            in2out(rw).rewrite(fg)
    assert len([w for w in rec if issubclass(w.category, RewriteWarning)]) == 1
    assert names(fg) == ["exp", "exp"]


def test_on_opt_error_raise_and_ignore(ops):
    x = ops.vector("x")
    with config.change_flags(on_opt_error="raise"):
        with pytest.raises(RuntimeError, match="kaboom"):
            in2out(_boom(ops, "boom_raise")).rewrite(FunctionGraph([x], [ops.exp(x)]))
    with config.change_flags(on_opt_error="ignore"):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            in2out(_boom(ops, "boom_ignore")).rewrite(FunctionGraph([x], [ops.exp(x)]))


def test_incompatible_replacement_type_is_reported(ops):
    from symcore.tensor.type import TensorType

    @node_rewriter([ops.exp])
    def bad_type(fgraph, node):
        return [TensorType("float64", (False, False))()]

    x = ops.vector("x")
    fg = FunctionGraph([x], [ops.exp(x)])
    with config.change_flags(on_opt_error="raise"):
        with pytest.raises(TypeError, match="incompatible type"):
            in2out(bad_type).rewrite(fg)


def test_cycle_is_reported(ops):
    @node_rewriter([ops.exp])
    def cyclic(fgraph, node):
        return [ops.neg(node.outputs[0])]

    x = ops.vector("x")
    fg = FunctionGraph([x], [ops.exp(x)])
    with config.change_flags(on_opt_error="raise"):
        with pytest.raises(ValueError, match="cycle"):
            in2out(cyclic).rewrite(fg)


def test_wrong_number_of_replacements(ops):
    @node_rewriter([ops.exp])
    def two(fgraph, node):
        return [node.inputs[0], node.inputs[0]]

    x = ops.vector("x")
    with config.change_flags(on_opt_error="raise"):
        with pytest.raises(ValueError, match="returned 2 replacement"):
            in2out(two).rewrite(FunctionGraph([x], [ops.exp(x)]))


# ---------------------------------------------------------------------------------------
# Constant folding
# ---------------------------------------------------------------------------------------


def test_constant_folding(ops, names):
    from symcore.tensor.basic import constant

    x = ops.vector("x")
    c = ops.exp(constant(np.array([0.0, 1.0])))
    fg = FunctionGraph([x], [ops.add(x, c)])
    in2out(constant_folding).rewrite(fg)
    assert names(fg) == ["add"]
    folded = fg.outputs[0].owner.inputs[1]
    np.testing.assert_allclose(folded.data, np.exp([0.0, 1.0]))


def test_constant_folding_respects_op_refusal(ops, names):
    from symcore.tensor.basic import constant

    class NoFold(ops.Elem):
        def do_constant_folding(self, fgraph, node):
            return False

    nofold = NoFold("nofold", np.negative, 1)
    fg = FunctionGraph([], [nofold(constant(np.array([1.0, 2.0])))])
    in2out(constant_folding).rewrite(fg)
    assert names(fg) == ["nofold"]


# ---------------------------------------------------------------------------------------
# Databases
# ---------------------------------------------------------------------------------------


def _named(name):
    @node_rewriter(None)
    def fn(fgraph, node):
        return None

    fn.name = name
    return fn


def test_query_include_require_exclude():
    db = RewriteDatabase()
    a, b, c = _named("a"), _named("b"), _named("c")
    db.register("a", a, "fast_run", "x")
    db.register("b", b, "fast_run", "y")
    db.register("c", c, "fast_compile", "x")
    q = RewriteDatabaseQuery(include=["fast_run"])
    assert db.query(q) == [a, b]
    assert db.query(q.including("c")) == [a, b, c]
    assert db.query(q.excluding("y")) == [a]
    assert db.query(q.including("fast_compile").requiring("x")) == [a, c]
    assert db.query("+fast_run", "-x") == [b]
    assert db.query("fast_compile", "&y") == []
    assert db.query("b") == [b]  # names are tags


def test_register_errors():
    db = RewriteDatabase()
    db.register("a", _named("a"), "t")
    with pytest.raises(ValueError, match="already registered"):
        db.register("a", _named("a2"), "t")
    with pytest.raises(TypeError, match="expected a NodeRewriter"):
        db.register("z", print, "t")
    with pytest.raises(KeyError, match="no rewrite named 'missing'"):
        db["missing"]


def test_sequence_db_orders_by_position(ops):
    order = []

    def recorder(tag):
        @graph_rewriter(name=tag)
        def rw(fgraph):
            order.append(tag)

        return rw

    db = SequenceDB("seq")
    db.register("late", recorder("late"), "t", position=10)
    db.register("early", recorder("early"), "t", position=-1)
    db.register("middle", recorder("middle"), "t", position=2.5)
    db.register("cut", recorder("cut"), "t", position=100)
    x = ops.vector()
    db.query(RewriteDatabaseQuery(include=["t"], position_cutoff=50)).rewrite(
        FunctionGraph([x], [ops.exp(x)])
    )
    assert order == ["early", "middle", "late"]


def test_sub_databases_are_queried_recursively(ops, names):
    outer = SequenceDB("outer")
    eq = EquilibriumDB("eq")
    group = LocalGroupDB("group")
    outer.register("eq", eq, "fast_run", position=1)
    outer.register("walk", TopoDB(group), "fast_run", position=2)
    eq.register("neg_neg", _neg_neg(ops), "fast_run")

    @node_rewriter([ops.exp])
    def exp_to_log(fgraph, node):
        return [ops.log(node.inputs[0])]

    group.register("exp_to_log", exp_to_log, "special")
    x = ops.vector()
    fg = FunctionGraph([x], [ops.exp(ops.neg(ops.neg(x)))])
    outer.query("fast_run").rewrite(fg)
    assert names(fg) == ["exp"]  # exp_to_log has no fast_run tag
    outer.query("fast_run", "special").rewrite(fg)
    assert names(fg) == ["log"]
    fg = FunctionGraph([x], [ops.exp(ops.neg(ops.neg(x)))])
    outer.query("fast_run", "-neg_neg").rewrite(fg)
    assert names(fg) == ["neg", "neg", "exp"]


def test_global_db_phases():
    names_positions = {n: rewrite_db.positions[n] for n in rewrite_db.names()}
    for name, pos in [
        ("merge1", 0),
        ("canonicalize", 1),
        ("stabilize", 1.5),
        ("blas", 1.7),
        ("specialize", 2),
        ("uncanonicalize", 3),
        ("elemwise_fusion", 49),
        ("add_destroy_handler", 49.5),
        ("merge3", 100),
    ]:
        assert names_positions[name] == pos
    assert isinstance(rewrite_db["canonicalize"], EquilibriumDB)
    assert isinstance(rewrite_db["stabilize"], EquilibriumDB)
    assert isinstance(rewrite_db["specialize"], EquilibriumDB)


def test_plugin_rewrites_slot_into_phases(ops, names, monkeypatch):
    @node_rewriter([ops.exp])
    def plugin_exp_to_log(fgraph, node):
        return [ops.log(node.inputs[0])]

    @graph_rewriter
    def plugin_late(fgraph):
        fgraph.plugin_late_ran = True

    records = [
        RewriteRecord(
            "plugin_exp_to_log", plugin_exp_to_log, ("fast_run",), 1.5, "stabilize", "myplugin"
        ),
        RewriteRecord("plugin_late", plugin_late, (), 60.0, "inplace", "myplugin"),
    ]
    monkeypatch.setattr(db_module, "registered_rewrites", lambda: records)
    db = db_module._build_global_db()
    db._builtin_loaded = True  # only this test's rewrites
    rw = db.query("fast_run")
    assert "plugin_exp_to_log" in db["stabilize"]
    assert db.positions["plugin_late"] == 60.0
    x = ops.vector()
    fg = FunctionGraph([x], [ops.exp(x)])
    rw.rewrite(fg)
    assert names(fg) == ["log"]
    assert fg.plugin_late_ran
    # excluding the plugin rewrite by name works like any other rewrite
    fg = FunctionGraph([x], [ops.exp(x)])
    db.query("fast_run", "-plugin_exp_to_log").rewrite(fg)
    assert names(fg) == ["exp"]
    # records seen once are not registered twice
    db.query("fast_run")


def test_register_helpers_as_decorators(ops, monkeypatch):
    from symcore.rewriting import register as reg

    db = db_module._build_global_db()
    monkeypatch.setattr(reg, "rewrite_db", db)

    @reg.register_canonicalize
    @node_rewriter([ops.exp])
    def canon_a(fgraph, node):
        return None

    @reg.register_specialize("my_tag", name="spec_b")
    @node_rewriter([ops.exp])
    def spec_fn(fgraph, node):
        return None

    reg.register_stabilize(_named("stab_c"), "t2")

    @reg.register_useless
    @node_rewriter([ops.exp])
    def useless_d(fgraph, node):
        return None

    @reg.register_inplace(position=70)
    @node_rewriter([ops.exp], inplace=True)
    def inplace_e(fgraph, node):
        return None

    assert db["canonicalize"].tags_of("canon_a") >= {"fast_run", "fast_compile"}
    assert db["specialize"].tags_of("spec_b") >= {"fast_run", "my_tag"}
    assert db["stabilize"].tags_of("stab_c") >= {"fast_run", "t2"}
    assert "useless_d" in db["useless"].db
    assert db.positions["inplace_e"] == 70
    assert db.tags_of("inplace_e") >= {"fast_run", "inplace"}


def test_inplace_node_rewriter_attaches_destroy_handler(ops):
    @node_rewriter([ops.add], inplace=True)
    def nothing(fgraph, node):
        return None

    x = ops.vector()
    fg = FunctionGraph([x], [ops.add(x, x)])
    in2out(nothing).rewrite(fg)
    assert fg.destroy_handler is not None


class _Double(Op):
    __props__ = ()

    def make_node(self, x):
        return Apply(self, [x], [x.type()])

    def perform(self, node, inputs, out, params=None):
        out[0][0] = inputs[0] * 2


def test_node_rewriter_base_class_usable_directly(ops, names):
    class Rw(NodeRewriter):
        def tracks(self):
            return [_Double]

        def transform(self, fgraph, node):
            return [ops.add(node.inputs[0], node.inputs[0])]

    x = ops.vector()
    fg = FunctionGraph([x], [_Double()(x)])
    in2out(Rw()).rewrite(fg)
    assert names(fg) == ["add"]
    np.testing.assert_allclose(run(fg, [1.0, 2.0])[0], [2.0, 4.0])
