"""``theano.gof.op``: the ``Op`` base class (re-exported from :mod:`symcore.graph.op`)."""

from symcore.graph.op import Op  # noqa: F401

__all__ = ["Op"]
