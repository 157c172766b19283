"""``symcore.scan``: symbolic loops (Theano's ``theano.scan`` and ``theano.scan_module``).

- :func:`scan` builds a loop from a step function and returns ``(outputs, updates)``;
  :func:`map`, :func:`reduce`, :func:`foldl`, :func:`foldr` are shortcuts on top of it;
  :class:`until` ends a loop early (a while loop).
- :class:`Scan` is the Op (``symcore.scan.op``); its gradient (back-propagation through
  time) and ``R_op`` are in ``symcore.scan.grad``; the rewrites that push loop invariants
  out, shrink the storage of outputs read only at their last steps, drop unused inputs and
  outputs and merge loops are in ``symcore.scan.rewriting`` (registered on import).
"""

from symcore.scan import rewriting  # noqa: F401,E402 - registers the scan rewrites
from symcore.scan.basic import scan
from symcore.scan.info import ScanInfo
from symcore.scan.op import Scan
from symcore.scan.utils import OrderedUpdates, until
from symcore.scan.views import foldl, foldr, map, reduce  # noqa: A004 - Theano's names

__all__ = ["Scan", "ScanInfo", "OrderedUpdates", "foldl", "foldr", "map", "reduce", "scan", "until"]
