"""``ScanInfo``: how the inputs and outputs of a ``Scan`` node are grouped.

A scan node has an *outer* side (the node's inputs and outputs in the user's graph) and
an *inner* side (the step function's graph, run once per step). Both are flat lists
split into these classes, always in this order (Theano's vocabulary):

* ``seqs`` — sequences: step ``t`` reads ``outer[t]`` (one tap each; ``scan`` makes one
  outer sequence per tap the user asked for).
* ``mit_mot`` — multiple input taps, multiple output taps (built by gradients): the outer
  input is a whole buffer ``B``; step ``t`` reads ``B[t + i]`` for its input offsets and
  then writes ``B[t + o]`` for its output offsets; the output is the final buffer.
* ``mit_sot`` — recurrent outputs reading several past values (negative taps); the outer
  input holds the ``L = -min(taps)`` initial values, the output the results (not the
  initial values).
* ``sit_sot`` — recurrent outputs reading only the previous value (tap -1); the outer
  input is the initial value with a leading axis of length 1.
* ``nit_sot`` — outputs not fed back (``outputs_info=None``); no outer input.
* ``shared`` — untraced states: only the last value is returned (the updates of shared
  variables, random generators, and gradient accumulators).
* ``non_seqs`` — values passed unchanged to every step.

Outer inputs: ``[n_steps, *seqs, *mit_mot, *mit_sot, *sit_sot, *shared, *non_seqs]``.
Outer outputs: ``[*mit_mot, *mit_sot, *sit_sot, *nit_sot, *shared]``.
Inner inputs: ``[*seqs, *mit_mot taps, *mit_sot taps, *sit_sot, *shared, *non_seqs]``.
Inner outputs: ``[*mit_mot out taps, *mit_sot, *sit_sot, *nit_sot, *shared, (condition)]``.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ScanInfo"]


def _ranges(sizes: list[int], start: int = 0) -> list[range]:
    out = []
    pos = start
    for n in sizes:
        out.append(range(pos, pos + n))
        pos += n
    return out


@dataclass(frozen=True)
class ScanInfo:
    """Counts and taps of each input class (immutable and hashable, a prop of ``Scan``)."""

    n_seqs: int = 0
    mit_mot_in_taps: tuple[tuple[int, ...], ...] = ()
    mit_mot_out_taps: tuple[tuple[int, ...], ...] = ()
    mit_sot_taps: tuple[tuple[int, ...], ...] = ()
    n_sit_sot: int = 0
    n_nit_sot: int = 0
    n_shared: int = 0
    n_non_seqs: int = 0
    as_while: bool = False

    def __post_init__(self) -> None:
        if len(self.mit_mot_in_taps) != len(self.mit_mot_out_taps):
            raise ValueError("ScanInfo: mit_mot input and output taps differ in number")
        for taps in self.mit_mot_in_taps + self.mit_mot_out_taps:
            if any(t < 0 for t in taps):
                raise ValueError(f"ScanInfo: mit_mot offsets must be >= 0, got {taps}")
        for taps in self.mit_sot_taps:
            if not taps or any(t >= 0 for t in taps):
                raise ValueError(f"ScanInfo: mit_sot taps must be negative, got {taps}")

    # -- counts ------------------------------------------------------------------------
    @property
    def n_mit_mot(self) -> int:
        return len(self.mit_mot_in_taps)

    @property
    def n_mit_sot(self) -> int:
        return len(self.mit_sot_taps)

    @property
    def sot_taps(self) -> tuple[tuple[int, ...], ...]:
        """Taps of the mit_sot then sit_sot states (``(-1,)`` for each sit_sot)."""
        return self.mit_sot_taps + ((-1,),) * self.n_sit_sot

    @property
    def n_sot(self) -> int:
        return self.n_mit_sot + self.n_sit_sot

    @property
    def n_traced(self) -> int:
        """Outputs whose results per step are returned: mit_sot, sit_sot, nit_sot."""
        return self.n_sot + self.n_nit_sot

    def init_len(self, j: int) -> int:
        """Number of initial values of sot state ``j`` (``-min(taps)``)."""
        return -min(self.sot_taps[j])

    # -- outer side ----------------------------------------------------------------------
    @property
    def n_outer_inputs(self) -> int:
        return 1 + self.n_seqs + self.n_mit_mot + self.n_sot + self.n_shared + self.n_non_seqs

    @property
    def n_outer_outputs(self) -> int:
        return self.n_mit_mot + self.n_sot + self.n_nit_sot + self.n_shared

    def outer_in(self) -> dict[str, range]:
        keys = ["seqs", "mit_mot", "mit_sot", "sit_sot", "shared", "non_seqs"]
        sizes = [
            self.n_seqs,
            self.n_mit_mot,
            self.n_mit_sot,
            self.n_sit_sot,
            self.n_shared,
            self.n_non_seqs,
        ]
        return dict(zip(keys, _ranges(sizes, 1), strict=True))

    def outer_out(self) -> dict[str, range]:
        keys = ["mit_mot", "mit_sot", "sit_sot", "nit_sot", "shared"]
        sizes = [self.n_mit_mot, self.n_mit_sot, self.n_sit_sot, self.n_nit_sot, self.n_shared]
        return dict(zip(keys, _ranges(sizes), strict=True))

    # -- inner side ----------------------------------------------------------------------
    @property
    def n_inner_inputs(self) -> int:
        return (
            self.n_seqs
            + sum(len(t) for t in self.mit_mot_in_taps)
            + sum(len(t) for t in self.mit_sot_taps)
            + self.n_sit_sot
            + self.n_shared
            + self.n_non_seqs
        )

    @property
    def n_inner_outputs(self) -> int:
        return (
            sum(len(t) for t in self.mit_mot_out_taps)
            + self.n_sot
            + self.n_nit_sot
            + self.n_shared
            + int(self.as_while)
        )

    def inner_in(self) -> dict[str, range]:
        keys = ["seqs", "mit_mot", "mit_sot", "sit_sot", "shared", "non_seqs"]
        sizes = [
            self.n_seqs,
            sum(len(t) for t in self.mit_mot_in_taps),
            sum(len(t) for t in self.mit_sot_taps),
            self.n_sit_sot,
            self.n_shared,
            self.n_non_seqs,
        ]
        return dict(zip(keys, _ranges(sizes), strict=True))

    def inner_out(self) -> dict[str, range]:
        keys = ["mit_mot", "mit_sot", "sit_sot", "nit_sot", "shared"]
        sizes = [
            sum(len(t) for t in self.mit_mot_out_taps),
            self.n_mit_sot,
            self.n_sit_sot,
            self.n_nit_sot,
            self.n_shared,
        ]
        return dict(zip(keys, _ranges(sizes), strict=True))

    def mit_mot_in_groups(self) -> list[range]:
        """Inner input positions of each mit_mot's taps."""
        return _ranges([len(t) for t in self.mit_mot_in_taps], self.inner_in()["mit_mot"].start)

    def mit_mot_out_groups(self) -> list[range]:
        return _ranges([len(t) for t in self.mit_mot_out_taps])

    def sot_in_groups(self) -> list[range]:
        """Inner input positions of each mit_sot's taps, then each sit_sot's."""
        return _ranges([len(t) for t in self.sot_taps], self.inner_in()["mit_sot"].start)

    def describe(self) -> str:
        parts = [f"{self.n_seqs} seqs"]
        if self.n_mit_mot:
            parts.append(f"{self.n_mit_mot} mit_mot")
        if self.n_mit_sot:
            parts.append(f"{self.n_mit_sot} mit_sot")
        if self.n_sit_sot:
            parts.append(f"{self.n_sit_sot} sit_sot")
        if self.n_nit_sot:
            parts.append(f"{self.n_nit_sot} nit_sot")
        if self.n_shared:
            parts.append(f"{self.n_shared} shared")
        parts.append(f"{self.n_non_seqs} non_seqs")
        if self.as_while:
            parts.append("while")
        return ", ".join(parts)
