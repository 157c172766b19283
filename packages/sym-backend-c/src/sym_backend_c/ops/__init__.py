"""C implementations of core Ops, registered by Op class when this package is imported."""

from sym_backend_c.ops import elemwise  # noqa: F401
