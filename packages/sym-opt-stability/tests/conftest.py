"""Fixtures of the sym-opt-stability tests.

Functions are compiled with the default mode (FAST_RUN: every rewrite, fusion included) on
the linker named by ``SYMCORE_TEST_LINKER`` (default ``py``, the NumPy reference backend),
as the core's tests do; ``naive`` functions are compiled with ``excluding("stabilize")``.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pytest
import symcore
from symcore.config import config
from symcore.graph.basic import io_toposort
from symcore.scalar.composite import Composite
from symcore.tensor.elemwise import Elemwise

TEST_LINKER = os.environ.get("SYMCORE_TEST_LINKER", "py")


@pytest.fixture(autouse=True)
def _test_linker():
    with config.change_flags(linker=TEST_LINKER):
        yield


def _compile(inputs: Sequence[Any], outputs: Any, stabilize: bool = True, **kw: Any):
    mode = symcore.compile.mode.get_mode(None)
    if not stabilize:
        mode = mode.excluding("stabilize")
    return symcore.function(list(inputs), outputs, mode=mode, **kw)


def _op_names(f: Any) -> list[str]:
    """Class names of the Ops of a compiled function; Elemwise nodes count as their scalar
    op, and fused Composite nodes as the scalar ops inside them."""
    names = []
    for node in f.maker.fgraph.toposort():
        op = node.op
        if isinstance(op, Elemwise):
            sop = op.scalar_op
            if isinstance(sop, Composite):
                inner = io_toposort(sop.inputs, sop.outputs)
                names.extend(type(n.op).__name__ for n in inner)
            else:
                names.append(type(sop).__name__)
        else:
            names.append(type(op).__name__)
    return names


def _run(f: Any, *args: Any) -> Any:
    """Call ``f`` with NumPy's overflow/invalid warnings silenced (the naive forms raise them)."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        return f(*args)


@pytest.fixture
def compile_fn() -> Callable[..., Any]:
    """``compile_fn(inputs, outputs, stabilize=True)``: a function in the default mode, or
    with ``excluding("stabilize")`` when ``stabilize=False``."""
    return _compile


@pytest.fixture
def op_names() -> Callable[[Any], list[str]]:
    """``op_names(f)``: the Op class names of a compiled function (Composites expanded)."""
    return _op_names


@pytest.fixture
def run() -> Callable[..., Any]:
    """``run(f, *args)``: call ``f`` with NumPy floating-point warnings silenced."""
    return _run


@pytest.fixture
def tol() -> Callable[[str], dict[str, float]]:
    """``tol(dtype)``: ``assert_allclose`` tolerances for results of that dtype."""

    def get(dtype: str) -> dict[str, float]:
        return {"rtol": 1e-12, "atol": 0.0} if dtype == "float64" else {"rtol": 2e-6, "atol": 0.0}

    return get
