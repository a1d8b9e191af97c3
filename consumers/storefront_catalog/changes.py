"""What one catalog record asks of the storefront, as Admin API input.

A ``product_upserted`` sets the product (title, description, active or archived) and its
variant's barcode and weight; a ``price_changed`` of the storefront's pricelist sets the
variant's price and compare-at price. Each kind keeps its own version per SKU, so that a
price never overwrites a product's fields and neither loses to an older one of its kind.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from retailsync.consumer import Item
from retailsync.events import PriceChanged, ProductUpserted

PRODUCT = "product"
PRICE = "price"


@dataclass(frozen=True, slots=True)
class Change:
    """One record of a batch: its position, its SKU, its kind and version."""

    index: int
    event: ProductUpserted | PriceChanged

    @property
    def sku(self) -> str:
        return self.event.sku

    @property
    def kind(self) -> str:
        return PRODUCT if isinstance(self.event, ProductUpserted) else PRICE

    @property
    def version(self) -> int:
        return self.event.envelope.source_version or 0


def changes(items: list[Item], pricelist: str | None) -> list[Change]:
    """The batch's records that concern this storefront: every product, and the prices of
    its pricelist (``None``: the list price)."""
    return [
        Change(index, item.event)
        for index, item in enumerate(items)
        if isinstance(item.event, ProductUpserted)
        or (isinstance(item.event, PriceChanged) and item.event.pricelist == pricelist)
    ]


def product_input(event: ProductUpserted) -> dict[str, Any]:
    """``ProductUpdateInput``/``ProductSetInput`` fields of a product."""
    return {
        "title": event.name,
        "descriptionHtml": _html(event.description),
        "status": "ACTIVE" if event.active else "ARCHIVED",
    }


def variant_input(event: ProductUpserted | PriceChanged) -> dict[str, Any]:
    """``ProductVariantsBulkInput`` fields (without ``id``) of a product or of a price."""
    if isinstance(event, PriceChanged):
        return {
            "price": money(event.price),
            "compareAtPrice": money(event.compare_at_price)
            if event.compare_at_price is not None
            else None,
        }
    item: dict[str, Any] = {"sku": event.sku}
    if event.weight_kg is not None:
        item["measurement"] = {"weight": {"unit": "KILOGRAMS", "value": float(event.weight_kg)}}
    return {"barcode": event.barcode, "inventoryItem": item}


def money(amount: Decimal) -> str:
    """Shopify's ``Money``: a decimal string, to the cent."""
    return str(amount.quantize(Decimal("0.01")))


def _html(text: str | None) -> str:
    # Odoo's sales description is plain text; the storefront shows HTML.
    return html.escape(text or "").replace("\n", "<br>")
