"""``theano.gof.fg``: the ``FunctionGraph`` (re-exported from :mod:`symcore.graph.fg`)."""

from symcore.graph.fg import FunctionGraph, InconsistencyError, MissingInputError  # noqa: F401

__all__ = ["FunctionGraph", "InconsistencyError", "MissingInputError"]
