"""``theano.gof.toolbox``: FunctionGraph features (from :mod:`symcore.graph.features`)."""

from symcore.graph.features import (  # noqa: F401
    AlreadyThere,
    Feature,
    History,
    NodeFinder,
    ReplaceValidate,
    Validator,
)

__all__ = ["AlreadyThere", "Feature", "History", "NodeFinder", "ReplaceValidate", "Validator"]
