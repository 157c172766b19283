"""``symcore.function``: compile symbolic inputs/outputs into a Python callable.

(Minimal bootstrap version: positional inputs, reference linker, no rewrites. The full
version with shared variables, updates, givens, In/Out and modes replaces it.)
"""

from __future__ import annotations

from typing import Any, Sequence

from symcore.graph.basic import Variable
from symcore.graph.fg import FunctionGraph
from symcore.link.reference import ReferenceLinker


class Function:
    def __init__(self, inputs, outputs, single):
        self.fgraph = FunctionGraph(inputs, outputs)
        self.maker = self
        self._run = ReferenceLinker().make_thunk(self.fgraph)
        self._single = single
        self._inputs = inputs

    def __call__(self, *args):
        vals = [v.type.filter(a) for v, a in zip(self.fgraph.inputs, args)]
        outs = self._run(vals)
        return outs[0] if self._single else outs


def function(inputs: Sequence[Variable], outputs: Any = None, **kwargs: Any) -> Function:
    single = isinstance(outputs, Variable)
    outs = [outputs] if single else list(outputs or [])
    return Function(list(inputs), outs, single)
