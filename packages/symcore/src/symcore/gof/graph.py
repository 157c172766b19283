"""``theano.gof.graph``: graph nodes and the functions that walk graphs.

Everything comes from :mod:`symcore.graph.basic`; the Theano-only names ``variables``,
``orphans`` and ``ops`` are thin aliases defined here.
"""

from __future__ import annotations

from collections.abc import Iterable

from symcore.graph.basic import (  # noqa: F401
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
    get_var_by_name,
    graph_inputs,
    inputs,
    io_toposort,
    is_in_ancestors,
    list_of_nodes,
    orphans_between,
    vars_between,
)


def variables(i: Iterable[Variable], o: Iterable[Variable]) -> list[Variable]:
    """Theano's ``graph.variables``: the variables between inputs ``i`` and outputs ``o``."""
    return vars_between(i, o)


def orphans(i: Iterable[Variable], o: Iterable[Variable]) -> list[Variable]:
    """Theano's ``graph.orphans``: ownerless variables of ``o`` that are not in ``i``."""
    return orphans_between(i, o)


def ops(i: Iterable[Variable], o: Iterable[Variable]) -> list[Apply]:
    """Theano's ``graph.ops``: the Apply nodes between ``i`` and ``o``."""
    return applys_between(i, o)


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
    "get_var_by_name",
    "graph_inputs",
    "inputs",
    "io_toposort",
    "is_in_ancestors",
    "list_of_nodes",
    "orphans_between",
    "vars_between",
    "variables",
    "orphans",
    "ops",
]
