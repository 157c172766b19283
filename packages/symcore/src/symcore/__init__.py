"""symcore: a symbolic tensor-expression compiler with Theano's API.

Write math on symbolic variables with NumPy's syntax; symcore builds a graph,
differentiates it, rewrites it for speed and stability, and compiles it.
"""

__version__ = "0.1.0"

from symcore.config import config  # noqa: E402,F401
from symcore import graph  # noqa: E402,F401
from symcore import tensor  # noqa: E402,F401
from symcore.graph.basic import clone_replace as clone  # noqa: E402,F401
from symcore.compile.function import function  # noqa: E402,F401
from symcore.compile.mode import Mode, get_mode  # noqa: E402,F401
from symcore.compile.io import In, Out  # noqa: E402,F401
from symcore.compile.sharedvalue import SharedVariable, shared, shared_constructor  # noqa: E402,F401
from symcore import gof, printing, sandbox  # noqa: E402,F401
from symcore.printing import pp  # noqa: E402,F401
from symcore.gradient import Lop, Rop, grad, subgraph_grad  # noqa: E402,F401
from symcore import scan as scan_module  # noqa: E402,F401 - the package (theano.scan_module)
from symcore.scan import foldl, foldr, map, reduce, scan  # noqa: E402,F401,A004 - Theano's names

from symcore import plugins as _plugins  # noqa: E402

_plugins.load_plugins()
config.validate_pending()  # unknown flags fail now that plugins declared theirs
