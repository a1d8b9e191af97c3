"""A history checker in the spirit of Jepsen's: what each source sent, per key and in its own
sequence, against what each sink applied, in the order it applied it.

Two kinds of key:
- effects (an order, a fulfilment): every sequence sent must be applied exactly once;
- levels (a stock level, set absolutely): only the newest must end applied, a level may be
  applied again harmlessly, but a level older than one already applied is a stale write.
Either kind reports a sequence applied after a higher one as reordered.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field


@dataclass
class Verdict:
    """Lost, duplicated and reordered sequences per key; empty when the history is right."""

    lost: dict[str, list[int]] = field(default_factory=dict)
    duplicated: dict[str, list[int]] = field(default_factory=dict)
    reordered: dict[str, list[int]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not (self.lost or self.duplicated or self.reordered)

    def counts(self) -> tuple[int, int, int]:
        """How many lost, duplicated and reordered effects."""
        return tuple(  # type: ignore[return-value]
            sum(len(found) for found in kind.values())
            for kind in (self.lost, self.duplicated, self.reordered)
        )

    def add(self, other: Verdict) -> Verdict:
        return Verdict(
            {**self.lost, **other.lost},
            {**self.duplicated, **other.duplicated},
            {**self.reordered, **other.reordered},
        )

    def __str__(self) -> str:
        parts = [
            f"{name} {dict(list(found.items())[:5])}"
            for name, found in (
                ("lost", self.lost),
                ("duplicated", self.duplicated),
                ("reordered", self.reordered),
            )
            if found
        ]
        return "; ".join(parts) or "ok"


def check_effects(
    sent: Mapping[str, Sequence[int]], applied: Mapping[str, Sequence[int]]
) -> Verdict:
    """Every sequence sent for a key applied exactly once, in increasing order."""
    verdict = Verdict()
    for key in sent.keys() | applied.keys():
        done = Counter(applied.get(key, ()))
        if lost := sorted(set(sent.get(key, ())) - done.keys()):
            verdict.lost[key] = lost
        if twice := sorted(sequence for sequence, times in done.items() if times > 1):
            verdict.duplicated[key] = twice
        if late := _out_of_order(applied.get(key, ())):
            verdict.reordered[key] = late
    return verdict


def check_levels(newest: Mapping[str, int], applied: Mapping[str, Sequence[int]]) -> Verdict:
    """The ``newest`` level of each key is the last one applied, and no level applied after a
    newer one (levels are sequenced so that newer is higher)."""
    verdict = Verdict()
    for key, sequence in newest.items():
        history = applied.get(key, ())
        if not history or history[-1] != sequence:
            verdict.lost[key] = [sequence]
        if late := _out_of_order(history):
            verdict.reordered[key] = late
    return verdict


def _out_of_order(history: Sequence[int]) -> list[int]:
    """The sequences applied after a higher one had been."""
    late, highest = [], None
    for sequence in history:
        if highest is not None and sequence < highest:
            late.append(sequence)
        highest = sequence if highest is None else max(highest, sequence)
    return late
