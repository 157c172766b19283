"""Rewrite databases: rewriters registered by name, tags and position; modes query them.

``RewriteDatabaseQuery(include, require, exclude)`` selects the rewriters with any
``include`` tag, all ``require`` tags and no ``exclude`` tag (a rewriter's registered name
is one of its tags). A database registered inside another is queried recursively with
the same query (or ``subquery[name]``) and replaced by the rewriter it builds:

* ``SequenceDB`` → ``SequentialGraphRewriter`` in position order,
* ``EquilibriumDB`` → ``EquilibriumGraphRewriter``,
* ``LocalGroupDB`` → ``SequentialNodeRewriter``,
* ``TopoDB(db)`` → a ``WalkingGraphRewriter`` over ``db``'s node rewriters.
"""

from __future__ import annotations

import importlib
import importlib.util
import math
import warnings
from collections.abc import Iterable, Sequence
from typing import Any

from symcore.plugins import PHASES, registered_rewrites
from symcore.rewriting.basic import (
    GraphRewriter,
    NodeRewriter,
    NoRewrite,
    RewriteWarning,
    SequentialGraphRewriter,
    SequentialNodeRewriter,
    graph_rewriter,
)
from symcore.rewriting.destroyhandler import attach_destroy_handler
from symcore.rewriting.folding import constant_folding
from symcore.rewriting.merge import MergeOptimizer
from symcore.rewriting.walking import EquilibriumGraphRewriter, WalkingGraphRewriter, in2out

__all__ = [
    "EquilibriumDB",
    "LocalGroupDB",
    "RewriteDatabase",
    "RewriteDatabaseQuery",
    "SequenceDB",
    "TopoDB",
]

#: Bumped by every registration, so that modes can cache the rewriters they build.
_generation = [0]


def db_generation() -> int:
    """A counter that changes whenever any database changes."""
    return _generation[0]


class RewriteDatabaseQuery:
    """Which rewriters to take from a database (by tags); immutable, with builders."""

    def __init__(
        self,
        include: Iterable[str] = (),
        require: Iterable[str] = (),
        exclude: Iterable[str] = (),
        subquery: dict[str, RewriteDatabaseQuery] | None = None,
        position_cutoff: float = math.inf,
        name: str | None = None,
    ) -> None:
        if isinstance(include, str) or isinstance(require, str) or isinstance(exclude, str):
            raise TypeError(
                "RewriteDatabaseQuery: include/require/exclude take sequences of tags, not a string"
            )
        self.include = tuple(dict.fromkeys(include))
        self.require = tuple(dict.fromkeys(require))
        self.exclude = tuple(dict.fromkeys(exclude))
        self.subquery = dict(subquery or {})
        self.position_cutoff = position_cutoff
        self.name = name

    def _replace(self, **kw: Any) -> RewriteDatabaseQuery:
        args = dict(
            include=self.include,
            require=self.require,
            exclude=self.exclude,
            subquery=self.subquery,
            position_cutoff=self.position_cutoff,
            name=self.name,
        )
        args.update(kw)
        return RewriteDatabaseQuery(**args)

    def including(self, *tags: str) -> RewriteDatabaseQuery:
        """Also take the rewriters with any of ``tags``."""
        return self._replace(
            include=self.include + tags, exclude=tuple(t for t in self.exclude if t not in tags)
        )

    def excluding(self, *tags: str) -> RewriteDatabaseQuery:
        """Drop the rewriters with any of ``tags``."""
        return self._replace(
            exclude=self.exclude + tags, include=tuple(t for t in self.include if t not in tags)
        )

    def requiring(self, *tags: str) -> RewriteDatabaseQuery:
        """Keep only rewriters having all of ``tags``."""
        return self._replace(require=self.require + tags)

    def key(self) -> tuple:
        return (
            self.include,
            self.require,
            self.exclude,
            tuple(sorted((k, v.key()) for k, v in self.subquery.items())),
            self.position_cutoff,
        )

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, RewriteDatabaseQuery) and self.key() == other.key()

    def __hash__(self) -> int:
        return hash(self.key())

    def __str__(self) -> str:
        return (
            f"RewriteDatabaseQuery(include={list(self.include)}, require={list(self.require)}, "
            f"exclude={list(self.exclude)}, position_cutoff={self.position_cutoff})"
        )

    __repr__ = __str__


