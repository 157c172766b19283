"""C code of the shape Ops (Shape, Shape_i, MakeVector, Reshape, SpecifyShape, Rebroadcast)
against NumPy: views vs copies, -1, empty arrays, index dtypes and the error messages."""

from __future__ import annotations

import numpy as np
import pytest
import symcore.tensor as T
from sym_backend_c.linker import CLinker
from sym_backend_c.testing import compile_c, skip_module_without_compiler
from symcore.graph.fg import FunctionGraph
from symcore.tensor.shape import MakeVector, Rebroadcast, Reshape, Shape_i, SpecifyShape

skip_module_without_compiler()


def test_shape_shape_i_make_vector():
    x = T.ftensor3("x")
    a, b = T.lscalar("a"), T.bscalar("b")
    run = compile_c(
        [x, a, b],
        [T.shape(x), Shape_i(2)(x), MakeVector("int64")(a, b, a), MakeVector("float64")(b)],
    )
    for xv in [np.zeros((2, 3, 4), "float32"), np.zeros((0, 5, 1), "float32")[:, ::-1]]:
        got = run([xv, np.array(7), np.array(-3, "int8")])
        assert got[0].dtype == np.int64 and list(got[0]) == list(xv.shape)
        assert got[1].dtype == np.int64 and got[1].shape == () and got[1] == xv.shape[2]
        assert got[2].dtype == np.int64 and list(got[2]) == [7, -3, 7]
        assert got[3].dtype == np.float64 and list(got[3]) == [-3.0]


def test_make_vector_with_narrowing_falls_back_to_perform():
    a = T.lscalar("a")
    fg = FunctionGraph([a], [MakeVector("int8")(a)])
    run = CLinker().make_thunk(fg)
    assert [type(n.op).__name__ for n in fg.linker_report.fallback_nodes] == ["MakeVector"]
    assert list(run([np.array(5)])[0]) == [5]


def test_reshape_values_views_and_copies():
    x = T.dtensor3("x")
    s2 = T.bvector("s2")
    s3 = T.lvector("s3")
    run = compile_c(
        [x, s2, s3], [Reshape(2)(x, s2), Reshape(3)(x, s3), x.reshape((-1,)), x.reshape((2, -1, 3))]
    )
    a = np.arange(24.0).reshape(2, 3, 4)
    for xv in [a, a.transpose(0, 2, 1).copy().transpose(0, 2, 1), a[:, ::-1]]:
        got = run(
            [
                xv,
                np.array([4, -1], "int8"),
                np.array([3, 2, 4]),
            ]
        )
        expected = [xv.reshape(4, -1), xv.reshape(3, 2, 4), xv.reshape(-1), xv.reshape(2, -1, 3)]
        for g, e in zip(got, expected, strict=True):
            assert g.shape == e.shape and g.dtype == e.dtype
            np.testing.assert_array_equal(g, e)
        # a view exactly when NumPy makes one
        assert np.shares_memory(got[0], xv) == np.shares_memory(xv.reshape(4, -1), xv)
    empty = np.zeros((0, 3, 4))
    got = run([empty, np.array([12, 0], "int8")[::-1], np.array([0, 4, 3])])
    assert got[0].shape == (0, 12) and got[1].shape == (0, 4, 3) and got[2].shape == (0,)


@pytest.mark.parametrize(
    "shape, message",
    [
        ([5, -1], r"cannot reshape an array of shape \(2, 3, 4\) \(size 24\) into shape \(5, -1\)"),
        ([-1, -1], r"invalid target shape \(-1, -1\)"),
        ([-2, 12], r"invalid target shape \(-2, 12\)"),
        ([0, -1], r"cannot reshape .* into shape \(0, -1\)"),
        ([4, 5], r"cannot reshape an array of shape \(2, 3, 4\) \(size 24\) into shape \(4, 5\)"),
        ([24], r"the shape argument \(24,\) has length 1, expected 2"),
    ],
)
def test_reshape_errors_name_the_op_and_shapes(shape, message):
    x = T.dtensor3("x")
    s = T.lvector("s")
    run = compile_c([x, s], [Reshape(2)(x, s)])
    with pytest.raises(ValueError, match=r"(?s)Reshape\{2\}.*" + message):
        run([np.zeros((2, 3, 4)), np.array(shape)])


def test_specify_shape_and_rebroadcast_return_the_input_after_checking():
    x = T.dmatrix("x")
    s = T.ivector("s")
    r = T.TensorType("float64", (False, False))("r")
    run = compile_c([x, s, r], [SpecifyShape()(x, s) * 1, Rebroadcast((0, True))(r) + 1])
    xv = np.ones((2, 3))
    got = run([xv, np.array([2, 3], "int32"), np.full((1, 4), 2.0)])
    np.testing.assert_array_equal(got[0], xv)
    np.testing.assert_array_equal(got[1], np.full((1, 4), 3.0))
    with pytest.raises(
        ValueError,
        match=r"(?s)SpecifyShape: the input has shape \(2, 3\).*specified shape is \(3, 2\)",
    ):
        run([xv, np.array([3, 2], "int32"), np.ones((1, 4))])
    with pytest.raises(ValueError, match=r"specified shape is \(2, 3, 1\)"):
        run([xv, np.array([2, 3, 1], "int32"), np.ones((1, 4))])
    with pytest.raises(ValueError, match=r"(?s)Rebroadcast.*dimension 0 of the input has length 2"):
        run([xv, np.array([2, 3], "int32"), np.ones((2, 4))])
    # the op itself is a view of its input (view_map)
    run_view = compile_c([x, s], [SpecifyShape()(x, s)])
    assert np.shares_memory(run_view([xv, np.array([2, 3], "int32")])[0], xv)
