"""Core tests run on the linker named by ``SYMCORE_TEST_LINKER`` (default ``py``, the NumPy
reference backend). ``SYMCORE_TEST_LINKER=c`` runs the same tests on the C backend."""

import os

import pytest
from symcore.config import config

TEST_LINKER = os.environ.get("SYMCORE_TEST_LINKER", "py")


@pytest.fixture(autouse=True)
def _core_test_linker():
    with config.change_flags(linker=TEST_LINKER):
        yield