def _is_rewriter(obj: Any) -> bool:
    return isinstance(obj, (RewriteDatabase, NodeRewriter, GraphRewriter))


class RewriteDatabase:
    """Rewriters by name, with tags. ``query`` returns what a query selects."""

    def __init__(self, name: str | None = None) -> None:
        self.name = name
        self._entries: dict[str, Any] = {}  # name -> rewriter (registration order)
        self._tags: dict[str, set[str]] = {}  # name -> tags

    # -- registration ----------------------------------------------------------------
    def register(
        self, name: str, rewriter: Any, *tags: str, use_db_name_as_tag: bool = True, **kwargs: Any
    ) -> Any:
        """Register ``rewriter`` under ``name`` with ``tags``; returns the rewriter."""
        if kwargs:
            raise TypeError(
                f"{type(self).__name__}.register got unexpected options {sorted(kwargs)}"
            )
        if not isinstance(name, str) or not name:
            raise TypeError(f"rewrite names are non-empty strings, got {name!r}")
        if not _is_rewriter(rewriter):
            raise TypeError(
                f"cannot register {rewriter!r} as {name!r}: expected a NodeRewriter, GraphRewriter "
                "or RewriteDatabase"
            )
        if name in self._entries:
            raise ValueError(
                f"a rewrite named {name!r} is already registered in {self.name or 'this database'}"
            )
        for t in tags:
            if not isinstance(t, str):
                raise TypeError(f"rewrite {name!r}: tags must be strings, got {t!r}")
        all_tags = {name, *tags}
        if use_db_name_as_tag and self.name:
            all_tags.add(self.name)
        self._entries[name] = rewriter
        self._tags[name] = all_tags
        if getattr(rewriter, "name", None) is None:
            try:
                rewriter.name = name
            except AttributeError:  # pragma: no cover
                pass
        _generation[0] += 1
        return rewriter

    def add_tags(self, name: str, *tags: str) -> None:
        self._tags[name].update(tags)
        _generation[0] += 1

    def remove_tags(self, name: str, *tags: str) -> None:
        self._tags[name].difference_update(tags)
        _generation[0] += 1

    def tags_of(self, name: str) -> frozenset[str]:
        return frozenset(self._tags[name])

    def __getitem__(self, name: str) -> Any:
        try:
            return self._entries[name]
        except KeyError:
            raise KeyError(
                f"no rewrite named {name!r} in {self.name or 'this database'}; "
                f"have: {', '.join(self._entries) or 'none'}"
            ) from None

    def __contains__(self, name: Any) -> bool:
        return name in self._entries

    def names(self) -> list[str]:
        return list(self._entries)

    def __iter__(self):
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    # -- queries ---------------------------------------------------------------------
    def _select(self, q: RewriteDatabaseQuery) -> list[tuple[str, Any]]:
        """``(name, rewriter)`` pairs selected by ``q``; sub-databases already built."""
        out = []
        for name, rw in self._entries.items():
            tags = self._tags[name]
            if not any(t in tags for t in q.include):
                continue
            if not all(t in tags for t in q.require):
                continue
            if any(t in tags for t in q.exclude):
                continue
            if isinstance(rw, RewriteDatabase):
                sub_q = q.subquery.get(name, q)
                rw = rw.query(sub_q)
                if rw is None:
                    continue
            out.append((name, rw))
        return out

    def query(self, *tags: Any, **kwtags: Any) -> Any:
        """Select rewriters: ``query(RewriteDatabaseQuery)`` or ``query("+tag", "-tag", "&tag")``.

        The base database returns the list of selected rewriters; subclasses build one.
        """
        q = _as_query(tags, kwtags)
        return [rw for _, rw in self._select(q)]

    def __str__(self) -> str:
        return f"{type(self).__name__}({self.name or ''}: {', '.join(self._entries)})"

    __repr__ = __str__

    def print_summary(self, file=None) -> None:
        import sys

        file = file or sys.stdout
        print(f"{type(self).__name__} {self.name or ''}", file=file)
        for name in self._entries:
            print(f"  {name}: tags {sorted(self._tags[name] - {name})}", file=file)


