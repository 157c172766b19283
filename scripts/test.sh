#!/usr/bin/env bash
# Install everything and run the whole test suite (the README's second command; .ci/run runs it).
#   bash scripts/test.sh [pytest arguments...]
# Creates ./.venv (python3 -m venv) if missing, installs the six packages editable plus the
# test tools from requirements-dev.txt, installs missing system tools with apt-get when run
# as root, then runs pytest over packages/*/tests and tests/ (testpaths in pyproject.toml):
# the core tests on every installed backend (the NumPy reference one and the C one).
# pytest exits non-zero on failures and also when it collects no tests; skips are listed
# (-ra) with their reasons and counted apart from passes.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
PACKAGES=(symcore sym-opt-stability sym-backend-c sym-backend-cuda sym-backend-opencl sym-sparse)

# command -> Debian package; installed only when the command is missing.
declare -A SYSTEM_TOOLS=([dot]=graphviz [g++]=g++)
missing=()
for tool in "${!SYSTEM_TOOLS[@]}"; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("${SYSTEM_TOOLS[$tool]}")
done
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "scripts/test.sh: apt-get install ${missing[*]}"
        apt-get update -qq >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
            "${missing[@]}" >/dev/null
    else
        echo "scripts/test.sh: missing ${missing[*]} (not root or no apt-get); tests needing them skip" >&2
    fi
fi

if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
    .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
fi
editables=()
for package in "${PACKAGES[@]}"; do editables+=(-e "packages/$package"); done
.venv/bin/python -m pip install --quiet --disable-pip-version-check \
    -r requirements-dev.txt "${editables[@]}"

# One pytest run over everything, in parallel (pytest-xdist: one worker per CPU this
# process may use, or SYMCORE_TEST_WORKERS; 0 runs in this process). The core tests run once per installed
# backend (ids end in [linker-py] and [linker-c]; packages/symcore/tests/conftest.py), the
# C backend's modules go to the compiledir flag's folder (default: the user's cache), so
# runs after the first reuse them. SYMCORE_TEST_LINKER=py (or c) runs the core tests on
# one backend only. Extra arguments go to pytest (`-n 0` runs without workers).
echo "scripts/test.sh: setup and installs took ${SECONDS}s"
workers=${SYMCORE_TEST_WORKERS:-$(.venv/bin/python -c \
    'import os; print(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)')}
exec .venv/bin/python -m pytest -n "$workers" "$@"
