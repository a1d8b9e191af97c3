"""Stock levels to an SFCC channel: each Odoo location the channel sells from is an
inventory list, and a level sets the allocation of the product's record in it (OCAPI Data
API), created when the list has none. A product the catalog lacks is not sold there and is
skipped; a list that does not exist is a ConfigError naming the channel's locations."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from consumers.storefront_inventory.applier import Counts
from consumers.storefront_inventory.levels import Versions, available, newest
from retailsync.channels import Channel
from retailsync.consumer import Item
from retailsync.errors import ConfigError
from retailsync.sfcc import SfccClient

log = logging.getLogger("retailsync.sfcc.inventory")


@dataclass(slots=True)
class SfccInventoryApplier:
    channel: Channel
    client: SfccClient
    safety_stock: Mapping[str, Decimal]
    versions: Versions = field(default_factory=Versions)
    counts: Counts = field(default_factory=Counts)

    def apply(self, items: Sequence[Item]) -> dict[int, BaseException]:
        """Send the newest level of each sku@location the channel sells; failures by
        position (none: a failing call raises, and the batch is tried again whole)."""
        self.counts.received += len(items)
        locations = self.channel.locations
        for level in newest(items):
            if level.event.location not in locations:
                continue
            if self.versions.is_stale(level):
                self.counts.stale += 1
                continue
            inventory_list = locations[level.event.location]
            amount = available(level.event, self.safety_stock)
            outcome = self.client.set_allocation(inventory_list, level.event.sku, amount)
            self.counts.mutations += 1
            if outcome == "no_list":
                raise ConfigError(
                    self.channel.source,
                    self.channel.setting_key("locations"),
                    f"SFCC has no inventory list {inventory_list!r}",
                )
            if outcome == "no_product":
                log.info("%s: SFCC does not sell %s", self.channel.name, level.event.sku)
            self.versions.sent(level)
            self.counts.sent += 1
        return {}
