"""Theano's ``theano.sandbox``: only ``rng_mrg.MRG_RandomStreams`` is provided.

``symcore.sandbox.rng_mrg`` is imported on first access, so ``import symcore`` stays cheap.
Theano's GPU sandboxes (``symcore.sandbox.cuda``, ``symcore.sandbox.gpuarray``) raise an
ImportError pointing at the sym-backend-cuda plugin.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = ("rng_mrg",)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return importlib.import_module(f"symcore.sandbox.{name}")
    raise AttributeError(f"module 'symcore.sandbox' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(list(globals()) + list(_LAZY))
