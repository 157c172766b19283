"""Static analysis of a ``Scan`` node: output shapes and which outputs depend on which inputs."""

from __future__ import annotations

from typing import Any

from symcore.graph.basic import Constant, Variable, ancestors
from symcore.graph.utils import MethodNotDefined
from symcore.scan.op import inner_depends

__all__ = ["scan_infer_shape", "scan_connection_pattern", "inner_shapes"]


def _is_tensor(v: Variable) -> bool:
    return hasattr(v.type, "broadcastable")


def inner_shapes(op, known: dict[Variable, tuple]) -> dict[Variable, tuple | None]:
    """Propagate symbolic shapes through the inner graph from the shapes in ``known``
    (entries are outer-graph int64 scalars); unknown shapes are None."""
    shape_of: dict[Variable, tuple | None] = dict(known)
    for node in op.fgraph.toposort():
        in_shapes = []
        ok = True
        for v in node.inputs:
            if isinstance(v, Constant) and _is_tensor(v):
                shape_of.setdefault(v, tuple(int(d) for d in v.data.shape))
            s = shape_of.get(v)
            if s is None and _is_tensor(v):
                ok = False
            in_shapes.append(s)
        res = None
        if ok and any(_is_tensor(o) for o in node.outputs):
            try:
                res = node.op.infer_shape(node, in_shapes)
            except (MethodNotDefined, NotImplementedError, Exception):  # noqa: BLE001
                res = None
        for k, o in enumerate(node.outputs):
            entry = None if res is None else res[k]
            shape_of[o] = tuple(entry) if entry is not None else None
    return shape_of


def _outer_only(shape: tuple | None, inner_inputs: list[Variable]) -> bool:
    """True when the shape entries do not read any inner variable (so they are valid outside)."""
    if shape is None:
        return False
    entries = [e for e in shape if isinstance(e, Variable)]
    if not entries:
        return True
    inner = set(inner_inputs)
    return not any(v in inner for v in ancestors(entries))


def _as_int64(x: Any):
    from symcore.tensor.basic import as_tensor_variable
    from symcore.tensor.math import cast

    v = as_tensor_variable(x)
    return v if v.type.dtype == "int64" else cast(v, "int64")


def scan_infer_shape(op, node, input_shapes):
    from symcore.tensor.math import minimum

    info = op.info
    oi, ii, io = info.outer_in(), info.inner_in(), info.inner_out()
    inner_in = op.inner_inputs
    n = None if info.as_while else _as_int64(node.inputs[0])
    known: dict[Variable, tuple] = {}
    for k, j in zip(oi["seqs"], ii["seqs"], strict=True):
        known[inner_in[j]] = tuple(input_shapes[k][1:])
    for k, grp in zip(oi["mit_mot"], info.mit_mot_in_groups(), strict=True):
        for j in grp:
            known[inner_in[j]] = tuple(input_shapes[k][1:])
    sot_outer = list(oi["mit_sot"]) + list(oi["sit_sot"])
    for k, grp in zip(sot_outer, info.sot_in_groups(), strict=True):
        for j in grp:
            known[inner_in[j]] = tuple(input_shapes[k][1:])
    for k, j in zip(
        list(oi["shared"]) + list(oi["non_seqs"]),
        list(ii["shared"]) + list(ii["non_seqs"]),
        strict=True,
    ):
        if input_shapes[k] is not None:
            known[inner_in[j]] = tuple(input_shapes[k])
    shape_of = inner_shapes(op, known)

    def rows(store: int):
        if n is None:
            return None
        return n if store == -1 else minimum(n, _as_int64(store))

    out = []
    for k in oi["mit_mot"]:
        out.append(tuple(input_shapes[k]))
    for j, k in enumerate(sot_outer):
        r = rows(op.store_steps[j])
        out.append(None if r is None else (r, *input_shapes[k][1:]))
    for j, oj in enumerate(io["nit_sot"]):
        r = rows(op.store_steps[info.n_sot + j])
        s = shape_of.get(op.inner_outputs[oj])
        if r is None or not _outer_only(s, inner_in):
            out.append(None)
        else:
            out.append((r, *s))
    for k, oj, ij in zip(oi["shared"], io["shared"], ii["shared"], strict=True):
        s_out, s_in = shape_of.get(op.inner_outputs[oj]), known.get(inner_in[ij])
        same = (
            s_out is not None
            and s_in is not None
            and len(s_out) == len(s_in)
            and all(a is b for a, b in zip(s_out, s_in, strict=True))
        )
        out.append(tuple(input_shapes[k]) if same else None)
    return out


def scan_connection_pattern(op) -> list[list[bool]]:
    """``[outer input][outer output]``: does the output depend on the input (through any
    number of steps)?"""
    info = op.info
    oi, ii = info.outer_in(), info.inner_in()
    deps = inner_depends(op.inner_outputs, op.inner_inputs)
    # inner input position -> outer input index
    in_outer: dict[int, int] = {}
    for k, j in zip(oi["seqs"], ii["seqs"], strict=True):
        in_outer[j] = k
    for k, grp in zip(oi["mit_mot"], info.mit_mot_in_groups(), strict=True):
        for j in grp:
            in_outer[j] = k
    sot_outer = list(oi["mit_sot"]) + list(oi["sit_sot"])
    for k, grp in zip(sot_outer, info.sot_in_groups(), strict=True):
        for j in grp:
            in_outer[j] = k
    for k, j in zip(
        list(oi["shared"]) + list(oi["non_seqs"]),
        list(ii["shared"]) + list(ii["non_seqs"]),
        strict=True,
    ):
        in_outer[j] = k
    # outer state input index -> outer output index (the state's own output)
    n_out = info.n_outer_outputs
    outer_out_of_inner: list[int] = []
    for j, grp in enumerate(info.mit_mot_out_groups()):
        outer_out_of_inner.extend([j] * len(grp))
    for j in range(info.n_sot):
        outer_out_of_inner.append(info.n_mit_mot + j)
    for j in range(info.n_nit_sot):
        outer_out_of_inner.append(info.n_mit_mot + info.n_sot + j)
    for j in range(info.n_shared):
        outer_out_of_inner.append(info.n_mit_mot + info.n_sot + info.n_nit_sot + j)
    state_out: dict[int, int] = {}
    for j, k in enumerate(oi["mit_mot"]):
        state_out[k] = j
    for j, k in enumerate(sot_outer):
        state_out[k] = info.n_mit_mot + j
    for j, k in enumerate(oi["shared"]):
        state_out[k] = info.n_mit_mot + info.n_sot + info.n_nit_sot + j
    # direct dependencies of each outer output on outer inputs
    direct: list[set[int]] = [set() for _ in range(n_out)]
    for oidx, dep in enumerate(deps[: len(outer_out_of_inner)]):
        direct[outer_out_of_inner[oidx]].update(in_outer[j] for j in dep)
    if info.as_while:  # the condition decides how many steps every output has
        cond_dep = {in_outer[j] for j in deps[-1]}
        for d in direct:
            d.update(cond_dep)
    # a state's output depends on its own initial value; close over state feedback
    for k, o in state_out.items():
        direct[o].add(k)
    changed = True
    while changed:
        changed = False
        for o in range(n_out):
            extra = set()
            for k in direct[o]:
                if k in state_out:
                    extra |= direct[state_out[k]]
            if not extra <= direct[o]:
                direct[o] |= extra
                changed = True
    pat = [[False] * n_out for _ in range(info.n_outer_inputs)]
    for o in range(n_out):
        for k in direct[o]:
            pat[k][o] = True
    return pat
