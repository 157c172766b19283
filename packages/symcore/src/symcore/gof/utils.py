"""``theano.gof.utils``: small graph helpers and errors (from :mod:`symcore.graph.utils`)."""

from symcore.graph.utils import (  # noqa: F401
    MethodNotDefined,
    Scratchpad,
    TestValueError,
    format_trace,
    user_trace,
)

__all__ = ["MethodNotDefined", "Scratchpad", "TestValueError", "format_trace", "user_trace"]
