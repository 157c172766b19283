"""symcore (C backend) against its peers on the issue-7 workloads, in one run.

Peers: NumPy written by hand, numexpr (elementwise only), PyTensor (its C backend, mode
"CVM", and mode "NUMBA"), JAX (jit, CPU, float64 enabled). The Theano-like functions
(symcore, PyTensor) are timed with ``trust_input = True`` except in the first overhead row.
Every implementation's result is checked against NumPy before it is timed; a peer that is
not installed or fails is skipped with a printed note. Prints one table of medians and
symcore's ratio to the best peer (below 1 is faster), with the issue's target per row.

Scan (``--only scan``, issue 8; workloads in ``asv_benchmarks/benchmarks/scan_workloads.py``):
A**k by a loop of k = 1000 multiplications (the Theano tutorial's ``power``) at 10 and 10^4
elements, with NumPy's ``A**k`` (no loop) as the floor and a numba loop as a note; an Elman
RNN (T = 100, batch 16, 100 -> 100), the forward pass alone and the cost with its gradient
w.r.t. W, U, b. NumPy: Python loops (the RNN's input projection of all steps in one product,
BPTT by hand); JAX: ``lax.scan`` and ``jax.value_and_grad`` under ``jit``.

Compile times (``--only compile``): a new graph in a warm process (another learning rate,
a constant of the fused update code: every library), a cold cache in a new process (a
fresh compiledir; per-installation work done before timing), a warm cache in a new
process (symcore and PyTensor's C backend, the libraries with a disk cache).

Thread counts are the same for everyone: ``--threads N`` (default 1) pins the process to N
CPUs and sets OMP/OpenBLAS/MKL/numexpr/numba thread counts, XLA's flags and symcore's and
PyTensor's ``openmp`` flag (on when N > 1) before any of them is imported.

Usage::

    python benchmarks/compare_peers.py [--threads N] [--repeat R] [--min-time S]
        [--only overhead,elemwise,logreg,mlp,scan,compile] [--markdown] [--json FILE]

PyTensor's C mode needs a BLAS to link (``-lopenblas`` is used when a system OpenBLAS is
found; install ``libopenblas-dev``), else it uses a slow fallback and says so.
"""

from __future__ import annotations

import argparse
import os
import sys

# -- threads: before NumPy, JAX, PyTensor or symcore are imported ----------------------------
_parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
_parser.add_argument("--threads", type=int, default=1)
_parser.add_argument("--repeat", type=int, default=7, help="timing samples per measurement")
_parser.add_argument("--min-time", type=float, default=0.05, help="seconds per sample")
_parser.add_argument("--only", default="overhead,elemwise,logreg,mlp,scan,compile")
_parser.add_argument("--sizes", default="1000,100000,10000000", help="elementwise sizes")
_parser.add_argument("--markdown", action="store_true", help="print the table as Markdown")
_parser.add_argument("--json", default=None, help="also write the results to this file")
ARGS = _parser.parse_args()
_N = str(ARGS.threads)
for _var in (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    "NUMEXPR_MAX_THREADS",
    "NUMBA_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
):
    os.environ[_var] = _N
_multi = "true" if ARGS.threads > 1 else "false"
os.environ["XLA_FLAGS"] = (
    os.environ.get("XLA_FLAGS", "")
    + f" --xla_cpu_multi_thread_eigen={_multi} intra_op_parallelism_threads={_N}"
).strip()
_omp = "True" if ARGS.threads > 1 else "False"
os.environ["SYMCORE_FLAGS"] = ",".join(
    f for f in (os.environ.get("SYMCORE_FLAGS", ""), f"openmp={_omp}") if f
)
_pt_flags = [os.environ.get("PYTENSOR_FLAGS", ""), f"openmp={_omp}"]
if "blas__ldflags" not in _pt_flags[0]:
    import ctypes.util

    if ctypes.util.find_library("openblas"):
        _pt_flags.append("blas__ldflags=-lopenblas")
os.environ["PYTENSOR_FLAGS"] = ",".join(f for f in _pt_flags if f)
if hasattr(os, "sched_setaffinity"):
    _cpus = sorted(os.sched_getaffinity(0))[: ARGS.threads]
    os.sched_setaffinity(0, _cpus)

