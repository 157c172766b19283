"""``symcore.scan`` semantics against NumPy loops: argument order, taps, outputs_info,
n_steps, truncation to the shortest sequence, go_backwards, until, shared variables and
random streams, strict, errors."""

import numpy as np
import pytest
import symcore
import symcore.tensor as T
from symcore.scan import OrderedUpdates, Scan, scan, until

RNG = np.random.default_rng(42)


def scan_nodes(f):
    return [n for n in f.maker.fgraph.toposort() if isinstance(n.op, Scan)]


def test_power_a_k_like_the_tutorial():
    k = T.iscalar("k")
    A = T.vector("A")
    result, updates = scan(
        lambda prior, A: prior * A, outputs_info=T.ones_like(A), non_sequences=A, n_steps=k
    )
    power = symcore.function([A, k], result[-1], updates=updates)
    a = np.arange(10, dtype=A.dtype)
    np.testing.assert_allclose(power(a, 2), a**2)
    np.testing.assert_allclose(power(a, 4), a**4)
    all_steps = symcore.function([A, k], result)(a, 3)
    np.testing.assert_allclose(all_steps, np.stack([a, a**2, a**3]))


def test_argument_order_sequences_states_non_sequences():
    seen = []

    def step(s1, s2, o1, o2_m2, o2_m1, ns1, ns2):
        seen.append((s1, s2, o1, o2_m2, o2_m1, ns1, ns2))
        return o1 + s1 * ns1, o2_m1 + o2_m2 + s2 * ns2

    x, y = T.dvector("x"), T.dvector("y")
    a, b = T.dscalar("a"), T.dscalar("b")
    h0 = T.dscalar("h0")
    g0 = T.dvector("g0")
    (o1, o2), _ = scan(
        step,
        sequences=[x, y],
        outputs_info=[h0, dict(initial=g0, taps=[-2, -1])],
        non_sequences=[a, b],
    )
    assert seen[0][5] is a and seen[0][6] is b  # non-sequences are passed as given
    f = symcore.function([x, y, h0, g0, a, b], [o1, o2])
    xv, yv, g0v = RNG.standard_normal(5), RNG.standard_normal(7), RNG.standard_normal(2)
    r1, r2 = f(xv, yv, 0.5, g0v, 2.0, 3.0)
    h, hist = 0.5, list(g0v)
    e1, e2 = [], []
    for t in range(5):  # truncated to the shortest sequence
        h = h + xv[t] * 2.0
        hist.append(hist[-1] + hist[-2] + yv[t] * 3.0)
        e1.append(h)
        e2.append(hist[-1])
    np.testing.assert_allclose(r1, e1)
    np.testing.assert_allclose(r2, e2)


def test_sequence_taps_past_and_future():
    x = T.dvector("x")
    out, _ = scan(lambda a, b, c: a + 10 * b + 100 * c, sequences=dict(input=x, taps=[-2, 0, 2]))
    xv = RNG.standard_normal(9)
    res = symcore.function([x], out)(xv)
    expected = [xv[t - 2] + 10 * xv[t] + 100 * xv[t + 2] for t in range(2, 7)]
    np.testing.assert_allclose(res, expected)


def test_mit_sot_fibonacci_with_taps_in_user_order():
    f0 = T.lvector("f0")
    out, _ = scan(lambda m1, m2: m1 + m2, outputs_info=dict(initial=f0, taps=[-1, -2]), n_steps=10)
    res = symcore.function([f0], out)(np.array([0, 1]))
    fib = [0, 1]
    for _ in range(10):
        fib.append(fib[-1] + fib[-2])
    np.testing.assert_array_equal(res, fib[2:])
    assert res.dtype == np.int64


def test_outputs_info_none_and_mixed_outputs():
    x = T.dmatrix("x")

    def step(row, acc):
        return row.sum(), acc + row

    (sums, accs), _ = scan(step, sequences=x, outputs_info=[None, T.zeros_like(x[0])])
    xv = RNG.standard_normal((4, 3))
    s, a = symcore.function([x], [sums, accs])(xv)
    np.testing.assert_allclose(s, xv.sum(axis=1))
    np.testing.assert_allclose(a, np.cumsum(xv, axis=0))


