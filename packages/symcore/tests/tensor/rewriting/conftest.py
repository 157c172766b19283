"""Fixtures for the tests of the tensor rewrites: every rewrite error and every stopped
equilibrium loop (``RewriteWarning``) fails the test; ``rw`` holds small graph helpers."""

from __future__ import annotations

import types
import warnings

import numpy as np
import pytest
import symcore
from symcore.compile.mode import FAST_RUN, Mode
from symcore.config import config
from symcore.rewriting import RewriteWarning
from symcore.scalar import Composite
from symcore.tensor.elemwise import Elemwise


@pytest.fixture(autouse=True)
def _strict_rewrites():
    with config.change_flags(on_opt_error="raise"), warnings.catch_warnings():
        warnings.simplefilter("error", RewriteWarning)
        yield


def _nodes(f):
    return f.maker.fgraph.toposort()


def _op_names(f):
    """Class names of the compiled graph's ops."""
    return [type(n.op).__name__ for n in _nodes(f)]


def _scalar_names(f):
    """Class names of the scalar ops of the compiled graph's plain Elemwise nodes."""
    return [type(n.op.scalar_op).__name__ for n in _nodes(f) if isinstance(n.op, Elemwise)]


def _composites(f):
    return [
        n for n in _nodes(f) if isinstance(n.op, Elemwise) and isinstance(n.op.scalar_op, Composite)
    ]


def _inner_names(node):
    """Class names of the scalar ops inside an Elemwise{Composite} node, in order."""
    comp = node.op.scalar_op
    return [type(n.op).__name__ for n in comp.fgraph.toposort()]


def _function(inputs, outputs, mode=None, **kw):
    return symcore.function(inputs, outputs, mode=mode, **kw)


def _reference(inputs, outputs, **kw):
    """The graph run without any rewrite (the reference linker)."""
    return symcore.function(inputs, outputs, mode=Mode(linker="py", optimizer=None), **kw)


@pytest.fixture
def rw():
    ns = types.SimpleNamespace()
    ns.nodes = _nodes
    ns.op_names = _op_names
    ns.scalar_names = _scalar_names
    ns.composites = _composites
    ns.inner_names = _inner_names
    ns.function = _function
    ns.reference = _reference
    ns.FAST_RUN = FAST_RUN
    ns.no_fusion = FAST_RUN.excluding("fusion")
    ns.canonical = FAST_RUN.excluding("fusion", "inplace", "blas")
    ns.rng = np.random.default_rng(20240607)
    return ns