import datetime  # noqa: E402
import importlib.util  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def _load_workloads(name: str = "c_workloads"):
    path = ROOT / "asv_benchmarks" / "benchmarks" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"symcore_{name}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


W = _load_workloads()
SW = _load_workloads("scan_workloads")  # the scan workloads (issue 8)
PEERS = ("numpy", "numexpr", "pytensor-c", "pytensor-numba", "jax")
NOTES: list[str] = []


class Skip(Exception):
    """This implementation does not run here (not installed, or not applicable)."""


def note(msg: str) -> None:
    NOTES.append(msg)
    print(f"  note: {msg}", flush=True)


# -- timing ---------------------------------------------------------------------------------
def median_time(fn: Callable[[], Any]) -> float:
    """Median seconds per call over ARGS.repeat samples of at least ARGS.min_time each."""
    fn()
    fn()
    t0 = time.perf_counter()
    fn()
    once = max(time.perf_counter() - t0, 1e-7)
    number = max(1, int(ARGS.min_time / once))
    samples = []
    for _ in range(ARGS.repeat):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        samples.append((time.perf_counter() - t0) / number)
    return statistics.median(samples)


def check(name: str, got, expected, rtol: float, atol: float = 0.0) -> None:
    got_l = list(got) if isinstance(got, (list, tuple)) else [got]
    exp_l = list(expected) if isinstance(expected, (list, tuple)) else [expected]
    assert len(got_l) == len(exp_l), f"{name}: {len(got_l)} results, expected {len(exp_l)}"
    for g, e in zip(got_l, exp_l, strict=True):
        g = np.asarray(g)
        e = np.asarray(e)
        if e.dtype == bool:
            mismatch = np.mean(g != e)
            assert mismatch < 0.01, f"{name}: {mismatch:.1%} of the boolean results differ"
        else:  # cancellation makes relative errors meaningless near 0: scale atol too
            scale = float(np.max(np.abs(e))) if e.size else 0.0
            np.testing.assert_allclose(g, e, rtol=rtol, atol=max(atol, rtol * scale), err_msg=name)


# -- libraries ------------------------------------------------------------------------------
def _jax():
    try:
        import jax
    except ImportError as exc:
        raise Skip(f"jax not installed ({exc})") from None
    jax.config.update("jax_enable_x64", True)
    jax.config.update("jax_platforms", "cpu")
    return jax


def _numexpr():
    try:
        import numexpr
    except ImportError as exc:
        raise Skip(f"numexpr not installed ({exc})") from None
    numexpr.set_num_threads(ARGS.threads)
    return numexpr


def _api(impl: str):
    """The Theano-API builder of an implementation (symcore or PyTensor in some mode)."""
    if impl == "symcore":
        api = W.symcore_api()
        return api
    try:
        import pytensor  # noqa: F401
    except ImportError as exc:
        raise Skip(f"pytensor not installed ({exc})") from None
    if impl == "pytensor-numba":
        try:
            import numba  # noqa: F401
        except ImportError as exc:
            raise Skip(f"numba not installed ({exc})") from None
        return W.pytensor_api("NUMBA")
    return W.pytensor_api("CVM")  # PyTensor 3's C backend (its FAST_RUN is Numba)


def _symcore_backend(f) -> None:
    report = getattr(f.maker.fgraph, "linker_report", None)
    if report is None or report.backend != "c":
        raise RuntimeError("symcore did not compile with the C backend")
    if report.fallback_nodes:
        names = sorted({type(n.op).__name__ for n in report.fallback_nodes})
        note(f"symcore: nodes running their Python perform (no C code yet): {', '.join(names)}")


# -- workloads ------------------------------------------------------------------------------
def _kw(api) -> dict:
    return {} if api.mode is None else {"mode": api.mode}


