"""Compilation modes: which rewrites run (a query over ``rewrite_db``) and which linker.

``Mode(linker=None, optimizer="default")``:

* ``linker``: an object with ``make_thunk(fgraph)``; ``"py"`` (the NumPy reference
  linker); ``None``/``"auto"`` (``config.linker``, resolved when the mode is used: the
  backend registered for ``config.device``); or a backend name (``"c"``, ...).
* ``optimizer``: a ``RewriteDatabaseQuery``, a graph rewriter, a name (``"fast_run"``,
  ``"fast_compile"``, ``"merge"``, ``None``/``"None"``), or ``"default"`` (``config.optimizer``).

``mode.optimizer`` is the graph rewriter to run (built from the database on use, so rewrites
registered later are seen; it includes the linker's ``required_rewrites`` tags and excludes
its ``incompatible_rewrites``); ``mode.linker`` is the linker object. Both are wrapped so
that ``profile=True`` functions record rewrite, linker and per-node times.

Predefined: ``FAST_RUN`` (every fast_run rewrite incl. fusion and in-place, default
backend), ``FAST_COMPILE`` (merge and canonicalization, reference linker), ``DebugMode`` /
``DEBUG_MODE`` and ``NanGuardMode`` (their own modules). ``get_mode(None)`` reads
``config.mode``.
"""

from __future__ import annotations

from typing import Any

from symcore.compile.profiling import InstrumentedLinker, TimedRewriter
from symcore.config import config
from symcore.link.reference import ReferenceLinker
from symcore.rewriting.basic import NoRewrite
from symcore.rewriting.db import RewriteDatabaseQuery, db_generation, rewrite_db

__all__ = [
    "FAST_COMPILE",
    "FAST_RUN",
    "Mode",
    "get_default_mode",
    "get_mode",
    "predefined_linkers",
    "predefined_modes",
    "predefined_optimizers",
    "register_linker",
    "register_mode",
    "register_optimizer",
]

#: Linker factories by name (backends registered by plugins are found through
#: ``symcore.plugins.get_backend_for_device`` when a name is not here).
predefined_linkers: dict[str, Any] = {"py": ReferenceLinker}

#: Optimizer specifications by name.
predefined_optimizers: dict[Any, Any] = {
    None: None,
    "None": None,
    "merge": RewriteDatabaseQuery(include=["merge"]),
    "fast_run": RewriteDatabaseQuery(include=["fast_run"]),
    "fast_compile": RewriteDatabaseQuery(include=["fast_compile"]),
}


def register_linker(name: str, linker: Any) -> None:
    """Make ``Mode(linker=name)`` use ``linker`` (an instance or a zero-argument factory)."""
    if name in predefined_linkers:
        raise ValueError(f"a linker named {name!r} is already registered")
    predefined_linkers[name] = linker


def register_optimizer(name: str, optimizer: Any) -> None:
    """Make ``Mode(optimizer=name)`` use ``optimizer`` (a query or a graph rewriter)."""
    if name in predefined_optimizers:
        raise ValueError(f"an optimizer named {name!r} is already registered")
    predefined_optimizers[name] = optimizer


def _resolve_linker(spec: Any) -> Any:
    if spec is None:
        spec = config.linker
    if not isinstance(spec, str):
        if not hasattr(spec, "make_thunk"):
            raise TypeError(f"Mode: the linker {spec!r} has no make_thunk(fgraph) method")
        return spec
    if spec in predefined_linkers:
        made = predefined_linkers[spec]
        return made() if isinstance(made, type) or not hasattr(made, "make_thunk") else made
    from symcore.plugins import get_backend_for_device

    backend = get_backend_for_device(config.device, spec)
    return backend.load_linker()()


