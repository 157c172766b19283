"""nox sessions: tests, tests_c, lint, bench.

Run them from the project venv that `bash scripts/test.sh` creates:
    .venv/bin/python -m nox -s tests        # same as bash scripts/test.sh
    .venv/bin/python -m nox -s tests_c      # the core suite on the C backend only
    .venv/bin/python -m nox -s lint         # ruff check
    .venv/bin/python -m nox -s bench        # asv smoke run (--quick) on this interpreter

All sessions are python=False: they use the interpreter running nox (sys.executable), so
they need no other Python on PATH and no network beyond PyPI for scripts/test.sh. (With
CI=true nox turns a missing interpreter into an error; python=False has none to miss.)
"""

from __future__ import annotations

import sys

import nox

nox.options.sessions = ["lint", "tests"]


@nox.session(python=False)
def tests(session: nox.Session) -> None:
    """Install everything into .venv and run the whole test suite."""
    session.run("bash", "scripts/test.sh", *session.posargs, external=True)


@nox.session(python=False)
def tests_c(session: nox.Session) -> None:
    """The whole core test suite on the C backend only (SYMCORE_TEST_LINKER=c), in .venv.

    `tests` already runs every core test on each installed backend (py and c); this session
    is the C half alone, e.g. after a change to the C backend. Same parallel run (pytest -n).
    """
    session.env["SYMCORE_TEST_LINKER"] = "c"
    session.run(
        "bash", "scripts/test.sh", *(session.posargs or ["packages/symcore/tests"]), external=True
    )


@nox.session(python=False)
def lint(session: nox.Session) -> None:
    """ruff check (configuration in pyproject.toml)."""
    session.run(sys.executable, "-m", "ruff", "check", *(session.posargs or ["."]), external=True)


@nox.session(python=False)
def bench(session: nox.Session) -> None:
    """Smoke-run the asv benchmarks on the installed packages (no environment builds)."""
    session.chdir("asv_benchmarks")
    session.run(sys.executable, "-m", "asv", "machine", "--yes", external=True)
    session.run(
        sys.executable,
        "-m",
        "asv",
        "run",
        "--python=same",
        "--quick",
        "--show-stderr",
        *session.posargs,
        external=True,
    )