def overhead_impls(trusted: bool):
    """Per-call overhead of ``x + 1`` on 10 float64 elements (``trusted``: the Theano-like
    functions with ``trust_input = True``; NumPy, numexpr and JAX check nothing anyway).

    Yields ``(name, build)``; ``build()`` returns ``(call, expected)``."""
    x = np.arange(10.0)
    expected = x + 1
    yield "numpy", lambda: ((lambda: np.add(x, 1.0)), expected)

    def numexpr_impl():
        ne = _numexpr()
        return (lambda: ne.evaluate("x + 1", local_dict={"x": x})), expected

    yield "numexpr", numexpr_impl

    def theano_impl(impl):
        api = _api(impl)
        v = api.T.vector("x", dtype="float64")
        f = api.function([v], v + 1, **_kw(api))
        if impl == "symcore":
            _symcore_backend(f)
        f.trust_input = trusted
        return (lambda: f(x)), expected

    for impl in ("pytensor-c", "pytensor-numba", "symcore"):
        yield impl, (lambda impl=impl: theano_impl(impl))

    def jax_impl():
        jax = _jax()
        jf = jax.jit(lambda a: a + 1)
        return (lambda: jf(x).block_until_ready()), expected

    yield "jax", jax_impl


def elemwise_impls(name: str, n: int):
    fn, ne_expr, k = W.ELEMWISE[name]
    a, b, c = W.elemwise_data(n)
    args = (a, b, c)[:k]
    expected = fn(np, a, b, c)
    yield "numpy", lambda: ((lambda: fn(np, a, b, c)), expected)

    def numexpr_impl():
        ne = _numexpr()
        local = {"a": a, "b": b, "c": c}
        return (lambda: ne.evaluate(ne_expr, local_dict=local)), expected

    yield "numexpr", numexpr_impl

    def theano_impl(impl):
        f = W.theano_elemwise(_api(impl), name)
        if impl == "symcore":
            _symcore_backend(f)
        f.trust_input = True
        return (lambda: f(*args)), expected

    for impl in ("pytensor-c", "pytensor-numba", "symcore"):
        yield impl, (lambda impl=impl: theano_impl(impl))

    def jax_impl():
        jax = _jax()
        import jax.numpy as jnp

        jf = jax.jit(lambda a, b, c: fn(jnp, a, b, c))
        ja, jb, jc = (jax.device_put(v) for v in (a, b, c))
        return (lambda: jf(ja, jb, jc).block_until_ready()), expected

    yield "jax", jax_impl


class Stateful:
    """A training step to check (outputs and parameters after its first call) and time."""

    def __init__(self, model, expected) -> None:
        self.model, self.expected = model, expected


def _theano_model_impls(make_model, expected):
    """symcore and PyTensor's two modes on a training model ``make_model(api)`` (with
    ``train``, ``step`` and ``params``), ``trust_input`` on."""

    def theano_impl(impl):
        model = make_model(_api(impl))
        if impl == "symcore":
            _symcore_backend(model.train)
        model.train.trust_input = True
        return model.step, Stateful(model, expected)

    for impl in ("pytensor-c", "pytensor-numba", "symcore"):
        yield impl, (lambda impl=impl: theano_impl(impl))


def logreg_impls(dtype: str):
    X, Y, w0, b0 = W.logreg_data(dtype)
    ref = W.NumpyLogreg(X, Y, w0, b0)
    expected = list(ref.step()) + ref.params()  # outputs and parameters after one step

    def numpy_impl():
        model = W.NumpyLogreg(X, Y, w0, b0)
        return model.step, Stateful(model, expected)

    yield "numpy", numpy_impl

    yield from _theano_model_impls(lambda api: W.TheanoLogreg(api, X, Y, w0, b0), expected)

    def jax_impl():
        jax = _jax()
        import jax.numpy as jnp

        lr = np.asarray(W.LOGREG_LR, dtype)

        def cost_fn(w, b, x, y):
            p = 1 / (1 + jnp.exp(-(x @ w) - b))
            xent = -y * jnp.log(p) - (1 - y) * jnp.log(1 - p)
            return xent.mean() + 0.01 * (w**2).sum(), (p > 0.5, xent)

        @jax.jit
        def step(w, b, x, y):
            grad_fn = jax.value_and_grad(cost_fn, (0, 1), has_aux=True)
            (_, (pred, xent)), (gw, gb) = grad_fn(w, b, x, y)
            return w - lr * gw, b - lr * gb, pred, xent

        return _jax_model(jax, step, [w0, b0], [X, Y], 2, expected)

    yield "jax", jax_impl


