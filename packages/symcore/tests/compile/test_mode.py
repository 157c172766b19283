"""Modes: names, linkers, optimizer queries (including/excluding/requiring), config flags."""

from __future__ import annotations

import numpy as np
import pytest
import symcore
import symcore.tensor as T
from symcore.compile.mode import (
    FAST_COMPILE,
    FAST_RUN,
    Mode,
    get_mode,
    predefined_modes,
    register_mode,
)
from symcore.config import config
from symcore.graph.basic import Apply
from symcore.graph.op import Op
from symcore.link.reference import ReferenceLinker
from symcore.plugins import BackendNotFoundError, get_backend_for_device
from symcore.rewriting import SequenceDB, node_rewriter


class Triple(Op):
    __props__ = ()

    def make_node(self, x):
        x = T.as_tensor_variable(x)
        return Apply(self, [x], [x.type()])

    def perform(self, node, inputs, out, params=None):
        out[0][0] = inputs[0] * 3


@node_rewriter([Triple])
def triple_to_add(fgraph, node):
    x = node.inputs[0]
    return [x + x + x]


def _db():
    db = SequenceDB()
    db.register("triple_to_add", triple_to_add, "fast_run", "arith", position=1)
    return db


def _ops(f):
    return [type(n.op).__name__ for n in f.maker.fgraph.toposort()]


def test_symcore_exports_mode():
    assert symcore.Mode is Mode
    assert symcore.get_mode is get_mode


def test_get_mode_names_and_default():
    assert get_mode("FAST_RUN") is FAST_RUN
    assert get_mode("FAST_COMPILE") is FAST_COMPILE
    m = Mode(linker="py", optimizer=None)
    assert get_mode(m) is m
    with config.change_flags(mode="FAST_COMPILE"):
        assert get_mode(None) is FAST_COMPILE
    with config.change_flags(mode="FAST_RUN"):
        assert get_mode(None) is FAST_RUN
    with pytest.raises(ValueError, match="unknown mode 'NOPE'"):
        get_mode("NOPE")


def test_linkers():
    assert isinstance(FAST_COMPILE.raw_linker, ReferenceLinker)
    assert isinstance(Mode(linker="py").raw_linker, ReferenceLinker)
    expected = get_backend_for_device(config.device, config.linker).load_linker()
    assert isinstance(FAST_RUN.raw_linker, expected)
    lk = ReferenceLinker(allow_gc=False)
    assert Mode(linker=lk).raw_linker is lk
    with pytest.raises(BackendNotFoundError):
        Mode(linker="no_such_backend")
    with pytest.raises(TypeError, match="no make_thunk"):
        _ = Mode(linker=object()).raw_linker


def test_optimizer_names():
    with pytest.raises(ValueError, match="unknown optimizer 'bogus'"):
        Mode(optimizer="bogus")
    with config.change_flags(optimizer="merge"):
        assert Mode().provided_optimizer == "merge"
    fc = FAST_COMPILE.raw_optimizer.names
    assert "merge1" in fc and "canonicalize" in fc
    assert not {"specialize", "elemwise_fusion", "add_destroy_handler"} & set(fc)
    fr = FAST_RUN.raw_optimizer.names
    assert {
        "merge1",
        "canonicalize",
        "stabilize",
        "specialize",
        "elemwise_fusion",
        "add_destroy_handler",
        "merge3",
    } <= set(fr)
    assert Mode(optimizer="merge").raw_optimizer.names == ["merge1", "merge2", "merge3"]


def test_merge_in_fast_run_but_not_without_optimizer():
    x, y = T.dvectors("x", "y")
    z = (x + y) * (x + y)
    f_none = symcore.function([x, y], z, mode=Mode(linker="py", optimizer=None))
    f_run = symcore.function([x, y], z, mode="FAST_RUN")

    def adds(f):
        nodes = f.maker.fgraph.toposort()
        return sum(1 for n in nodes if n.inputs[0].name == "x" and n.inputs[1].name == "y")

    assert adds(f_none) == 2
    assert adds(f_run) == 1
    xv, yv = np.array([1.0, 2.0]), np.array([3.0, 4.0])
    np.testing.assert_allclose(f_run(xv, yv), (xv + yv) ** 2)
    with config.change_flags(optimizer="None"):
        assert adds(symcore.function([x, y], z)) == 2


def test_including_excluding_requiring():
    db = _db()
    base = Mode(linker="py", optimizer="fast_run", db=db)
    x = T.dvector("x")
    xv = np.array([1.0, -2.0])
    f = symcore.function([x], Triple()(x), mode=base)
    assert "Triple" not in _ops(f)
    np.testing.assert_allclose(f(xv), 3 * xv)
    f = symcore.function([x], Triple()(x), mode=base.excluding("arith"))
    assert _ops(f) == ["Triple"]
    f = symcore.function(
        [x], Triple()(x), mode=base.excluding("triple_to_add").including("triple_to_add")
    )
    assert "Triple" not in _ops(f)
    f = symcore.function([x], Triple()(x), mode=base.requiring("no_such_tag"))
    assert _ops(f) == ["Triple"]
    assert base.query.include == ("fast_run",)  # the original is unchanged
    only = Mode(linker="py", optimizer=None, db=db).including("arith")
    assert "Triple" not in _ops(symcore.function([x], Triple()(x), mode=only))


