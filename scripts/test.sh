#!/usr/bin/env bash
# Install everything and run the whole test suite (the README's second command; .ci/run runs it).
#   bash scripts/test.sh [pytest arguments...]
# Creates ./.venv (python3 -m venv) if missing, installs the six packages editable plus the
# test tools from requirements-dev.txt, installs missing system tools with apt-get when run
# as root, then runs pytest over packages/*/tests and tests/ (testpaths in pyproject.toml),
# then (without arguments) a subset of the core tests again on the C backend.
# pytest exits non-zero on failures and also when it collects no tests.
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

# Without arguments: everything on the default backends, then a subset of the core suite
# on the C backend ("core on C": the tests that exercise compiled code the most, ~3-4 min
# on 2 cores). The whole core suite on C takes 15-30 min: `nox -s tests_c`.
# SYMCORE_SKIP_CORE_ON_C=1 skips the subset.
CORE_ON_C=(
    packages/symcore/tests/compile
    packages/symcore/tests/tensor/test_elemwise.py
    packages/symcore/tests/tensor/test_math_elementwise.py
    packages/symcore/tests/tensor/test_dot.py
    packages/symcore/tests/tensor/test_inc_subtensor.py
    packages/symcore/tests/tensor/test_alloc.py
    packages/symcore/tests/tensor/test_join.py
    packages/symcore/tests/tensor/test_shape.py
    packages/symcore/tests/tensor/test_sort.py
    packages/symcore/tests/tensor/nnet
    packages/symcore/tests/tensor/rewriting/test_rw_inplace.py
    packages/symcore/tests/tensor/rewriting/test_rw_blas.py
    packages/symcore/tests/gradient/test_logistic_regression.py
    packages/symcore/tests/scan/test_scan_compiled_loop.py
)
if [ $# -gt 0 ] || [ "${SYMCORE_SKIP_CORE_ON_C:-0}" = 1 ]; then
    exec .venv/bin/python -m pytest "$@"
fi
status=0
.venv/bin/python -m pytest || status=$?
echo "scripts/test.sh: core tests on the C backend (SYMCORE_TEST_LINKER=c), a subset"
SYMCORE_TEST_LINKER=c .venv/bin/python -m pytest "${CORE_ON_C[@]}" || status=$?
exit $status
