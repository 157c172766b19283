"""Helpers registering rewriters into the phases of the global ``rewrite_db``.

Each helper works bare as a decorator, with extra tags, or with ``name=``::

    @register_canonicalize
    @node_rewriter([Elemwise])
    def local_x(fgraph, node): ...

    @register_specialize("fast_compile", name="local_y")
    @node_rewriter([Elemwise])
    def ...

    register_stabilize(some_rewriter, "my_tag")
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from symcore.rewriting.basic import GraphRewriter, NodeRewriter
from symcore.rewriting.db import RewriteDatabase, rewrite_db
from symcore.rewriting.walking import in2out

__all__ = [
    "register_blas",
    "register_canonicalize",
    "register_fusion",
    "register_inplace",
    "register_specialize",
    "register_stabilize",
    "register_uncanonicalize",
    "register_useless",
]


def _name_of(rewriter: Any, name: str | None) -> str:
    nm = name or getattr(rewriter, "name", None) or getattr(rewriter, "__name__", None)
    if not nm:
        raise ValueError(f"cannot register {rewriter!r}: give it a name= (it has none)")
    return nm


def _make(
    db_name: str | None, default_tags: tuple[str, ...], doc: str, **defaults: Any
) -> Callable:
    def register(rewriter: Any = None, *tags: str, name: str | None = None, **kwargs: Any) -> Any:
        if rewriter is None or isinstance(rewriter, str):
            if isinstance(rewriter, str):
                tags = (rewriter, *tags)
            return lambda rw: register(rw, *tags, name=name, **kwargs)
        db = rewrite_db if db_name is None else rewrite_db[db_name]
        opts = {**defaults, **kwargs}
        db.register(_name_of(rewriter, name), rewriter, *default_tags, *tags, **opts)
        return rewriter

    register.__doc__ = doc
    return register


register_canonicalize = _make(
    "canonicalize",
    ("fast_run", "fast_compile"),
    "Register a rewriter in the ``canonicalize`` EquilibriumDB (tags fast_run, fast_compile).",
)
register_stabilize = _make(
    "stabilize",
    ("fast_run",),
    "Register a rewriter in the ``stabilize`` EquilibriumDB (tag fast_run).",
)
register_specialize = _make(
    "specialize",
    ("fast_run",),
    "Register a rewriter in the ``specialize`` EquilibriumDB (tag fast_run).",
)
register_uncanonicalize = _make(
    "uncanonicalize",
    ("fast_run",),
    "Register a rewriter in the ``uncanonicalize`` EquilibriumDB (tag fast_run).",
)


def register_useless(
    rewriter: Any = None, *tags: str, name: str | None = None, **kwargs: Any
) -> Any:
    """Register a node rewriter removing useless nodes (the ``useless`` group: run in its
    own walk at 0.6 and inside canonicalize and specialize; tags fast_run, fast_compile)."""
    if rewriter is None or isinstance(rewriter, str):
        if isinstance(rewriter, str):
            tags = (rewriter, *tags)
        return lambda rw: register_useless(rw, *tags, name=name, **kwargs)
    group: RewriteDatabase = rewrite_db["useless"].db
    group.register(_name_of(rewriter, name), rewriter, "fast_run", "fast_compile", *tags, **kwargs)
    return rewriter


def register_inplace(
    rewriter: Any = None, *tags: str, name: str | None = None, position: float = 60.0
) -> Any:
    """Register an in-place rewrite directly in ``rewrite_db`` at ``position`` (50..75;
    tags fast_run, inplace). A node rewriter is wrapped in an ``in2out`` walk; the
    DestroyHandler is attached at 49.5 (``add_destroy_handler``)."""
    if rewriter is None or isinstance(rewriter, str):
        if isinstance(rewriter, str):
            tags = (rewriter, *tags)
        return lambda rw: register_inplace(rw, *tags, name=name, position=position)
    nm = _name_of(rewriter, name)
    entry = in2out(rewriter, name=nm) if isinstance(rewriter, NodeRewriter) else rewriter
    if not isinstance(entry, (GraphRewriter, RewriteDatabase)):
        raise TypeError(f"register_inplace: {rewriter!r} is not a rewriter")
    rewrite_db.register(nm, entry, "fast_run", "inplace", *tags, position=position)
    return rewriter


register_fusion = _make(
    "elemwise_fusion",
    ("fast_run", "fusion"),
    "Register a rewriter in the ``elemwise_fusion`` SequenceDB at ``position=`` "
    "(tags fast_run, fusion).",
)
register_blas = _make(
    "blas",
    ("fast_run",),
    "Register a rewriter in the ``blas`` SequenceDB at ``position=`` (tag fast_run).",
)