def test_including_needs_a_query():
    m = Mode(linker="py", optimizer=_db().query("fast_run"))
    with pytest.raises(TypeError, match="database query"):
        m.including("x")


def test_linker_declares_required_and_incompatible_rewrites():
    class NoArith(ReferenceLinker):
        incompatible_rewrites = ("arith",)

    class WantsArith(ReferenceLinker):
        required_rewrites = ("arith",)

    x = T.dvector("x")
    db = _db()
    f = symcore.function([x], Triple()(x), mode=Mode(linker=NoArith(), optimizer="fast_run", db=db))
    assert _ops(f) == ["Triple"]
    f = symcore.function(
        [x], Triple()(x), mode=Mode(linker=WantsArith(), optimizer=None, db=db).including()
    )
    assert "Triple" not in _ops(f)


def test_rewrites_registered_after_the_mode_are_seen():
    db = SequenceDB()
    mode = Mode(linker="py", optimizer="fast_run", db=db)
    x = T.dvector("x")
    assert _ops(symcore.function([x], Triple()(x), mode=mode)) == ["Triple"]
    db.register("late", triple_to_add, "fast_run", position=5)
    assert "Triple" not in _ops(symcore.function([x], Triple()(x), mode=mode))


def test_register_mode_by_name():
    name = "TEST_MODE_NO_REWRITES"
    if name not in predefined_modes:
        register_mode(name, Mode(linker="py", optimizer=None))
    with pytest.raises(ValueError, match="already registered"):
        register_mode(name, Mode())
    x = T.dvector("x")
    f = symcore.function([x], Triple()(x), mode=name)
    assert f.maker.mode is predefined_modes[name]


def test_fast_run_and_fast_compile_agree():
    x, y = T.dmatrices("x", "y")
    z = T.exp(x) * y + (x - y) / (1 + T.abs(y))
    xv = np.random.default_rng(0).normal(size=(3, 4))
    yv = np.random.default_rng(1).normal(size=(3, 4))
    expected = np.exp(xv) * yv + (xv - yv) / (1 + np.abs(yv))
    for mode in ("FAST_RUN", "FAST_COMPILE", Mode(linker="py", optimizer=None)):
        f = symcore.function([x, y], z, mode=mode)
        np.testing.assert_allclose(f(xv, yv), expected)


def test_mode_str_and_clone():
    m = Mode(linker="py", optimizer="fast_compile")
    assert "fast_compile" in str(m) and "py" in str(m)
    c = m.clone(optimizer="merge")
    assert c.provided_optimizer == "merge" and c.provided_linker == "py"
    c2 = m.clone(link_kwargs={"allow_gc": False})
    assert c2.raw_linker.allow_gc is False


def _mlp_step(mode, depth=3, width=5, seed=0):
    rng = np.random.default_rng(seed)
    x, y = T.dmatrix("x"), T.dvector("y")
    params, h = [], x
    for i in range(depth):
        w = symcore.shared(rng.standard_normal((width, width)) * 0.5, name=f"W{i}")
        b = symcore.shared(rng.standard_normal(width) * 0.1, name=f"b{i}")
        params += [w, b]
        h = T.tanh(T.dot(h, w) + b)
    v = symcore.shared(rng.standard_normal(width), name="v")
    params.append(v)
    p = 1 / (1 + T.exp(-T.dot(h, v)))
    cost = (-y * T.log(p) - (1 - y) * T.log(1 - p)).mean()
    grads = T.grad(cost, params)
    step = symcore.function(
        [x, y],
        cost,
        updates=[(q, q - 0.1 * g) for q, g in zip(params, grads, strict=True)],
        mode=mode,
    )
    return step, params


def test_training_step_with_all_rewrites_matches_unrewritten():
    """End to end: FAST_RUN (merge, canonicalize, fusion, BLAS, in-place updates of the
    shared weights validated by the DestroyHandler) computes what no rewrites compute."""
    xv = np.random.default_rng(1).standard_normal((7, 5))
    yv = (np.random.default_rng(2).random(7) > 0.5).astype("float64")
    results = []
    for mode in ("FAST_RUN", Mode(linker="py", optimizer=None)):
        step, params = _mlp_step(mode)
        costs = [float(step(xv, yv)) for _ in range(3)]
        results.append((costs, [q.get_value() for q in params]))
    (c1, p1), (c2, p2) = results
    np.testing.assert_allclose(c1, c2, rtol=1e-10)
    for a, b in zip(p1, p2, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-10)
