"""nox sessions: tests, tests_c, lint, bench.

Run them from the project venv that `bash scripts/test.sh` creates:
    .venv/bin/python -m nox -s tests        # same as bash scripts/test.sh
    .venv/bin/python -m nox -s tests_c      # the whole core suite on the C backend (slow)
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
    """The whole core test suite on the C backend (SYMCORE_TEST_LINKER=c), in .venv.

    Every distinct graph is compiled (~0.3 s each with a cold cache): 20-30 min on 2 cores,
    so the default `tests` session runs only a subset of it (see scripts/test.sh).
    """
    session.env["SYMCORE_TEST_LINKER"] = "c"
    session.env["SYMCORE_SKIP_CORE_ON_C"] = "1"  # the subset would only repeat tests
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
