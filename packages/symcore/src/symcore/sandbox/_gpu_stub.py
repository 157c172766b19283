"""The ImportError raised by Theano's GPU-only modules, which symcore does not provide."""

from __future__ import annotations

GPU_MESSAGE = (
    "{module} was Theano's GPU backend and does not exist in symcore. GPU support is the "
    "'sym-backend-cuda' plugin: install it (pip install sym-backend-cuda) and select it with "
    "the flag device=cuda (SYMCORE_FLAGS='device=cuda'); the same symcore code then runs on "
    "the GPU without importing any GPU module."
)


def gpu_import_error(module: str) -> ImportError:
    """The error for ``import <module>`` of a Theano GPU module."""
    return ImportError(GPU_MESSAGE.format(module=module), name=module)