def _jax_model(jax, step, params, data, n_out, expected):
    """A stateful stepper around a pure jitted ``step(*params, *data) -> (*params, *outs)``."""

    class Model:
        def __init__(self):
            self.p = [jax.device_put(v) for v in params]
            self.d = [jax.device_put(v) for v in data]

        def step(self):
            res = step(*self.p, *self.d)
            self.p = list(res[: len(params)])
            outs = res[len(params) :]
            jax.block_until_ready(outs)
            return outs if n_out > 1 else outs[0]

        def params(self):
            return [np.asarray(v) for v in self.p]

    model = Model()
    return model.step, Stateful(model, expected)


def mlp_impls():
    X, labels, params = W.mlp_data()
    ref = W.NumpyMLP(X, labels, params)
    expected = [ref.step()] + ref.params()

    def numpy_impl():
        model = W.NumpyMLP(X, labels, params)
        return model.step, Stateful(model, expected)

    yield "numpy", numpy_impl

    yield from _theano_model_impls(lambda api: W.TheanoMLP(api, X, labels, params), expected)

    def jax_impl():
        jax = _jax()
        import jax.numpy as jnp

        lr = W.MLP_LR

        def cost_fn(W1, b1, W2, b2, x, y):
            h = jnp.tanh(x @ W1 + b1)
            p = jax.nn.softmax(h @ W2 + b2, axis=-1)
            return -jnp.mean(jnp.log(p)[jnp.arange(y.shape[0]), y])

        @jax.jit
        def step(W1, b1, W2, b2, x, y):
            cost, grads = jax.value_and_grad(cost_fn, (0, 1, 2, 3))(W1, b1, W2, b2, x, y)
            new = [p - lr * g for p, g in zip((W1, b1, W2, b2), grads, strict=True)]
            return (*new, cost)

        return _jax_model(jax, step, params, [X, labels], 1, expected)

    yield "jax", jax_impl


# -- scan (issue 8) --------------------------------------------------------------------------
def _symcore_scan_note(label: str, f) -> None:
    """Says how symcore's C backend runs each Scan of ``f``: inlined as a C loop in the
    graph's function, or by the per-step driver (the node's perform calling the compiled
    step once per step); other nodes without C code are named too."""
    report = getattr(f.maker.fgraph, "linker_report", None)
    if report is None or report.backend != "c":
        raise RuntimeError("symcore did not compile with the C backend")
    inlined = sum(type(n.op).__name__ == "Scan" for n in report.c_nodes)
    driven = sum(type(n.op).__name__ == "Scan" for n in report.fallback_nodes)
    others = sorted({type(n.op).__name__ for n in report.fallback_nodes} - {"Scan"})
    msg = f"{label} / symcore: {inlined} scan(s) inlined as C loops, {driven} per-step driver"
    note(msg + (f"; running their Python perform: {', '.join(others)}" if others else ""))


def _theano_scan_impls(build_fn, args, expected, label: str):
    """symcore and PyTensor's two modes on one Theano-API builder ``build_fn(api) -> f``."""

    def theano_impl(impl):
        f = build_fn(_api(impl))
        if impl == "symcore":
            _symcore_scan_note(label, f)
        f.trust_input = True
        return (lambda: f(*args)), expected

    for impl in ("pytensor-c", "pytensor-numba", "symcore"):
        yield impl, (lambda impl=impl: theano_impl(impl))


def scan_power_impls(n: int):
    """A**k (k = SW.POWER_K) by a loop of k multiplications of an n-vector: NumPy's Python
    loop, PyTensor and symcore ``scan`` (the tutorial's ``power``), JAX ``lax.scan``."""
    a = SW.power_data(n)
    k = np.asarray(SW.POWER_K, dtype="int32")  # the iscalar input (trust_input: no cast)
    expected = SW.numpy_power_loop(a)
    yield "numpy", lambda: ((lambda: SW.numpy_power_loop(a)), expected)
    yield from _theano_scan_impls(SW.theano_power, (a, k), expected, f"A**k n={n}")

    def jax_impl():
        jax = _jax()
        jf = SW.jax_power(jax)
        ja = jax.device_put(a)
        return (lambda: jf(ja).block_until_ready()), expected

    yield "jax", jax_impl