class Mode:
    """A rewrite query plus a linker; see the module docstring."""

    def __init__(self, linker: Any = None, optimizer: Any = "default", db: Any = None) -> None:
        if isinstance(optimizer, str) and optimizer == "default":
            optimizer = config.optimizer
        if isinstance(optimizer, str) and optimizer not in predefined_optimizers:
            raise ValueError(
                f"Mode: unknown optimizer {optimizer!r}; use one of "
                f"{sorted(k for k in predefined_optimizers if isinstance(k, str))}, a "
                "RewriteDatabaseQuery or a graph rewriter"
            )
        if optimizer is not None and not isinstance(optimizer, (str, RewriteDatabaseQuery)):
            if not (
                hasattr(optimizer, "rewrite")
                or hasattr(optimizer, "optimize")
                or callable(optimizer)
            ):
                raise TypeError(
                    f"Mode: optimizer {optimizer!r} is not a query, a rewriter or a name"
                )
        if isinstance(linker, str) and linker not in predefined_linkers and linker != "auto":
            from symcore.plugins import registered_backends

            if linker not in {b.name for b in registered_backends()}:
                from symcore.plugins import get_backend_for_device

                get_backend_for_device(config.device, linker)  # raises naming what to install
        self.provided_linker = linker
        self.provided_optimizer = optimizer
        self.db = rewrite_db if db is None else db
        self._linker_cache: tuple[Any, Any] | None = None
        self._opt_cache: tuple[Any, Any] | None = None

    # -- linker ----------------------------------------------------------------------
    @property
    def raw_linker(self) -> Any:
        """The linker object itself (not wrapped for profiling)."""
        key = (
            self.provided_linker
            if not isinstance(self.provided_linker, str) and self.provided_linker is not None
            else (self.provided_linker, config.linker, config.device)
        )
        if self._linker_cache is not None and self._linker_cache[0] == key:
            return self._linker_cache[1]
        linker = _resolve_linker(self.provided_linker)
        self._linker_cache = (key, linker)
        return linker

    @property
    def linker(self) -> Any:
        """The linker, wrapped so that profiled functions get per-node timings."""
        return InstrumentedLinker(self.raw_linker)

    # -- optimizer -------------------------------------------------------------------
    def _query(self) -> RewriteDatabaseQuery | None:
        spec = self.provided_optimizer
        if isinstance(spec, str) or spec is None:
            spec = predefined_optimizers[spec]
        if not isinstance(spec, RewriteDatabaseQuery):
            return None
        try:
            linker = self.raw_linker
        except Exception:  # noqa: BLE001 - an unusable linker fails later, with its own message
            linker = None
        required = tuple(getattr(linker, "required_rewrites", ()) or ())
        incompatible = tuple(getattr(linker, "incompatible_rewrites", ()) or ())
        if required:
            spec = spec.including(*required)
        if incompatible:
            spec = spec.excluding(*incompatible)
        return spec

    @property
    def raw_optimizer(self) -> Any:
        """The graph rewriter built for this mode (not wrapped for profiling)."""
        spec = self.provided_optimizer
        if isinstance(spec, str) or spec is None:
            spec = predefined_optimizers[spec]
        if spec is None:
            return NoRewrite()
        if not isinstance(spec, RewriteDatabaseQuery):
            return spec
        query = self._query()
        key = (query, db_generation(), id(self.db))
        if self._opt_cache is not None and self._opt_cache[0] == key:
            return self._opt_cache[1]
        built = self.db.query(query)
        key = (query, db_generation(), id(self.db))  # the first query may import rewrites
        self._opt_cache = (key, built)
        return built

    @property
    def optimizer(self) -> Any:
        """The graph rewriter to run: ``mode.optimizer.rewrite(fgraph)``."""
        return TimedRewriter(self.raw_optimizer)

    @property
    def query(self) -> RewriteDatabaseQuery | None:
        """The database query of this mode (None when the optimizer is an object)."""
        return self._query()

    # -- derived modes ---------------------------------------------------------------
    def _with_query(self, method: str, tags: tuple[str, ...]) -> Mode:
        spec = self.provided_optimizer
        if isinstance(spec, str) or spec is None:
            spec = predefined_optimizers[spec]
        if spec is None:
            spec = RewriteDatabaseQuery(include=[])
        if not isinstance(spec, RewriteDatabaseQuery):
            raise TypeError(
                f"mode.{method}() needs a mode whose optimizer is a database query; this mode's "
                f"optimizer is {spec!r}"
            )
        return self.clone(optimizer=getattr(spec, method)(*tags))

    def including(self, *tags: str) -> Mode:
        """A copy that also runs the rewrites tagged (or named) ``tags``."""
        return self._with_query("including", tags)

    def excluding(self, *tags: str) -> Mode:
        """A copy that skips the rewrites tagged (or named) ``tags``."""
        return self._with_query("excluding", tags)

    def requiring(self, *tags: str) -> Mode:
        """A copy that keeps only rewrites having all ``tags``."""
        return self._with_query("requiring", tags)

    def clone(self, link_kwargs: dict | None = None, optimizer: Any = "", **kwargs: Any) -> Mode:
        """A copy with another optimizer (``optimizer=``) and/or linker (``linker=``)."""
        linker = kwargs.pop("linker", self.provided_linker)
        if link_kwargs:
            base = _resolve_linker(linker)
            linker = type(base)(**link_kwargs)
        new_opt = self.provided_optimizer if optimizer == "" else optimizer
        new = object.__new__(type(self))
        new.__dict__.update(self.__dict__)
        new.provided_linker = linker
        new.provided_optimizer = new_opt
        new._linker_cache = None
        new._opt_cache = None
        for k, v in kwargs.items():
            setattr(new, k, v)
        return new

    def __str__(self) -> str:
        return (
            f"{type(self).__name__}(linker={self.provided_linker!r}, "
            f"optimizer={self.provided_optimizer!r})"
        )

    __repr__ = __str__