def _as_query(tags: Sequence[Any], kwtags: dict) -> RewriteDatabaseQuery:
    if len(tags) == 1 and isinstance(tags[0], RewriteDatabaseQuery):
        if kwtags:
            return tags[0]._replace(**kwtags)
        return tags[0]
    include, require, exclude = [], [], []
    for t in tags:
        if not isinstance(t, str):
            raise TypeError(
                f"query tags are strings like '+fast_run', '-inplace', '&tag'; got {t!r}"
            )
        if t.startswith("-"):
            exclude.append(t[1:])
        elif t.startswith("&"):
            require.append(t[1:])
        else:
            include.append(t[1:] if t.startswith("+") else t)
    return RewriteDatabaseQuery(include=include, require=require, exclude=exclude, **kwtags)


class SequenceDB(RewriteDatabase):
    """Graph rewriters run in order of their float ``position`` (ties: registration order).

    Node rewriters registered here are wrapped in an ``in2out`` walk.
    """

    def __init__(self, name: str | None = None, failure_callback: Any = None) -> None:
        super().__init__(name)
        self.positions: dict[str, float] = {}
        self.failure_callback = failure_callback

    def register(
        self,
        name: str,
        rewriter: Any,
        *tags: str,
        position: float | str = "last",
        use_db_name_as_tag: bool = True,
    ) -> Any:
        if position == "last":
            position = (max(self.positions.values()) + 1) if self.positions else 0.0
        if not isinstance(position, (int, float)) or isinstance(position, bool):
            raise TypeError(
                f"rewrite {name!r}: position must be a number or 'last', got {position!r}"
            )
        super().register(name, rewriter, *tags, use_db_name_as_tag=use_db_name_as_tag)
        self.positions[name] = float(position)
        return rewriter

    def query(self, *tags: Any, **kwtags: Any) -> GraphRewriter:
        q = _as_query(tags, kwtags)
        order = list(self._entries)
        selected = [(n, rw) for n, rw in self._select(q) if self.positions[n] < q.position_cutoff]
        selected.sort(key=lambda p: (self.positions[p[0]], order.index(p[0])))
        rewriters = []
        for name, rw in selected:
            if isinstance(rw, NodeRewriter):
                rw = in2out(rw, name=name)
            rewriters.append(rw)
        return SequentialGraphRewriter(
            *rewriters,
            name=self.name,
            failure_callback=self.failure_callback,
            names=[n for n, _ in selected],
        )

    def print_summary(self, file=None) -> None:
        import sys

        file = file or sys.stdout
        print(f"{type(self).__name__} {self.name or ''}", file=file)
        for name in sorted(self._entries, key=lambda n: self.positions[n]):
            print(
                f"  {self.positions[name]:>6g} {name}: tags {sorted(self._tags[name] - {name})}",
                file=file,
            )