def power_closed_form_impls(n: int):
    """The floor of every loop above: NumPy's ``A**k`` (one vectorised ``pow``, no loop)."""
    a = SW.power_data(n)
    yield "numpy", lambda: ((lambda: SW.numpy_power(a)), SW.numpy_power_loop(a))


def numba_power_loop_note(n: int) -> None:
    """A hand-written compiled loop (numba ``njit``) of the same k multiplications: the
    "equivalent hand-written C loop" of issue 8, reported as a note."""
    try:
        import numba
    except ImportError:
        return
    a = SW.power_data(n)

    @numba.njit(cache=False)
    def power_loop(a, k):
        r = np.ones_like(a)
        for _ in range(k):
            for i in range(a.shape[0]):
                r[i] *= a[i]
        return r

    check("numba loop", power_loop(a, SW.POWER_K), SW.numpy_power_loop(a), 1e-10)
    t = median_time(lambda: power_loop(a, SW.POWER_K))
    note(f"A**k, k={SW.POWER_K}, n={n}: a hand-written loop compiled by numba takes {fmt(t, 's')}")


def scan_rnn_impls(grad: bool):
    """The RNN of ``scan_workloads``: the cost (forward) or ``[cost, gW, gU, gb]``."""
    data = SW.rnn_data()
    x, h0, Wm, U, b = data
    if grad:
        expected = SW.numpy_rnn_cost_and_grads(*data)
        yield "numpy", lambda: ((lambda: SW.numpy_rnn_cost_and_grads(*data)), expected)
    else:
        expected = SW.numpy_rnn_cost(*data)
        yield "numpy", lambda: ((lambda: SW.numpy_rnn_cost(*data)), expected)
    label = "RNN forward+grad" if grad else "RNN forward"
    yield from _theano_scan_impls(lambda api: SW.theano_rnn(api)[int(grad)], data, expected, label)

    def jax_impl():
        jax = _jax()
        forward, train = SW.jax_rnn(jax)
        jargs = [jax.device_put(v) for v in (Wm, U, b, x, h0)]
        if not grad:
            return (lambda: forward(*jargs).block_until_ready()), expected

        def call():
            cost, grads = jax.block_until_ready(train(*jargs))
            return [cost, *grads]

        return call, expected

    yield "jax", jax_impl


def scan_rows() -> None:
    k = SW.POWER_K
    for n in SW.POWER_SIZES:
        run_row(f"scan A**k, k={k}, n={n}", scan_power_impls(n), None, 1e-10)
    for n in SW.POWER_SIZES:
        run_row(f"A**k without a loop (NumPy A**k), n={n}", power_closed_form_impls(n), None, 1e-10)
        numba_power_loop_note(n)
    shape = f"T={SW.RNN_T}, batch {SW.RNN_BATCH}, {SW.RNN_INPUT}-{SW.RNN_HIDDEN}"
    run_row(f"scan RNN forward ({shape})", scan_rnn_impls(False), None, 1e-9)
    run_row(f"scan RNN forward+grad W,U,b ({shape})", scan_rnn_impls(True), None, 1e-9)


# -- compile time -----------------------------------------------------------------------------
COLD_SAMPLES = 3


