"""Elementwise addition through symcore.function, next to NumPy doing the same."""

from __future__ import annotations

import numpy as np
import symcore
import symcore.tensor as T


class ElemwiseAdd:
    """Calling a compiled ``x + y`` on float64 vectors of n elements."""

    params = [10, 10_000, 1_000_000]
    param_names = ["n"]

    def setup(self, n: int) -> None:
        x, y = T.vector("x"), T.vector("y")
        self.f = symcore.function([x, y], x + y)
        rng = np.random.default_rng(0)
        self.a = rng.standard_normal(n)
        self.b = rng.standard_normal(n)
        np.testing.assert_allclose(self.f(self.a, self.b), self.a + self.b)

    def time_symcore_call(self, n: int) -> None:
        self.f(self.a, self.b)

    def time_numpy_add(self, n: int) -> None:
        np.add(self.a, self.b)


class CompileElemwiseAdd:
    """Building and compiling the graph of ``x + y``."""

    def time_compile(self) -> None:
        x, y = T.vector("x"), T.vector("y")
        symcore.function([x, y], x + y)
