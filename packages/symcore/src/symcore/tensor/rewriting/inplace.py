"""In-place rewrites (positions 50..75 of ``rewrite_db``; tags ``fast_run``, ``inplace``).

They run after ``add_destroy_handler`` (49.5), which attaches the ``DestroyHandler``: each
replacement is validated by it and rolled back when it would overwrite a value that must
survive — a constant, a function input (unless ``In(mutable=True)``), a shared variable
that the function does not update, a graph output, or a value another node still reads
after the overwrite (the handler orders such readers first when it can).

* ``local_inplace_blas`` (60): ``Gemm``/``Gemv``/``Ger`` → their ``inplace`` versions when
  the accumulator may be overwritten (a fresh ``AllocEmpty``/zeros buffer, an intermediate
  value, or an updated shared variable read by nothing that runs later).
* ``local_inplace_incsubtensor`` (60): ``IncSubtensor``, ``AdvancedIncSubtensor1``,
  ``AdvancedIncSubtensor`` write into their input ``x``.
* ``inplace_elemwise`` (75): an ``Elemwise`` writes its output into the first input of the
  same type that may be overwritten (``inplace_pattern={0: i}``).
"""

from __future__ import annotations

from symcore.graph.basic import Constant
from symcore.graph.fg import FunctionGraph, InconsistencyError
from symcore.rewriting.basic import GraphRewriter, copy_stack_trace, node_rewriter
from symcore.rewriting.destroyhandler import attach_destroy_handler
from symcore.rewriting.register import register_inplace
from symcore.tensor.elemwise import Elemwise
from symcore.tensor.rewriting.blas_ops import Gemm, Gemv, Ger
from symcore.tensor.subtensor import IncSubtensor
from symcore.tensor.subtensor_advanced import AdvancedIncSubtensor, AdvancedIncSubtensor1

__all__ = ["InplaceElemwiseOptimizer", "local_inplace_blas", "local_inplace_incsubtensor"]


def _destroyable(fgraph: FunctionGraph, var) -> bool:
    if isinstance(var, Constant):
        return False
    dh = getattr(fgraph, "destroy_handler", None)
    return dh is None or dh.destroyable(fgraph, var)


def _with_inplace(op):
    props = op._props_dict()
    props["inplace"] = True
    return type(op)(**props)


@node_rewriter([Gemm, Gemv, Ger], inplace=True)
def local_inplace_blas(fgraph, node):
    """``Gemm``/``Gemv``/``Ger`` overwrite their accumulator when it is safe."""
    if node.op.inplace or not _destroyable(fgraph, node.inputs[0]):
        return None
    return [_with_inplace(node.op)(*node.inputs)]


@node_rewriter([IncSubtensor, AdvancedIncSubtensor1, AdvancedIncSubtensor], inplace=True)
def local_inplace_incsubtensor(fgraph, node):
    """``set_subtensor``/``inc_subtensor`` write into ``x`` when it is safe."""
    if node.op.inplace or not _destroyable(fgraph, node.inputs[0]):
        return None
    return [_with_inplace(node.op)(*node.inputs)]


class InplaceElemwiseOptimizer(GraphRewriter):
    """Make each ``Elemwise`` overwrite one of its inputs when the DestroyHandler allows.

    Inputs are tried in order; an input qualifies when it has the output's exact type
    (dtype and broadcastable pattern), is not a constant, and may be destroyed.
    """

    name = "inplace_elemwise"

    def add_requirements(self, fgraph: FunctionGraph) -> None:
        super().add_requirements(fgraph)
        attach_destroy_handler(fgraph)

    def apply(self, fgraph: FunctionGraph) -> int:
        n = 0
        for node in fgraph.toposort():
            if node not in fgraph.apply_nodes or not isinstance(node.op, Elemwise):
                continue
            if node.op.inplace_pattern or len(node.outputs) != 1:
                continue
            out = node.outputs[0]
            for i, inp in enumerate(node.inputs):
                if inp.type != out.type or inp in node.inputs[:i] or not _destroyable(fgraph, inp):
                    continue
                new_op = Elemwise(node.op.scalar_op, {0: i}, name=node.op.name)
                new_out = new_op(*node.inputs)
                copy_stack_trace(out, new_out)
                try:
                    fgraph.replace_all_validate([(out, new_out)], reason="inplace_elemwise")
                except InconsistencyError:
                    continue
                n += 1
                break
        return n


register_inplace(local_inplace_blas, position=60)
register_inplace(local_inplace_incsubtensor, position=60.5)
register_inplace(InplaceElemwiseOptimizer(), name="inplace_elemwise", position=75)