def compile_cold(impl: str, which: str) -> float:
    """Median seconds to compile a graph never compiled before in this (warmed-up) process:
    each sample uses another learning rate, a constant of the fused update code."""
    data = W.logreg_data() if which == "logreg" else W.mlp_data()
    times = []
    for k in range(COLD_SAMPLES):
        lr = 0.1 + 1e-7 * (k + 1) + 1e-12 * (time.time_ns() % 1_000_000)
        t0 = time.perf_counter()
        if impl == "jax":
            _jax_compile(which, lr, data)
        elif which == "logreg":
            W.TheanoLogreg(_api(impl), *data, lr=lr)
        else:
            W.TheanoMLP(_api(impl), *data, lr=lr)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _jax_compile(which: str, lr: float, data) -> None:
    jax = _jax()
    import jax.numpy as jnp

    if which == "logreg":
        X, Y, w0, b0 = data

        def cost_fn(w, b):
            p = 1 / (1 + jnp.exp(-(X @ w) - b))
            return (-Y * jnp.log(p) - (1 - Y) * jnp.log(1 - p)).mean() + 0.01 * (w**2).sum()

        step = jax.jit(
            lambda w, b: [
                v - lr * g for v, g in zip((w, b), jax.grad(cost_fn, (0, 1))(w, b), strict=True)
            ]
        )
        jax.block_until_ready(step(w0, b0))
    else:
        X, labels, params = data

        def cost_fn(ps):
            h = jnp.tanh(X @ ps[0] + ps[1])
            p = jax.nn.softmax(h @ ps[2] + ps[3], axis=-1)
            return -jnp.mean(jnp.log(p)[jnp.arange(labels.shape[0]), labels])

        step = jax.jit(
            lambda ps: [v - lr * g for v, g in zip(ps, jax.grad(cost_fn)(ps), strict=True)]
        )
        jax.block_until_ready(step(params))


PROCESS_CODE = """
import importlib.util, sys, time
spec = importlib.util.spec_from_file_location("w", {path!r})
W = importlib.util.module_from_spec(spec); sys.modules["w"] = W; spec.loader.exec_module(W)
api = W.{api}
{prepare}
data = W.{which}_data()
t0 = time.perf_counter()
W.{cls}(api, *data)
print(time.perf_counter() - t0)
"""

#: Per-installation work done before timing a cold compile: what PyTensor does when it is
#: imported with an empty compiledir (its helper modules), symcore does on its first
#: compile (probing the compiler, the precompiled header).
SYMCORE_PREPARE = (
    "from sym_backend_c import build, toolchain; "
    "build.precompiled_header(toolchain.get_toolchain())"
)


def compile_in_new_process(impl: str, which: str, cold: bool) -> float:
    """Median seconds to compile the graph in a NEW process (imports not timed), with an
    empty cache (``cold``: a fresh compiledir per run) or one that has it (warm)."""
    import tempfile

    api = "symcore_api()" if impl == "symcore" else "pytensor_api('CVM')"
    code = PROCESS_CODE.format(
        path=str(ROOT / "asv_benchmarks" / "benchmarks" / "c_workloads.py"),
        api=api,
        prepare=SYMCORE_PREPARE if impl == "symcore" else "",
        which=which,
        cls="TheanoLogreg" if which == "logreg" else "TheanoMLP",
    )
    times = []
    with tempfile.TemporaryDirectory(prefix="compare_peers_") as base:
        for k in range(COLD_SAMPLES + (0 if cold else 1)):
            env = dict(os.environ)
            cache = os.path.join(base, f"run{k}" if cold else "shared")
            if impl == "symcore":
                env["SYMCORE_FLAGS"] = f"{env['SYMCORE_FLAGS']},compiledir={cache}"
            else:
                env["PYTENSOR_FLAGS"] = f"{env['PYTENSOR_FLAGS']},base_compiledir={cache}"
            r = subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, env=env
            )
            if r.returncode != 0:
                raise RuntimeError(r.stderr[-2000:])
            times.append(float(r.stdout.strip().splitlines()[-1]))
    return statistics.median(times if cold else times[1:])  # warm: the first run fills it


def ensure_bytecode() -> None:
    """Compile symcore's packages to ``.pyc`` before timing new processes. An installed
    package has its bytecode (pip writes it, and PyTensor's is there), but an editable
    checkout run with ``PYTHONDONTWRITEBYTECODE`` set would recompile ~300 KB of source in
    every new process and time Python's compiler instead of symcore's start-up."""
    import compileall

    for src in sorted((ROOT / "packages").glob("*/src")):
        compileall.compile_dir(str(src), quiet=1)
    note(
        "compile in a new process: symcore's packages were byte-compiled first (.pyc), "
        "as an installed package is"
    )


