"""The tensor rewrites of the core, registered in ``symcore.rewriting.rewrite_db`` on import.

``rewrite_db`` imports this package the first time it is queried. Each submodule registers
its rewrites with the helpers of ``symcore.rewriting`` (``register_canonicalize``...);
add one import line per submodule below.
"""

from symcore.tensor.rewriting import shape  # noqa: F401
from symcore.tensor.rewriting import basic  # noqa: F401
from symcore.tensor.rewriting import math  # noqa: F401
from symcore.tensor.rewriting import elemwise  # noqa: F401
from symcore.tensor.rewriting import fusion  # noqa: F401
from symcore.tensor.rewriting import subtensor  # noqa: F401
from symcore.tensor.rewriting import blas  # noqa: F401
from symcore.tensor.rewriting import inplace  # noqa: F401
