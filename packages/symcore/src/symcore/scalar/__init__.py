"""Scalar ops: one elementwise operation each, used by ``Elemwise`` and ``Composite``.

``symcore.scalar.add`` is the scalar addition op; ``symcore.tensor.add`` is
``Elemwise(symcore.scalar.add)``. Scalar graphs (``ScalarType`` variables) are what
``Composite`` holds after elementwise fusion. ``symcore.scalar.float64`` (and the other
dtype names) are the ``ScalarType`` instances; they are not in ``__all__`` because
``bool``/``complex`` would shadow builtins in star-importing modules.
"""

from symcore.scalar import basic as _b
from symcore.scalar import composite as _c
from symcore.scalar import math as _m
from symcore.scalar import op as _o
from symcore.scalar import special as _s
from symcore.scalar import type as _t
from symcore.scalar.basic import *  # noqa: F401,F403
from symcore.scalar.composite import *  # noqa: F401,F403
from symcore.scalar.math import *  # noqa: F401,F403
from symcore.scalar.op import *  # noqa: F401,F403
from symcore.scalar.special import *  # noqa: F401,F403
from symcore.scalar.type import *  # noqa: F401,F403

globals().update(_t.SCALAR_TYPES)

__all__ = sorted(set(_t.__all__ + _o.__all__ + _b.__all__ + _m.__all__ + _s.__all__ + _c.__all__))
