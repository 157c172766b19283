"""Theano's old name for the graph module: ``symcore.gof`` (``theano.gof``).

Code written for Theano imports ``from theano.gof import Op, Apply, Variable`` or walks
graphs with ``theano.gof.graph.inputs(...)``; this package re-exports the same objects
from :mod:`symcore.graph` so such code runs unchanged. New code should import from
``symcore.graph``.
"""

from symcore.gof import fg, graph, op, toolbox, type, utils  # noqa: F401
from symcore.gof.graph import (  # noqa: F401
    Apply,
    Constant,
    Node,
    Variable,
    ancestors,
    clone,
    clone_get_equiv,
    inputs,
    io_toposort,
)
from symcore.graph.features import Feature, History, NodeFinder, ReplaceValidate, Validator  # noqa: F401
from symcore.graph.fg import FunctionGraph, InconsistencyError, MissingInputError  # noqa: F401
from symcore.graph.op import Op  # noqa: F401
from symcore.graph.type import (  # noqa: F401
    DisconnectedType,
    Generic,
    NullType,
    Type,
    disconnected_type,
    generic,
)
from symcore.graph.utils import MethodNotDefined, TestValueError  # noqa: F401

__all__ = [
    "Apply",
    "Constant",
    "Node",
    "Variable",
    "ancestors",
    "clone",
    "clone_get_equiv",
    "inputs",
    "io_toposort",
    "Feature",
    "History",
    "NodeFinder",
    "ReplaceValidate",
    "Validator",
    "FunctionGraph",
    "InconsistencyError",
    "MissingInputError",
    "Op",
    "DisconnectedType",
    "Generic",
    "NullType",
    "Type",
    "disconnected_type",
    "generic",
    "MethodNotDefined",
    "TestValueError",
    "fg",
    "graph",
    "op",
    "toolbox",
    "type",
    "utils",
]
