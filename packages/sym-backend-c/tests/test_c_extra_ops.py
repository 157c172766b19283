"""C code of CumOp (cumsum/cumprod) against NumPy: axes and axis=None, dtypes (integer
results wrap around like NumPy's), layouts and empty inputs."""

from __future__ import annotations

import numpy as np
import pytest
import symcore.tensor as T
from sym_backend_c.linker import CLinker
from sym_backend_c.toolchain import CompilerNotFoundError, get_toolchain
from symcore.config import change_flags
from symcore.graph.fg import FunctionGraph

try:
    get_toolchain()
except CompilerNotFoundError as exc:  # pragma: no cover - depends on the machine
    pytest.skip(f"no C compiler: {exc}", allow_module_level=True)


@pytest.fixture(scope="module", autouse=True)
def _compiledir(tmp_path_factory):
    with change_flags(compiledir=str(tmp_path_factory.mktemp("symc"))):
        yield


def compile_c(inputs, outputs):
    """The C runner of a graph whose every node has C code (asserted)."""
    fg = FunctionGraph(inputs, outputs)
    run = CLinker().make_thunk(fg)
    assert fg.linker_report.backend == "c"
    assert not fg.linker_report.fallback_nodes, [str(n.op) for n in fg.linker_report.fallback_nodes]
    return run


@pytest.mark.parametrize("dtype", ["float64", "float32", "int32", "int8", "bool", "uint16"])
def test_cumsum_cumprod_match_numpy(dtype):
    x = T.tensor(dtype, (False,) * 3, name="x")
    cases = [
        (T.cumsum(x, axis=1), lambda a, d: np.cumsum(a, axis=1, dtype=d)),
        (T.cumprod(x, axis=0), lambda a, d: np.cumprod(a, axis=0, dtype=d)),
        (T.cumsum(x), lambda a, d: np.cumsum(a, dtype=d)),
        (T.cumprod(x, axis=-1), lambda a, d: np.cumprod(a, axis=-1, dtype=d)),
    ]
    run = compile_c([x], [c for c, _ in cases])
    rng = np.random.default_rng(1)
    a = (
        rng.random((3, 4, 5)) > 0.5
        if dtype == "bool"
        else (rng.standard_normal((3, 4, 5)) * 3).astype(dtype)
    )
    for v in [a, a[::-1, :, ::2], np.asfortranarray(a), a[:, :0]]:
        got = run([v])
        for (out, fn), g in zip(cases, got, strict=True):
            with np.errstate(all="ignore"):
                e = fn(v, out.dtype)
            assert g.dtype == e.dtype and g.shape == e.shape
            if e.dtype.kind == "f":
                np.testing.assert_allclose(g, e, rtol=1e-6)
            else:
                np.testing.assert_array_equal(g, e)