def compile_rows() -> None:
    """Compile times: a new graph in a warm process (in-process, every library), a cold
    cache in a new process and a warm cache in a new process (the libraries with a disk
    cache: symcore, PyTensor's C backend)."""
    kinds = (
        ("new graph, warm process", ("pytensor-c", "pytensor-numba", "jax", "symcore")),
        ("cold cache, new process", ("pytensor-c", "symcore")),
        ("warm cache, new process", ("pytensor-c", "symcore")),
    )
    targets = {
        ("logreg", "cold cache, new process"): "≤ 1 s",
        ("mlp", "cold cache, new process"): "≤ 2 s",
        ("logreg", "warm cache, new process"): "≤ 50 ms",
    }
    ensure_bytecode()
    for which in ("logreg", "mlp"):
        for kind, impls in kinds:
            label = f"compile {which} train: {kind}"
            print(f"{label} ...", flush=True)
            row = {"workload": label, "target": targets.get((which, kind)), "times": {}}
            row["unit"] = "s"
            for impl in impls:
                try:
                    if kind.startswith("new graph"):
                        row["times"][impl] = compile_cold(impl, which)
                    else:
                        cold = kind.startswith("cold")
                        row["times"][impl] = compile_in_new_process(impl, which, cold)
                except Skip as exc:
                    note(str(exc))
                except Exception as exc:  # noqa: BLE001
                    note(f"{label} / {impl}: {type(exc).__name__}: {str(exc)[:300]}")
            ROWS.append(row)


# -- running and reporting --------------------------------------------------------------------
ROWS: list[dict] = []


def run_row(label: str, impls, target: str | None, rtol: float, unit: str = "s") -> None:
    """Build, check against NumPy, then time every implementation ``impls`` yields."""
    print(f"{label} ...", flush=True)
    row = {"workload": label, "target": target, "times": {}, "unit": unit}
    for name, build in impls:
        try:
            fn, expected = build()
        except Skip as exc:
            note(str(exc))
            continue
        except Exception as exc:  # noqa: BLE001 - a broken peer is reported, not fatal
            note(f"{label} / {name}: failed to build: {type(exc).__name__}: {str(exc)[:300]}")
            continue
        try:
            if isinstance(expected, Stateful):
                outs = fn()
                got = list(outs) if isinstance(outs, (list, tuple)) else [outs]
                got += list(expected.model.params())
                check(f"{label} {name}", got, expected.expected, rtol, atol=rtol * 1e-2)
            else:
                check(f"{label} {name}", fn(), expected, rtol)
            row["times"][name] = median_time(fn)
        except Exception as exc:  # noqa: BLE001
            note(f"{label} / {name}: skipped: {type(exc).__name__}: {str(exc)[:300]}")
    ROWS.append(row)


def best_peer(times: dict) -> tuple[str, float] | None:
    peers = [(k, v) for k, v in times.items() if not k.startswith("symcore")]
    return min(peers, key=lambda kv: kv[1]) if peers else None


def fmt(t: float | None, unit: str) -> str:
    if t is None:
        return "-"
    if unit == "s":
        if t < 1e-3:
            return f"{t * 1e6:.2f} µs"
        if t < 1:
            return f"{t * 1e3:.2f} ms"
    return f"{t:.2f} s"


COLUMNS = ("numpy", "numexpr", "pytensor-c", "pytensor-numba", "jax", "symcore")


