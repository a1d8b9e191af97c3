"""Stock drift: what each channel offers against what Odoo says it may sell, read from the
systems themselves (not from our topics), so that a level changed behind the pipeline's
back, or one it never delivered, is found.

For every channel that sells a location, and every SKU Odoo stocks there or the channel
lists: Odoo's sellable quantity (on hand less reserved less safety stock, as the applier
computes it) against the channel's available quantity (Shopify's ``available`` at the
mapped location, an SFCC inventory list's allocation, a WooCommerce product's stock
quantity). A SKU the channel does not carry is
not drift: the applier skips it too.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from consumers.storefront_inventory.catalog import search
from consumers.storefront_inventory.levels import sellable
from retailsync.channels import Channel
from retailsync.odoo import OdooClient
from retailsync.sfcc import SfccClient
from retailsync.storefront import StorefrontClient
from retailsync.woocommerce import WooCommerceClient

_PAGE = 50
LEVELS_BY_SKU = """
query LevelsBySku($query: String!, $first: Int!) {
  inventoryItems(first: $first, query: $query) {
    nodes {
      sku
      inventoryLevels(first: 50) {
        nodes { location { id } quantities(names: ["available"]) { name quantity } }
      }
    }
  }
}
"""


@dataclass(frozen=True, slots=True)
class StockDifference:
    """One SKU at one location whose quantity on a channel is not what Odoo allows."""

    channel: str
    sku: str
    location: str  # Odoo's location
    odoo_sellable: int
    channel_available: int

    @property
    def key(self) -> str:
        """The key of the SKU's stock events: ``retailsync tail retail.inventory --key``."""
        return f"{self.sku}@{self.location}"


def stock_drift(
    odoo: OdooClient,
    channels: Iterable[Channel],
    safety_stock: Mapping[str, Decimal],
    *,
    timeout_s: float,
) -> list[StockDifference]:
    """Every difference between Odoo's sellable stock and each selling channel's."""
    selling = [channel for channel in channels if channel.locations]
    locations = sorted({location for channel in selling for location in channel.locations})
    odoo_levels = _odoo_sellable(odoo, locations, safety_stock)
    found: list[StockDifference] = []
    for channel in selling:
        offered = _offered(channel, sorted({sku for sku, _ in odoo_levels}), timeout_s)
        for (sku, location), available in offered.items():
            expected = odoo_levels.get((sku, location), 0)
            if available != expected:
                found.append(StockDifference(channel.name, sku, location, expected, available))
    return sorted(found, key=lambda d: (d.channel, d.sku, d.location))


def _odoo_sellable(
    odoo: OdooClient, locations: list[str], safety_stock: Mapping[str, Decimal]
) -> dict[tuple[str, str], int]:
    """(sku, location) -> sellable, for every product with a quant at those locations."""
    quants = odoo.search_read(
        "stock.quant",
        [("location_id.complete_name", "in", locations)],
        ["product_id", "location_id", "quantity", "reserved_quantity"],
    )
    products = {int(quant["product_id"][0]) for quant in quants}
    codes = {
        int(row["id"]): row["default_code"]
        for row in (
            odoo.read("product.product", sorted(products), ["default_code"]) if products else ()
        )
        if row["default_code"]
    }
    names = {
        int(row["id"]): str(row["complete_name"])
        for row in odoo.search_read(
            "stock.location", [("complete_name", "in", locations)], ["complete_name"]
        )
    }
    totals: dict[tuple[str, str], list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for quant in quants:
        sku = codes.get(int(quant["product_id"][0]))
        location = names.get(int(quant["location_id"][0]))
        if sku is None or location is None:
            continue
        total = totals[(sku, location)]
        total[0] += Decimal(str(quant["quantity"]))
        total[1] += Decimal(str(quant["reserved_quantity"]))
    return {
        key: sellable(key[1], on_hand, reserved, safety_stock)
        for key, (on_hand, reserved) in totals.items()
    }


def _offered(channel: Channel, skus: list[str], timeout_s: float) -> dict[tuple[str, str], int]:
    """(sku, Odoo location) -> what ``channel`` offers, for the SKUs it carries."""
    if channel.platform == "shopify":
        with StorefrontClient.from_channel(channel, timeout_s=timeout_s) as client:
            return _shopify_offered(client, channel.locations, skus)
    if channel.platform == "sfcc":
        with SfccClient.from_channel(channel, timeout_s=timeout_s) as client:
            return _sfcc_offered(client, channel.locations, skus)
    if channel.platform == "woocommerce":
        with WooCommerceClient.from_channel(channel, timeout_s=timeout_s) as woo:
            return _woocommerce_offered(woo, channel.locations, skus)
    return {}  # no stock is sent to the other platforms, so none is compared


def _shopify_offered(
    client: StorefrontClient, locations: Mapping[str, str], skus: Iterable[str]
) -> dict[tuple[str, str], int]:
    ours = {
        channel_location: odoo_location for odoo_location, channel_location in locations.items()
    }
    offered: dict[tuple[str, str], int] = {}
    wanted = list(skus)
    for start in range(0, len(wanted), _PAGE):
        page = wanted[start : start + _PAGE]
        data = client.execute(LEVELS_BY_SKU, {"query": search(page), "first": _PAGE})
        for item in data["inventoryItems"]["nodes"]:
            for level in item["inventoryLevels"]["nodes"]:
                odoo_location = ours.get(level["location"]["id"])
                if odoo_location is None:
                    continue
                quantity = next(
                    (q["quantity"] for q in level["quantities"] if q["name"] == "available"), 0
                )
                offered[(item["sku"], odoo_location)] = int(quantity)
    return offered


def _sfcc_offered(
    client: SfccClient, locations: Mapping[str, str], skus: Iterable[str]
) -> dict[tuple[str, str], int]:
    offered: dict[tuple[str, str], int] = {}
    for sku in skus:
        for odoo_location, inventory_list in locations.items():
            allocation = client.allocation(inventory_list, sku)
            if allocation is not None:
                offered[(sku, odoo_location)] = allocation
    return offered


def _woocommerce_offered(
    client: WooCommerceClient, locations: Mapping[str, str], skus: Iterable[str]
) -> dict[tuple[str, str], int]:
    # One stock per product, from the channel's one location; unmanaged stock offers no count.
    return {
        (sku, odoo_location): product.stock_quantity
        for sku, product in client.products_by_sku(skus).items()
        if product.stock_quantity is not None
        for odoo_location in locations
    }
