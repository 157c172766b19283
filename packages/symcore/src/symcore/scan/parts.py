"""``ScanParts``: a scan node taken apart by input class, to edit and rebuild (rewrites).

Each entry keeps together what belongs to one sequence / state / output: its outer input,
its inner input(s), its inner output(s), its outer output and its storage. Rewrites edit
these lists (drop entries, add non-sequences, substitute inner variables) and call
``build()`` to get a new Op and its outer inputs; ``old_outputs`` says which output of the
old node each new output stands for.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from symcore.graph.basic import Apply, Variable, clone_replace
from symcore.scan.info import ScanInfo
from symcore.scan.op import Scan

__all__ = ["ScanParts"]


@dataclass
class Seq:
    outer: Variable
    inner: Variable


@dataclass
class MitMot:
    outer: Variable
    inner_ins: list[Variable]
    in_taps: tuple[int, ...]
    inner_outs: list[Variable]
    out_taps: tuple[int, ...]
    outer_out: Variable | None


@dataclass
class Sot:
    outer: Variable
    inner_ins: list[Variable]
    taps: tuple[int, ...]
    inner_out: Variable
    outer_out: Variable | None
    store: int


@dataclass
class NitSot:
    inner_out: Variable
    outer_out: Variable | None
    store: int


@dataclass
class Shared:
    outer: Variable
    inner_in: Variable
    inner_out: Variable
    outer_out: Variable | None


@dataclass
class ScanParts:
    n_steps: Variable
    seqs: list[Seq] = field(default_factory=list)
    mit_mot: list[MitMot] = field(default_factory=list)
    mit_sot: list[Sot] = field(default_factory=list)
    sit_sot: list[Sot] = field(default_factory=list)
    nit_sot: list[NitSot] = field(default_factory=list)
    shared: list[Shared] = field(default_factory=list)
    non_seqs: list[Seq] = field(default_factory=list)
    cond: Variable | None = None
    attrs: dict[str, Any] = field(default_factory=dict)

    # -- taking apart --------------------------------------------------------------------
    @classmethod
    def from_node(cls, node: Apply) -> ScanParts:
        op: Scan = node.op
        info = op.info
        ins, outs = op.inner_inputs, op.inner_outputs
        oi, ii, io = info.outer_in(), info.inner_in(), info.inner_out()
        p = cls(node.inputs[0])
        p.attrs = dict(
            truncate_gradient=op.truncate_gradient,
            mode=op.mode,
            name=op.name,
            allow_gc=op.allow_gc,
            profile=op.profile,
        )
        for k, j in zip(oi["seqs"], ii["seqs"], strict=True):
            p.seqs.append(Seq(node.inputs[k], ins[j]))
        out_groups = info.mit_mot_out_groups()
        for m, (k, grp) in enumerate(zip(oi["mit_mot"], info.mit_mot_in_groups(), strict=True)):
            p.mit_mot.append(
                MitMot(
                    node.inputs[k],
                    [ins[j] for j in grp],
                    info.mit_mot_in_taps[m],
                    [outs[j] for j in out_groups[m]],
                    info.mit_mot_out_taps[m],
                    node.outputs[m],
                )
            )
        sot_outer = list(oi["mit_sot"]) + list(oi["sit_sot"])
        for j, (k, grp) in enumerate(zip(sot_outer, info.sot_in_groups(), strict=True)):
            entry = Sot(
                node.inputs[k],
                [ins[s] for s in grp],
                info.sot_taps[j],
                outs[io["mit_sot"].start + j],
                node.outputs[info.n_mit_mot + j],
                op.store_steps[j],
            )
            (p.mit_sot if j < info.n_mit_sot else p.sit_sot).append(entry)
        for j, pos in enumerate(io["nit_sot"]):
            p.nit_sot.append(
                NitSot(
                    outs[pos],
                    node.outputs[info.n_mit_mot + info.n_sot + j],
                    op.store_steps[info.n_sot + j],
                )
            )
        base = info.n_mit_mot + info.n_sot + info.n_nit_sot
        for j, (k, ji, jo) in enumerate(zip(oi["shared"], ii["shared"], io["shared"], strict=True)):
            p.shared.append(Shared(node.inputs[k], ins[ji], outs[jo], node.outputs[base + j]))
        for k, j in zip(oi["non_seqs"], ii["non_seqs"], strict=True):
            p.non_seqs.append(Seq(node.inputs[k], ins[j]))
        if info.as_while:
            p.cond = outs[-1]
        return p

    # -- editing -------------------------------------------------------------------------
    def inner_outputs(self) -> list[Variable]:
        return (
            [v for m in self.mit_mot for v in m.inner_outs]
            + [s.inner_out for s in self.mit_sot + self.sit_sot]
            + [s.inner_out for s in self.nit_sot]
            + [s.inner_out for s in self.shared]
            + ([self.cond] if self.cond is not None else [])
        )

    def inner_inputs(self) -> list[Variable]:
        return (
            [s.inner for s in self.seqs]
            + [v for m in self.mit_mot for v in m.inner_ins]
            + [v for s in self.mit_sot + self.sit_sot for v in s.inner_ins]
            + [s.inner_in for s in self.shared]
            + [s.inner for s in self.non_seqs]
        )

    def substitute(self, replace: dict[Variable, Variable]) -> None:
        """Rewrite every inner output with the inner variables in ``replace`` substituted."""
        if not replace:
            return
        new = clone_replace(self.inner_outputs(), replace=replace)
        it = iter(new)
        for m in self.mit_mot:
            m.inner_outs = [next(it) for _ in m.inner_outs]
        for s in self.mit_sot + self.sit_sot + self.nit_sot + self.shared:
            s.inner_out = next(it)
        if self.cond is not None:
            self.cond = next(it)

    # -- rebuilding ----------------------------------------------------------------------
    def build(self) -> tuple[Scan, list[Variable], list[Variable | None]]:
        """``(op, outer_inputs, old_outputs)``: the new Op, its inputs, and for each of its
        outputs the old output it replaces (None for new outputs)."""
        info = ScanInfo(
            n_seqs=len(self.seqs),
            mit_mot_in_taps=tuple(tuple(m.in_taps) for m in self.mit_mot),
            mit_mot_out_taps=tuple(tuple(m.out_taps) for m in self.mit_mot),
            mit_sot_taps=tuple(tuple(s.taps) for s in self.mit_sot),
            n_sit_sot=len(self.sit_sot),
            n_nit_sot=len(self.nit_sot),
            n_shared=len(self.shared),
            n_non_seqs=len(self.non_seqs),
            as_while=self.cond is not None,
        )
        store = tuple(s.store for s in self.mit_sot + self.sit_sot + self.nit_sot)
        op = Scan(self.inner_inputs(), self.inner_outputs(), info, store_steps=store, **self.attrs)
        outer = (
            [self.n_steps]
            + [s.outer for s in self.seqs]
            + [m.outer for m in self.mit_mot]
            + [s.outer for s in self.mit_sot + self.sit_sot]
            + [s.outer for s in self.shared]
            + [s.outer for s in self.non_seqs]
        )
        old = (
            [m.outer_out for m in self.mit_mot]
            + [s.outer_out for s in self.mit_sot + self.sit_sot + self.nit_sot]
            + [s.outer_out for s in self.shared]
        )
        return op, outer, old

    def replacements(self) -> dict[Variable, Variable]:
        """Build the new node; ``{old output: new output}`` for the outputs that remain."""
        op, outer, old = self.build()
        new_outs = op(*outer, return_list=True)
        return {o: n for o, n in zip(old, new_outs, strict=True) if o is not None}
