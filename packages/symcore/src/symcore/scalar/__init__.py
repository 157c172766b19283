"""Scalar ops: one elementwise operation each, used by ``Elemwise`` and ``Composite``.

``symcore.scalar.add`` is the scalar addition op; ``symcore.tensor.add`` is
``Elemwise(symcore.scalar.add)``. Scalar graphs (``ScalarType`` variables) are what
``Composite`` holds after elementwise fusion.
"""

from symcore.scalar.type import *  # noqa: F401,F403
from symcore.scalar.type import SCALAR_TYPES as _SCALAR_TYPES
from symcore.scalar.op import *  # noqa: F401,F403
from symcore.scalar.basic import *  # noqa: F401,F403
from symcore.scalar.math import *  # noqa: F401,F403
from symcore.scalar.special import *  # noqa: F401,F403
from symcore.scalar.composite import *  # noqa: F401,F403

globals().update(_SCALAR_TYPES)  # symcore.scalar.float64, .int32, ... (ScalarType instances)

from symcore.scalar import basic as _b, composite as _c, math as _m, op as _o, special as _s, type as _t  # noqa: E402

__all__ = sorted(set(_t.__all__ + _o.__all__ + _b.__all__ + _m.__all__ + _s.__all__ + _c.__all__))
