"""C code of CumOp (cumsum/cumprod) against NumPy: axes and axis=None, dtypes (integer
results wrap around like NumPy's), layouts and empty inputs."""

from __future__ import annotations

import numpy as np
import pytest
import symcore.tensor as T
from sym_backend_c.testing import compile_c, skip_module_without_compiler

skip_module_without_compiler()


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