class EquilibriumDB(RewriteDatabase):
    """Node (and graph) rewriters applied together until the graph stops changing.

    ``register(..., final_rewriter=True)`` runs a graph rewriter at the end of each round.
    """

    def __init__(
        self,
        name: str | None = None,
        max_use_ratio: float | None = None,
        ignore_newtrees: bool = False,
    ) -> None:
        super().__init__(name)
        self.max_use_ratio = max_use_ratio
        self.ignore_newtrees = ignore_newtrees
        self.final: set[str] = set()

    def register(
        self,
        name: str,
        rewriter: Any,
        *tags: str,
        final_rewriter: bool = False,
        use_db_name_as_tag: bool = True,
    ) -> Any:
        if final_rewriter and not isinstance(rewriter, GraphRewriter):
            raise TypeError(f"final rewriter {name!r} must be a GraphRewriter")
        super().register(name, rewriter, *tags, use_db_name_as_tag=use_db_name_as_tag)
        if final_rewriter:
            self.final.add(name)
        return rewriter

    def query(self, *tags: Any, **kwtags: Any) -> GraphRewriter:
        q = _as_query(tags, kwtags)
        selected = self._select(q)
        main = [rw for n, rw in selected if n not in self.final]
        final = [rw for n, rw in selected if n in self.final]
        if not main and not final:
            return NoRewrite()
        return EquilibriumGraphRewriter(
            main,
            max_use_ratio=self.max_use_ratio,
            final_rewriters=final,
            ignore_newtrees=self.ignore_newtrees,
            name=self.name,
        )


class LocalGroupDB(RewriteDatabase):
    """Node rewriters tried in turn on each node (a ``SequentialNodeRewriter``)."""

    def __init__(self, name: str | None = None) -> None:
        super().__init__(name)
        self.positions: dict[str, float] = {}

    def register(
        self,
        name: str,
        rewriter: Any,
        *tags: str,
        position: float | str = "last",
        use_db_name_as_tag: bool = True,
    ) -> Any:
        if not isinstance(rewriter, (NodeRewriter, LocalGroupDB)):
            raise TypeError(
                f"LocalGroupDB {self.name!r} takes node rewriters; {name!r} is {rewriter!r}"
            )
        if position == "last":
            position = (max(self.positions.values()) + 1) if self.positions else 0.0
        super().register(name, rewriter, *tags, use_db_name_as_tag=use_db_name_as_tag)
        self.positions[name] = float(position)
        return rewriter

    def query(self, *tags: Any, **kwtags: Any) -> NodeRewriter | None:
        q = _as_query(tags, kwtags)
        order = list(self._entries)
        selected = sorted(self._select(q), key=lambda p: (self.positions[p[0]], order.index(p[0])))
        if not selected:
            return None
        return SequentialNodeRewriter(*[rw for _, rw in selected], name=self.name)


class TopoDB(RewriteDatabase):
    """A walk (``in_to_out`` or ``out_to_in``) applying the node rewriters of ``db``."""

    def __init__(
        self,
        db: RewriteDatabase,
        order: str = "in_to_out",
        ignore_newtrees: bool = False,
        name: str | None = None,
    ) -> None:
        super().__init__(name or db.name)
        self.db = db
        self.order = order
        self.ignore_newtrees = ignore_newtrees

    def register(self, *args: Any, **kwargs: Any) -> Any:
        return self.db.register(*args, **kwargs)

    def query(self, *tags: Any, **kwtags: Any) -> GraphRewriter:
        q = _as_query(tags, kwtags)
        inner = self.db.query(q)
        if inner is None:
            return NoRewrite()
        if isinstance(inner, list):
            inner = SequentialNodeRewriter(*inner) if inner else None
            if inner is None:
                return NoRewrite()
        return WalkingGraphRewriter(
            inner, self.order, ignore_newtrees=self.ignore_newtrees, name=self.name
        )


# ---------------------------------------------------------------------------------------
# The global database and its phases
# ---------------------------------------------------------------------------------------

#: Plugin phases (``symcore.plugins.PHASES``) that have a sub-database to register into.
_PLUGIN_PHASE_DBS = {
    "canonicalize": "canonicalize",
    "stabilize": "stabilize",
    "specialize": "specialize",
    "blas": "blas",
    "fusion": "elemwise_fusion",
}


