"""The tensor rewrites of the core, registered in ``symcore.rewriting.rewrite_db`` on import.

``rewrite_db`` imports this package the first time it is queried. Each submodule registers
its rewrites with the helpers of ``symcore.rewriting`` (``register_canonicalize``...);
add one import line per submodule below.
"""

from symcore.tensor.rewriting import (
    basic,  # noqa: F401
    blas,  # noqa: F401
    elemwise,  # noqa: F401
    fusion,  # noqa: F401
    inplace,  # noqa: F401
    math,  # noqa: F401
    shape,  # noqa: F401
    subtensor,  # noqa: F401
)
