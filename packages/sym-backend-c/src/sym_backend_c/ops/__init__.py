"""C implementations of core Ops, registered by Op class when this package is imported."""

from sym_backend_c.ops import (
    alloc,  # noqa: F401
    blas,  # noqa: F401
    blas_nd,  # noqa: F401
    diag,  # noqa: F401
    elemwise,  # noqa: F401
    extra_ops,  # noqa: F401
    fused_linear,  # noqa: F401
    nnet,  # noqa: F401
    reduction,  # noqa: F401
    repeat_tile,  # noqa: F401
    scan,  # noqa: F401  (the compiled loop of symcore.scan)
    search,  # noqa: F401
    shape,  # noqa: F401
    sort,  # noqa: F401
    subtensor,  # noqa: F401
    subtensor_advanced,  # noqa: F401
    subtensor_arrays,  # noqa: F401
    unique,  # noqa: F401
)