def test_polynomial_truncates_to_shortest_sequence():
    coefficients = T.vector("coefficients")
    x = T.scalar("x")
    components, _ = scan(
        lambda c, p, fv: c * (fv**p),
        outputs_info=None,
        sequences=[coefficients, T.arange(10000)],
        non_sequences=x,
    )
    f = symcore.function([coefficients, x], components.sum())
    coefs = np.asarray([1, 0, 2], dtype=coefficients.dtype)
    assert f(coefs, 3) == pytest.approx(1.0 * 3**0 + 0.0 * 3**1 + 2.0 * 3**2)
    n_rows = symcore.function([coefficients, x], components.shape[0])
    assert int(n_rows(coefs, 3)) == 3


def test_symbolic_n_steps_and_zero_steps():
    n = T.lscalar("n")
    h0 = T.dvector("h0")
    out, _ = scan(lambda h: h * 2.0, outputs_info=h0, n_steps=n)
    f = symcore.function([h0, n], out)
    v = np.array([1.0, -2.0])
    np.testing.assert_allclose(f(v, 3), [v * 2, v * 4, v * 8])
    empty = f(v, 0)
    assert empty.shape == (0, 2)


def test_n_steps_larger_than_sequence_is_an_error():
    x = T.dvector("x")
    out, _ = scan(lambda v: v * 2, sequences=x, n_steps=5)
    f = symcore.function([x], out)
    np.testing.assert_allclose(f(np.arange(6.0)), np.arange(5.0) * 2)
    with pytest.raises(ValueError, match="sequence 0 .* has 3 entries but the loop runs 5"):
        f(np.arange(3.0))


def test_negative_n_steps_is_an_error():
    n = T.lscalar("n")
    out, _ = scan(lambda h: h + 1, outputs_info=T.constant(np.float64(0)), n_steps=n)
    with pytest.raises(ValueError, match="n_steps must be >= 0"):
        symcore.function([n], out)(-1)
    with pytest.raises(ValueError, match="n_steps must be >= 0"):
        scan(lambda h: h + 1, outputs_info=T.constant(np.float64(0)), n_steps=-2)


def test_no_sequences_and_no_n_steps():
    with pytest.raises(ValueError, match="n_steps"):
        scan(lambda h: h + 1, outputs_info=T.dscalar())


def test_go_backwards():
    x = T.dvector("x")
    out, _ = scan(
        lambda v, acc: acc * 10 + v,
        sequences=x,
        outputs_info=T.constant(np.float64(0)),
        go_backwards=True,
    )
    res = symcore.function([x], out)(np.array([1.0, 2.0, 3.0]))
    np.testing.assert_allclose(res, [3.0, 32.0, 321.0])


def test_until_while_loop_stops_after_the_true_step():
    x0 = T.dscalar("x0")

    def step(x):
        y = x * 2
        return y, until(y > 100)

    out, _ = scan(step, outputs_info=x0, n_steps=50)
    res = symcore.function([x0], out)(3.0)
    expected = []
    x = 3.0
    while True:
        x *= 2
        expected.append(x)
        if x > 100:
            break
    np.testing.assert_allclose(res, expected)


def test_until_in_any_return_order_with_sequences():
    x = T.dvector("x")
    out, _ = scan(lambda v: (until(v < 0), v * 3), sequences=x)
    res = symcore.function([x], out)(np.array([1.0, 2.0, -1.0, 5.0]))
    np.testing.assert_allclose(res, [3.0, 6.0, -3.0])


def test_shared_variable_updates_returned():
    acc = symcore.shared(np.float64(0.0), name="acc")
    x = T.dvector("x")
    out, updates = scan(lambda v: (v * acc, {acc: acc + v}), sequences=x)
    assert isinstance(updates, OrderedUpdates) and acc in updates
    f = symcore.function([x], out, updates=updates)
    res = f(np.array([1.0, 2.0, 3.0]))
    np.testing.assert_allclose(res, [0.0, 2.0, 9.0])  # reads the state before each update
    assert acc.get_value() == pytest.approx(6.0)
    f(np.array([1.0]))
    assert acc.get_value() == pytest.approx(7.0)


