"""Every core test runs once per installed CPU backend: the test ids end in ``[linker-py]``
(the NumPy reference backend) and ``[linker-c]`` (sym-backend-c, when installed), and the
tests check results against NumPy either way.

``SYMCORE_TEST_LINKER`` picks the backends instead (comma-separated: ``py``, ``c`` or
``py,c``); ``-k linker-py`` or ``-k linker-c`` selects one from the command line.

A backend that cannot compile here (e.g. no C compiler, so the C backend would hand the
graph to the reference one with a warning) makes its tests skip, saying why: they never
pass without having run on it. The C backend compiles into ``compiledir`` (default: the
user's cache), so a second run reuses the modules of the first.
"""

from __future__ import annotations

import os
import warnings
from functools import cache

import pytest
from symcore import plugins
from symcore.config import config

TEST_DEVICE = "cpu"


def _test_linkers() -> list[str]:
    chosen = os.environ.get("SYMCORE_TEST_LINKER", "").strip()
    if chosen:
        return [name.strip() for name in chosen.split(",") if name.strip()]
    names = [b.name for b in plugins.registered_backends() if b.serves(TEST_DEVICE)]
    # the reference backend first, then the others by name: stable ids across machines
    return sorted(set(names), key=lambda name: (name != "py", name))


@cache
def _unusable(linker: str) -> str | None:
    """Why ``linker`` does not run compiled graphs here, or None when it does."""
    if linker == "py":
        return None
    import symcore
    import symcore.tensor as T

    x = T.dvector("x")
    with config.change_flags(linker=linker), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            f = symcore.function([x], x + 1)
        except Exception as exc:  # noqa: BLE001 - reported as the skip reason
            return f"linker={linker!r} cannot compile: {type(exc).__name__}: {exc}"
    report = getattr(f.maker.fgraph, "linker_report", None)
    built_by = getattr(report, "backend", "py")
    if built_by != linker:
        said = "; ".join(str(w.message) for w in caught) or "no warning"
        return f"linker={linker!r} handed the graph to backend {built_by!r} ({said})"
    return None


@pytest.fixture(autouse=True, params=_test_linkers(), ids=lambda name: f"linker-{name}")
def _core_test_linker(request):
    linker = request.param
    problem = _unusable(linker)
    if problem is not None:
        pytest.skip(problem)
    with config.change_flags(linker=linker):
        yield
