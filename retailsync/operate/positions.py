"""Positions as operators read them: ``topic[partition] offset``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple


class PartitionId(NamedTuple):
    topic: str
    partition: int

    def __str__(self) -> str:
        return f"{self.topic}[{self.partition}]"


def position(topic: str, partition: int, offset: int) -> str:
    """``retail.orders[3] 1204``: how every operator command names a record or an offset."""
    return f"{topic}[{partition}] {offset}"


def offset_ranges(offsets: Iterable[int]) -> str:
    """``3-7,9,12-13``: offsets as runs, so an audit record of 100,000 records stays small."""
    runs: list[list[int]] = []
    for offset in sorted(set(offsets)):
        if runs and offset == runs[-1][1] + 1:
            runs[-1][1] = offset
        else:
            runs.append([offset, offset])
    return ",".join(f"{a}" if a == b else f"{a}-{b}" for a, b in runs)


def positions_by_partition(
    records: Iterable[tuple[str, int, int]],
) -> list[dict[str, str | int]]:
    """Records as one entry per partition: ``{"partition": "t[p]", "offsets": "3-7,9", ...}``."""
    grouped: dict[PartitionId, list[int]] = {}
    for topic, partition, offset in records:
        grouped.setdefault(PartitionId(topic, partition), []).append(offset)
    return [
        {"partition": str(p), "offsets": offset_ranges(offsets), "records": len(offsets)}
        for p, offsets in sorted(grouped.items())
    ]