@pytest.mark.parametrize("steps", [0, 2])
def test_shared_state_result_never_aliases_the_shared_value(steps):
    # after zero steps the state's result is the shared value itself; an in-place Op fed
    # by it (here the `+ 1`) must not overwrite the shared variable
    s = symcore.shared(np.arange(3.0), name="s")
    n = T.iscalar("n")
    _, updates = scan(lambda: {s: s * 2 + 1}, n_steps=n)
    f = symcore.function([n], updates[s] + 1)
    expected = np.arange(3.0)
    for _ in range(steps):
        expected = expected * 2 + 1
    np.testing.assert_allclose(f(steps), expected + 1)
    np.testing.assert_allclose(s.get_value(), np.arange(3.0))


def test_shared_variable_read_only_is_an_implicit_non_sequence():
    W = symcore.shared(np.array([[1.0, 2.0], [3.0, 4.0]]), name="W")
    h0 = T.dvector("h0")
    out, updates = scan(lambda h: T.dot(W, h), outputs_info=h0, n_steps=3)
    assert len(updates) == 0
    f = symcore.function([h0], out)
    h = np.array([1.0, -1.0])
    expected = []
    for _ in range(3):
        h = W.get_value() @ h
        expected.append(h)
    np.testing.assert_allclose(f(np.array([1.0, -1.0])), expected)
    W.set_value(np.eye(2))
    np.testing.assert_allclose(f(np.array([1.0, -1.0]))[-1], [1.0, -1.0])


def test_random_stream_inside_the_step():
    from symcore.tensor.shared_randomstreams import RandomStreams

    srng = RandomStreams(seed=234)
    x = T.dvector("x")
    draw = srng.uniform(size=(3,))
    out, updates = scan(lambda v: v + draw, sequences=x)
    assert draw.rng in updates
    f = symcore.function([x], out, updates=updates)
    state = draw.rng.get_value(borrow=True).bit_generator.state
    gen = np.random.Generator(type(draw.rng.get_value(borrow=True).bit_generator)())
    gen.bit_generator.state = state
    res = f(np.zeros(4))
    expected = np.stack([gen.uniform(0.0, 1.0, size=(3,)) for _ in range(4)])
    np.testing.assert_allclose(res, expected)
    res2 = f(np.zeros(4))  # the generator advanced: new numbers
    assert not np.allclose(res, res2)


def test_strict_requires_explicit_inputs():
    W = symcore.shared(np.ones(2), name="W")
    y = T.dvector("y")
    with pytest.raises(ValueError, match="strict=True.*W"):
        scan(lambda h: h * W, outputs_info=y, n_steps=2, strict=True)
    out, _ = scan(lambda h, W: h * W, outputs_info=y, non_sequences=W, n_steps=2, strict=True)
    np.testing.assert_allclose(
        symcore.function([y], out)(np.array([2.0, 3.0])), [[2.0, 3.0], [2.0, 3.0]]
    )


def test_closure_over_outer_variables():
    x = T.dvector("x")
    c = T.dscalar("c")
    out, _ = scan(lambda v: v * c + x.sum(), sequences=x)
    f = symcore.function([x, c], out)
    xv = np.array([1.0, 2.0])
    np.testing.assert_allclose(f(xv, 3.0), xv * 3.0 + xv.sum())


def test_return_list_and_single_output():
    x = T.dvector("x")
    out, _ = scan(lambda v: v + 1, sequences=x)
    assert not isinstance(out, list)
    outs, _ = scan(lambda v: v + 1, sequences=x, return_list=True)
    assert isinstance(outs, list) and len(outs) == 1


