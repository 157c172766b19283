"""The graph protocol: Type, Variable, Constant, Apply, Op and FunctionGraph."""

from symcore.graph.basic import (
    Apply,
    AtomicVariable,
    Constant,
    Node,
    Variable,
    ancestors,
    applys_between,
    clone,
    clone_get_equiv,
    clone_replace,
    graph_inputs,
    inputs,
    io_toposort,
    orphans_between,
    vars_between,
)
from symcore.graph.fg import FunctionGraph, InconsistencyError, MissingInputError
from symcore.graph.op import Op
from symcore.graph.type import DisconnectedType, Generic, NullType, Type, generic

__all__ = [
    "Apply",
    "AtomicVariable",
    "Constant",
    "Node",
    "Variable",
    "ancestors",
    "applys_between",
    "clone",
    "clone_get_equiv",
    "clone_replace",
    "graph_inputs",
    "inputs",
    "io_toposort",
    "orphans_between",
    "vars_between",
    "FunctionGraph",
    "InconsistencyError",
    "MissingInputError",
    "Op",
    "Type",
    "Generic",
    "NullType",
    "DisconnectedType",
    "generic",
]
