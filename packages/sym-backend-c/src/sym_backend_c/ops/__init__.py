"""C implementations of core Ops, registered by Op class when this package is imported."""

from sym_backend_c.ops import elemwise  # noqa: F401
from sym_backend_c.ops import reduction  # noqa: F401
from sym_backend_c.ops import blas  # noqa: F401
from sym_backend_c.ops import shape  # noqa: F401
from sym_backend_c.ops import subtensor  # noqa: F401
from sym_backend_c.ops import subtensor_advanced  # noqa: F401
from sym_backend_c.ops import alloc  # noqa: F401
from sym_backend_c.ops import nnet  # noqa: F401
from sym_backend_c.ops import scan  # noqa: F401  (the compiled loop of symcore.scan)
from sym_backend_c.ops import blas_nd  # noqa: F401
from sym_backend_c.ops import extra_ops  # noqa: F401
from sym_backend_c.ops import subtensor_arrays  # noqa: F401
from sym_backend_c.ops import sort  # noqa: F401
from sym_backend_c.ops import diag  # noqa: F401
from sym_backend_c.ops import repeat_tile  # noqa: F401
from sym_backend_c.ops import fused_linear  # noqa: F401
from sym_backend_c.ops import search  # noqa: F401
from sym_backend_c.ops import unique  # noqa: F401