def print_table(markdown: bool) -> None:
    head = ["workload", *COLUMNS, "symcore / best peer", "target"]
    lines = []
    for row in ROWS:
        t = row["times"]
        sym = t.get("symcore")
        best = best_peer(t)
        ratio = f"{sym / best[1]:.2f} ({best[0]})" if sym and best else "-"
        cells = [row["workload"], *(fmt(t.get(c), row["unit"]) for c in COLUMNS), ratio]
        lines.append([*cells, row["target"] or ""])
    if markdown:
        print("| " + " | ".join(head) + " |")
        print("|" + "---|" * len(head))
        for cells in lines:
            print("| " + " | ".join(cells) + " |")
    else:
        widths = [max(len(str(c[i])) for c in [head, *lines]) for i in range(len(head))]
        for cells in [head, *lines]:
            print("  ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True)))


def describe_machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            cpu = next(ln.split(":", 1)[1].strip() for ln in fh if ln.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{cpu}, {os.cpu_count()} CPUs visible, {ARGS.threads} used; {platform.platform()}"


def versions() -> str:
    out = [f"python {platform.python_version()}", f"numpy {np.__version__}"]
    for mod in ("symcore", "numexpr", "pytensor", "jax", "numba"):
        try:
            out.append(f"{mod} {__import__(mod).__version__}")
        except Exception:  # noqa: BLE001
            out.append(f"{mod} missing")
    return ", ".join(out)


def main() -> None:
    warnings.filterwarnings("ignore")
    only = set(ARGS.only.split(","))
    print(f"# compare_peers {datetime.date.today()} — {describe_machine()}")
    print(f"# {versions()}")
    env = {k: os.environ[k] for k in ("PYTENSOR_FLAGS", "SYMCORE_FLAGS")}
    print("# " + " ".join(f"{k}={v}" for k, v in env.items()))
    if "overhead" in only:
        run_row("x + 1, 10 elements (per call)", overhead_impls(False), "≤ 1.0 µs", 0)
        run_row("x + 1, 10 elements, trust_input", overhead_impls(True), "≤ 0.5 µs", 0)
    if "elemwise" in only:
        for name in W.ELEMWISE:
            for n in (int(s) for s in ARGS.sizes.split(",")):
                run_row(f"{name}, n={n:.0e}", elemwise_impls(name, n), "≤ 1.0", 1e-12)
        big = max(int(s) for s in ARGS.sizes.split(","))
        a = W.elemwise_data(big)[0]
        row = next((r for r in ROWS if r["workload"] == f"a + a**10, n={big:.0e}"), None)
        if row and "symcore" in row["times"]:
            # Issue 7's bandwidth target, both sides with a fresh output: the caller keeps
            # every result, so neither NumPy's copy nor symcore can write into memory the
            # previous call used (symcore would recycle a dropped result's buffer). The two
            # are measured alternately, three times, and the medians compared.
            f = W.theano_elemwise(W.symcore_api(), "a + a**10")
            _symcore_backend(f)
            f.trust_input = True
            held = [None]

            def copy_kept():
                held[0] = a.copy()

            def symcore_kept():
                held[0] = f(a)

            t_copy, t_fresh = [], []
            for _ in range(3):
                t_copy.append(median_time(copy_kept))
                t_fresh.append(median_time(symcore_kept))
            held[0] = None
            t_copy, t_fresh = statistics.median(t_copy), statistics.median(t_fresh)
            t_recycled = row["times"]["symcore"]
            note(
                f"a + a**10 at n={big:.0e}, fresh outputs (each result kept): NumPy's "
                f"a.copy() {fmt(t_copy, 's')}, symcore {fmt(t_fresh, 's')}: "
                f"{t_copy / t_fresh:.0%} of the copy's bandwidth (target ≥ 80%). With each "
                f"result dropped (the table's timing) symcore recycles the buffer: "
                f"{fmt(t_recycled, 's')}."
            )
    if "logreg" in only:
        for dtype, rtol in (("float64", 1e-9), ("float32", 2e-4)):
            run_row(f"logreg step {dtype} (400x784)", logreg_impls(dtype), "≤ 0.85", rtol)
    if "mlp" in only:
        run_row("MLP 784-500-10 SGD step (batch 60)", mlp_impls(), "≤ 0.90", 1e-9)
    if "scan" in only:
        scan_rows()
    if "compile" in only:
        compile_rows()
    print()
    print_table(ARGS.markdown)
    if NOTES:
        print("\nNotes:")
        for n in dict.fromkeys(NOTES):
            print(f"- {n}")
    if ARGS.json:
        Path(ARGS.json).write_text(
            json.dumps(
                {
                    "machine": describe_machine(),
                    "versions": versions(),
                    "rows": ROWS,
                    "notes": NOTES,
                },
                indent=1,
            )
        )


if __name__ == "__main__":
    main()