def test_implicit_downcast_pitfall_error_names_both_dtypes():
    up_to = T.iscalar("up_to")
    seq = T.arange(up_to)

    def accumulate_by_adding(arange_val, sum_to_date):
        return sum_to_date + arange_val

    with pytest.raises(TypeError) as info:
        scan(
            accumulate_by_adding,
            sequences=seq,
            outputs_info=T.as_tensor_variable(np.asarray(0, "int8")),
        )
    msg = str(info.value)
    assert "int8" in msg and seq.dtype in msg and "cast" in msg and "output 0" in msg

    outputs_info = T.as_tensor_variable(np.asarray(0, seq.dtype))
    scan_result, _ = scan(accumulate_by_adding, sequences=seq, outputs_info=outputs_info)
    f = symcore.function([up_to], scan_result)
    np.testing.assert_array_equal(f(15), [n * (n + 1) // 2 for n in range(15)])


def test_int_state_float_step_error():
    x = T.dvector("x")
    with pytest.raises(TypeError, match="dtype float64 .* dtype int64"):
        scan(lambda v, s: s + v, sequences=x, outputs_info=T.constant(np.int64(0)))


def test_broadcast_pattern_mismatch_error():
    h0 = T.drow("h0")  # first dimension fixed to 1
    W = T.dmatrix("W")
    with pytest.raises(TypeError, match="broadcastable pattern"):
        scan(lambda h, W: h * W[:1], outputs_info=h0, non_sequences=W, n_steps=2)


def test_step_shape_change_is_a_clear_runtime_error():
    h0 = T.dvector("h0")
    out, _ = scan(lambda h: T.concatenate([h, h]), outputs_info=h0, n_steps=2)
    with pytest.raises(ValueError, match="shape"):
        symcore.function([h0], out)(np.ones(2))


def test_wrong_number_of_outputs():
    x = T.dvector("x")
    with pytest.raises(ValueError, match="returned 2 outputs but outputs_info has 1"):
        scan(lambda v, h: [h + v, h - v], sequences=x, outputs_info=[T.dscalar()])


def test_nested_scan():
    M = T.dmatrix("M")

    def row_cumsum(row):
        r, _ = scan(lambda v, acc: acc + v, sequences=row, outputs_info=T.constant(np.float64(0)))
        return r

    out, _ = scan(row_cumsum, sequences=M)
    mv = RNG.standard_normal((3, 4))
    np.testing.assert_allclose(symcore.function([M], out)(mv), np.cumsum(mv, axis=1))


def test_matrix_states_and_multiple_non_sequences():
    A, B = T.dmatrices("A", "B")
    X0 = T.dmatrix("X0")
    out, _ = scan(lambda X, A, B: T.dot(A, X) + B, outputs_info=X0, non_sequences=[A, B], n_steps=4)
    a, b, x = (RNG.standard_normal((2, 2)) * 0.5 for _ in range(3))
    res = symcore.function([A, B, X0], out)(a, b, x)
    expected = []
    for _ in range(4):
        x = a @ x + b
        expected.append(x)
    np.testing.assert_allclose(res, expected)


def test_float32_state_stays_float32():
    h0 = T.fvector("h0")
    out, _ = scan(lambda h: h * 0.5 + 1, outputs_info=h0, n_steps=3)
    assert out.dtype == "float32"
    res = symcore.function([h0], out)(np.ones(2, dtype="float32"))
    assert res.dtype == np.float32
    np.testing.assert_allclose(res[-1], [1.875, 1.875])


def test_infer_shape_gives_rows_from_n_steps():
    x = T.dmatrix("x")
    out, _ = scan(lambda r: r * 2, sequences=x)
    f = symcore.function([x], out.shape)
    assert tuple(f(np.ones((5, 3)))) == (5, 3)
    assert not scan_nodes(f)  # the shape is computed without running the loop


def test_updates_dict_accepts_merging():
    a = symcore.shared(np.float64(0.0))
    b = symcore.shared(np.float64(0.0))
    u1 = OrderedUpdates([(a, a + 1)])
    u2 = OrderedUpdates([(b, b + 1)])
    both = u1 + u2
    assert list(both) == [a, b]
    with pytest.raises(KeyError):
        u1[a] = a + 2
    with pytest.raises(TypeError):
        u1[T.dscalar()] = 1.0
