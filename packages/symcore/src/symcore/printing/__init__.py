"""Looking at graphs: ``pp`` (one-line infix), ``debugprint`` (indented tree),
``min_informative_str``, ``pydotprint`` (a picture through graphviz) and the ``Print`` Op.

``symcore.pp`` and ``symcore.printing.pprint`` are the same printer as ``pp``.
"""

from symcore.printing.debugprint import char_from_number, debugprint, min_informative_str
from symcore.printing.dot import pydotprint
from symcore.printing.pp import (
    DefaultPrinter,
    ElemwisePrinter,
    FunctionPrinter,
    OperatorPrinter,
    PPrinter,
    Printer,
    pp,
    pprint,
)
from symcore.printing.print_op import Print

__all__ = [
    "debugprint",
    "min_informative_str",
    "char_from_number",
    "pydotprint",
    "pp",
    "pprint",
    "PPrinter",
    "Printer",
    "OperatorPrinter",
    "FunctionPrinter",
    "ElemwisePrinter",
    "DefaultPrinter",
    "Print",
]
