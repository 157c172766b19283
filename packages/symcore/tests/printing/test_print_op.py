"""The ``Print`` Op: identity that prints values when the graph runs."""

import numpy as np
import symcore
import symcore.tensor as T
from symcore.gradient import grad
from symcore.printing import Print


def test_print_shows_message_and_value_and_passes_the_value_through(capsys):
    x = T.dvector("x")
    f = symcore.function([x], Print("hello world")(x) * 2)
    val = np.array([1.0, 2.5])
    np.testing.assert_array_equal(f(val), val * 2)
    assert capsys.readouterr().out == f"hello world __str__ = {val}\n"


def test_print_attrs(capsys):
    x = T.dmatrix("x")
    f = symcore.function([x], Print("x", attrs=("shape", "dtype"))(x).sum())
    val = np.ones((2, 3))
    assert f(val) == val.sum()
    assert capsys.readouterr().out == "x shape = (2, 3)\nx dtype = float64\n"


def test_global_fn_replaces_printing():
    seen = []
    x = T.dvector("x")
    f = symcore.function(
        [x], Print("m", global_fn=lambda op, v: seen.append((op.message, v.copy())))(x)
    )
    f(np.array([3.0]))
    assert seen[0][0] == "m"
    np.testing.assert_array_equal(seen[0][1], [3.0])


def test_print_runs_at_every_call(capsys):
    x = T.dscalar("x")
    f = symcore.function([x], Print("v")(x) + 1)
    f(1.0)
    f(2.0)
    out = capsys.readouterr().out.splitlines()
    assert out == [f"v __str__ = {np.asarray(1.0)}", f"v __str__ = {np.asarray(2.0)}"]


def test_gradient_passes_through():
    x = T.dvector("x")
    cost = (Print("x")(x) ** 2).sum()
    g = symcore.function([x], grad(cost, x))
    val = np.array([1.0, -2.0, 3.0])
    np.testing.assert_allclose(g(val), 2 * val)


def test_print_of_constant_is_not_folded(capsys):
    c = T.constant(np.array([1.0, 2.0]))
    f = symcore.function([], Print("const")(c) + 0)
    f()
    f()
    assert capsys.readouterr().out.count("const __str__") == 2


def test_print_str_and_equality():
    assert str(Print("abc")) == "Print{abc}"
    assert Print("a") == Print("a")
    assert Print("a") != Print("b")
