"""Stock levels to a WooCommerce channel. WooCommerce keeps one stock quantity per product
or variation, with no locations: a channel maps the one Odoo location it sells from, and a
level sets the stock quantity of the product or variation with the level's SKU (stock
managed by the shop from then on), all SKUs of a batch in WooCommerce's batch endpoints.
A SKU the shop does not have is not sold there and is skipped; ids are looked up once."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from consumers.storefront_inventory.applier import Counts
from consumers.storefront_inventory.levels import Level, Versions, available, newest
from retailsync.channels import Channel
from retailsync.consumer import Item
from retailsync.errors import ConfigError, PermanentError
from retailsync.woocommerce import StockUpdate, WooCommerceClient, WooProduct

log = logging.getLogger("retailsync.woocommerce.inventory")


@dataclass(slots=True)
class WooCommerceInventoryApplier:
    channel: Channel
    client: WooCommerceClient
    safety_stock: Mapping[str, Decimal]
    versions: Versions = field(default_factory=Versions)
    counts: Counts = field(default_factory=Counts)
    # SKU -> the shop's product or variation; None: the shop does not sell it.
    products: dict[str, WooProduct | None] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if len(self.channel.locations) > 1:
            raise ConfigError(
                self.channel.source,
                self.channel.setting_key("locations"),
                "WooCommerce keeps one stock per product: map one Odoo location",
            )

    def apply(self, items: Sequence[Item]) -> dict[int, BaseException]:
        """Send the newest level of each SKU the channel sells; the levels the shop refused
        fail by position (a failing call raises, and the batch is tried again whole)."""
        self.counts.received += len(items)
        levels = [level for level in newest(items) if self._wanted(level)]
        self._look_up({level.event.sku for level in levels})
        updates: dict[int, tuple[Level, StockUpdate]] = {}
        for level in levels:
            product = self.products[level.event.sku]
            if product is None:
                continue
            quantity = available(level.event, self.safety_stock)
            updates[product.id] = (level, StockUpdate(product, quantity))
        if not updates:
            return {}
        refused = self.client.set_stock([update for _, update in updates.values()])
        self.counts.mutations += 1
        failures: dict[int, BaseException] = {}
        for product_id, (level, _) in updates.items():
            if product_id in refused:
                why = f"WooCommerce refused the stock of {level.event.sku}: {refused[product_id]}"
                failures[level.index] = PermanentError(why)
                continue
            self.versions.sent(level)
            self.counts.sent += 1
        return failures

    def _wanted(self, level: Level) -> bool:
        if level.event.location not in self.channel.locations:
            return False
        if self.versions.is_stale(level):
            self.counts.stale += 1
            return False
        return True

    def _look_up(self, skus: set[str]) -> None:
        missing = skus - self.products.keys()
        if not missing:
            return
        found = self.client.products_by_sku(missing)
        for sku in missing:
            self.products[sku] = found.get(sku)
            if sku not in found:
                log.info("%s: WooCommerce does not sell %s", self.channel.name, sku)
