"""The tensor language: symbolic n-d arrays with NumPy's syntax (import as ``T``).

Each submodule owns one family of Ops; this package re-exports their public functions so
that ``symcore.tensor`` reads like Theano's ``theano.tensor``.
"""

from symcore.tensor.type import TensorType, tensor_type  # noqa: F401
from symcore.tensor.variable import TensorConstant, TensorVariable  # noqa: F401
from symcore.tensor.basic import *  # noqa: F401,F403
from symcore.tensor.basic import (  # noqa: F401
    NotScalarConstantError,
    as_tensor,
    as_tensor_variable,
    constant,
    get_scalar_constant_value,
    tensor,
)
from symcore.tensor.elemwise import *  # noqa: F401,F403
from symcore.tensor.math import *  # noqa: F401,F403
from symcore.tensor.math_special import *  # noqa: F401,F403
from symcore.tensor.reduction import *  # noqa: F401,F403
from symcore.tensor.reduction_stats import *  # noqa: F401,F403
from symcore.tensor.dot import *  # noqa: F401,F403
from symcore.tensor.alloc import *  # noqa: F401,F403
from symcore.tensor.join import *  # noqa: F401,F403
from symcore.tensor.extra_ops import *  # noqa: F401,F403
from symcore.tensor.sort import *  # noqa: F401,F403
from symcore.tensor.diagonal import *  # noqa: F401,F403
from symcore.tensor.search import *  # noqa: F401,F403
from symcore.tensor.shape import *  # noqa: F401,F403
from symcore.tensor.subtensor import *  # noqa: F401,F403
from symcore.tensor.subtensor_advanced import *  # noqa: F401,F403
from symcore.tensor.indexing import *  # noqa: F401,F403
from symcore.tensor import nnet  # noqa: F401,E402
from symcore.tensor import random, shared_randomstreams  # noqa: F401,E402
from symcore.gradient import (  # noqa: F401,E402 - Theano's T.grad & co.
    Lop, Rop, consider_constant, grad, hessian, jacobian, numeric_grad, verify_grad,
)
from symcore.tensor import rewriting as _rewriting  # noqa: F401,E402 - registers the tensor rewrites
