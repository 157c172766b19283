"""``theano.gof.type``: ``Type`` and the generic types (from :mod:`symcore.graph.type`)."""

from symcore.graph.type import (  # noqa: F401
    DisconnectedType,
    Generic,
    NullType,
    Type,
    disconnected_type,
    generic,
)

__all__ = ["DisconnectedType", "Generic", "NullType", "Type", "disconnected_type", "generic"]