class GlobalRewriteDB(SequenceDB):
    """The process-wide ``SequenceDB`` of phases (``rewrite_db``/``optdb``).

    Before its first query it imports the core's tensor rewrites
    (``symcore.tensor.rewriting``); before every query it slots in rewrites registered by
    plugins since the last query.
    """

    def __init__(self) -> None:
        super().__init__(None)
        self._builtin_loaded = False
        self._plugin_seen: set[str] = set()

    def query(self, *tags: Any, **kwtags: Any) -> GraphRewriter:
        self.ensure_loaded()
        return super().query(*tags, **kwtags)

    def ensure_loaded(self) -> None:
        """Import the core's tensor rewrites once, and add new plugin rewrites."""
        if not self._builtin_loaded:
            self._builtin_loaded = True
            if importlib.util.find_spec("symcore.tensor.rewriting") is not None:
                # function-level import: symcore.tensor.rewriting imports this module (true cycle)
                importlib.import_module("symcore.tensor.rewriting")
        self.sync_plugins()

    def sync_plugins(self) -> None:
        """Register rewrites from ``symcore.plugins.registered_rewrites()`` not seen yet."""
        for rec in registered_rewrites():
            if rec.name in self._plugin_seen:
                continue
            self._plugin_seen.add(rec.name)
            tags = tuple(rec.tags) or ("fast_run",)
            target = _PLUGIN_PHASE_DBS.get(rec.phase)
            try:
                if target is not None and float(rec.position) == float(PHASES[rec.phase]):
                    self[target].register(rec.name, rec.rewriter, *tags)
                else:
                    self.register(rec.name, rec.rewriter, *tags, position=rec.position)
            except (TypeError, ValueError) as exc:
                warnings.warn(
                    f"rewrite {rec.name!r} of plugin {rec.plugin!r} was not added: {exc}",
                    RewriteWarning,
                    stacklevel=2,
                )


def _build_global_db() -> GlobalRewriteDB:
    db = GlobalRewriteDB()
    db.register("merge1", MergeOptimizer(), "fast_run", "fast_compile", "merge", position=0)
    useless = LocalGroupDB("useless")
    db.register(
        "useless", TopoDB(useless, name="useless"), "fast_run", "fast_compile", position=0.6
    )

    canonicalize = EquilibriumDB("canonicalize")
    db.register("canonicalize", canonicalize, "fast_run", "fast_compile", position=1)
    canonicalize.register("useless", useless, "fast_run", "fast_compile")
    canonicalize.register(
        "constant_folding", constant_folding, "fast_run", "fast_compile", "constant_folding"
    )
    canonicalize.register(
        "merge", MergeOptimizer(), "fast_run", "fast_compile", "merge", final_rewriter=True
    )

    db.register("stabilize", EquilibriumDB("stabilize"), "fast_run", position=1.5)
    db.register("blas", SequenceDB("blas"), "fast_run", position=1.7)

    specialize = EquilibriumDB("specialize")
    db.register("specialize", specialize, "fast_run", position=2)
    specialize.register("useless", useless, "fast_run")
    specialize.register("constant_folding", constant_folding, "fast_run", "constant_folding")
    specialize.register("merge", MergeOptimizer(), "fast_run", "merge", final_rewriter=True)

    db.register("uncanonicalize", EquilibriumDB("uncanonicalize"), "fast_run", position=3)
    db.register("merge2", MergeOptimizer(), "fast_run", "merge", position=48.5)
    db.register("elemwise_fusion", SequenceDB("elemwise_fusion"), "fast_run", "fusion", position=49)

    @graph_rewriter
    def add_destroy_handler(fgraph):
        """Attach the DestroyHandler that validates the in-place rewrites that follow."""
        attach_destroy_handler(fgraph)

    db.register("add_destroy_handler", add_destroy_handler, "fast_run", "inplace", position=49.5)
    db.register("merge3", MergeOptimizer(), "fast_run", "fast_compile", "merge", position=100)
    return db


#: The global rewrite database (Theano/PyTensor's ``optdb``).
rewrite_db: GlobalRewriteDB = _build_global_db()
optdb = rewrite_db

__all__ += ["GlobalRewriteDB", "rewrite_db", "optdb", "db_generation"]
