"""Positions as operators read them: ``topic[partition] offset``."""

from __future__ import annotations

from typing import NamedTuple


class PartitionId(NamedTuple):
    topic: str
    partition: int

    def __str__(self) -> str:
        return f"{self.topic}[{self.partition}]"


def position(topic: str, partition: int, offset: int) -> str:
    """``retail.orders[3] 1204``: how every operator command names a record or an offset."""
    return f"{topic}[{partition}] {offset}"