# ---------------------------------------------------------------------------------------
# Predefined modes
# ---------------------------------------------------------------------------------------

FAST_RUN = Mode(linker=None, optimizer="fast_run")
FAST_COMPILE = Mode(linker="py", optimizer="fast_compile")

#: Modes by name. ``DebugMode``/``DEBUG_MODE``/``NanGuardMode`` are added by their modules,
#: imported on first use by ``get_mode``.
predefined_modes: dict[str, Any] = {"FAST_RUN": FAST_RUN, "FAST_COMPILE": FAST_COMPILE}

_LAZY_MODES = {
    "DebugMode": "symcore.compile.debugmode",
    "DEBUG_MODE": "symcore.compile.debugmode",
    "NanGuardMode": "symcore.compile.nanguardmode",
}


def register_mode(name: str, mode: Any) -> None:
    """Make ``get_mode(name)`` (and ``function(mode=name)``) return ``mode``."""
    if name in predefined_modes:
        raise ValueError(f"a mode named {name!r} is already registered")
    predefined_modes[name] = mode


def get_mode(orig: Any = None) -> Any:
    """The mode object for ``orig``: None (``config.mode``), a name, or a mode (returned)."""
    if orig is not None and not isinstance(orig, str):
        if not hasattr(orig, "linker") or not hasattr(orig, "optimizer"):
            raise TypeError(f"get_mode: {orig!r} is not a mode or a mode name")
        return orig
    name = config.mode if orig is None else orig
    if name == "Mode":
        return Mode()
    if name not in predefined_modes and name in _LAZY_MODES:
        import importlib

        # function-level import: these modules subclass Mode from this module (true cycle)
        importlib.import_module(_LAZY_MODES[name])
    if name not in predefined_modes:
        raise ValueError(
            f"unknown mode {name!r}; known modes: "
            f"{sorted(set(predefined_modes) | set(_LAZY_MODES))}"
        )
    if orig is None and name == "FAST_RUN" and config.optimizer != "fast_run":
        return Mode(linker=None, optimizer=config.optimizer)
    return predefined_modes[name]


def get_default_mode() -> Any:
    """``get_mode(None)``."""
    return get_mode(None)
