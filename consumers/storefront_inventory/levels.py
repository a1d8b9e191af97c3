"""Which stock levels to send: the newest per sku@location, never an older one than sent,
less the safety stock."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from retailsync.consumer import Item
from retailsync.events import InventoryAdjusted

ANY_LOCATION = "*"


@dataclass(frozen=True, slots=True)
class Level:
    """The newest level of one sku@location in a batch, and where it stands in the batch."""

    index: int
    event: InventoryAdjusted

    @property
    def key(self) -> str:
        return key_of(self.event)

    @property
    def version(self) -> int:
        return self.event.envelope.source_version or 0


def key_of(event: InventoryAdjusted) -> str:
    return f"{event.sku}@{event.location}"


def newest(items: Sequence[Item]) -> list[Level]:
    """One level per sku@location: the highest source_version (the later one on a tie)."""
    chosen: dict[str, Level] = {}
    for index, item in enumerate(items):
        level = Level(index, item.event)
        held = chosen.get(level.key)
        if held is None or level.version >= held.version:
            chosen[level.key] = level
    return list(chosen.values())


def available(event: InventoryAdjusted, safety_stock: Mapping[str, Decimal]) -> int:
    """What the storefront may sell of the level ``event`` tells."""
    return sellable(event.location, event.on_hand, event.reserved, safety_stock)


def sellable(
    location: str, on_hand: Decimal, reserved: Decimal, safety_stock: Mapping[str, Decimal]
) -> int:
    """What a channel may sell from ``location``: on hand less reserved less safety stock,
    whole units, never below zero."""
    held_back = safety_stock.get(location, safety_stock.get(ANY_LOCATION, Decimal(0)))
    return max(0, math.floor(on_hand - reserved - held_back))


class Versions:
    """The source_version last sent per sku@location, so that an older level is dropped.

    In memory, per process: see the package docstring for what a restart means.
    """

    def __init__(self) -> None:
        self._sent: dict[str, int] = {}

    def is_stale(self, level: Level) -> bool:
        sent = self._sent.get(level.key)
        return sent is not None and level.version < sent

    def sent(self, level: Level) -> None:
        self._sent[level.key] = max(level.version, self._sent.get(level.key, 0))
