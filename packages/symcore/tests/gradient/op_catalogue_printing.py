"""Gradient catalogue for ``symcore.printing``: the ``Print`` Op passes gradients through."""

import numpy as np
from symcore.printing import Print

_rng = np.random.default_rng(5)


def _quiet(op, value):
    """A Print global_fn that prints nothing (keeps test output clean)."""


CASES = [
    ("print_identity", lambda x: Print("x", global_fn=_quiet)(x) * 3.0, [_rng.normal(size=(2, 3))]),
]
