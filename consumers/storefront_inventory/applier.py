"""Applying a batch of stock levels: one ``inventorySetQuantities`` for all its SKUs."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from consumers.storefront_inventory.catalog import InventoryItems
from consumers.storefront_inventory.levels import Level, Versions, available, newest
from consumers.storefront_inventory.settings import InventorySettings
from retailsync.consumer import Item
from retailsync.storefront import StorefrontClient, StorefrontSettings, StorefrontUserError

log = logging.getLogger("retailsync.storefront.inventory")

SET_AVAILABLE = """
mutation SetAvailable($input: InventorySetQuantitiesInput!) {
  inventorySetQuantities(input: $input) {
    inventoryAdjustmentGroup { reason changes { name delta quantityAfterChange } }
    userErrors { code field message }
  }
}
"""


@dataclass(slots=True)
class Counts:
    """Levels received and quantities sent, for the coalescing ratio."""

    received: int = 0
    sent: int = 0
    stale: int = 0
    mutations: int = 0


@dataclass(slots=True)
class InventoryApplier:
    client: StorefrontClient
    # Odoo location -> storefront location id; levels elsewhere are not sold online.
    locations: Mapping[str, str]
    safety_stock: Mapping[str, Decimal]
    items: InventoryItems = field(init=False)
    versions: Versions = field(default_factory=Versions)
    counts: Counts = field(default_factory=Counts)

    def __post_init__(self) -> None:
        self.items = InventoryItems(self.client)

    @classmethod
    def from_settings(
        cls, storefront: StorefrontSettings, settings: InventorySettings
    ) -> InventoryApplier:
        return cls(
            StorefrontClient.from_settings(storefront),
            settings.storefront_locations,
            settings.storefront_safety_stock,
        )

    def apply(self, items: Sequence[Item]) -> dict[int, BaseException]:
        """Send the newest level of each sku@location in ``items``; failures by position.

        Older levels of a key in the batch are superseded by the newest and succeed with it;
        a level older than one already sent is dropped.
        """
        self.counts.received += len(items)
        levels = [level for level in newest(items) if self._wanted(level)]
        ids = self.items.ids({level.event.sku for level in levels})
        quantities: list[tuple[Level, dict[str, Any]]] = []
        for level in levels:
            item_id = ids[level.event.sku]
            if item_id is None:
                continue  # the storefront does not sell this SKU
            quantity = {
                "inventoryItemId": item_id,
                "locationId": self.locations[level.event.location],
                "quantity": available(level.event, self.safety_stock),
            }
            quantities.append((level, quantity))
        return self._send(quantities)

    def _wanted(self, level: Level) -> bool:
        if level.event.location not in self.locations:
            return False
        if self.versions.is_stale(level):
            self.counts.stale += 1
            log.info("%s: version %d is older than the one sent", level.key, level.version)
            return False
        return True

    def _send(self, quantities: list[tuple[Level, dict[str, Any]]]) -> dict[int, BaseException]:
        failures: dict[int, BaseException] = {}
        # Each round sends, or drops at least one quantity: the loop ends.
        while quantities:
            refused = self._mutate([quantity for _, quantity in quantities])
            if not refused:
                for level, _ in quantities:
                    self.versions.sent(level)
                self.counts.sent += len(quantities)
                break
            positions = {_position(error, len(quantities)): error for error in refused}
            if None in positions:  # not about one quantity: nothing can go
                return failures | {level.index: refused[0] for level, _ in quantities}
            # Shopify applies nothing of a mutation with user errors: the refused
            # quantities fail, the others go again without them.
            failures |= {
                quantities[n][0].index: error for n, error in positions.items() if n is not None
            }
            quantities = [pair for n, pair in enumerate(quantities) if n not in positions]
        return failures

    def _mutate(self, quantities: list[dict[str, Any]]) -> list[StorefrontUserError]:
        self.counts.mutations += 1
        data = self.client.execute(
            SET_AVAILABLE,
            {
                "input": {
                    "name": "available",
                    "reason": "correction",
                    # Odoo's level is the truth and staleness is decided by source_version,
                    # so the storefront's current value is not compared.
                    "ignoreCompareQuantity": True,
                    "quantities": quantities,
                }
            },
        )
        errors = data["inventorySetQuantities"]["userErrors"]
        return [
            StorefrontUserError(error["message"], tuple(error.get("field") or ()))
            for error in errors
        ]


def _position(error: StorefrontUserError, count: int) -> int | None:
    """The quantity a user error names: field ["input", "quantities", "<n>", …]."""
    field = error.field
    if len(field) >= 3 and field[1] == "quantities" and str(field[2]).isdigit():
        position = int(field[2])
        return position if position < count else None
    return None
