"""Catalogue events: products and prices."""

from __future__ import annotations

from pydantic import Field

from retailsync.events.envelope import Event
from retailsync.events.fields import Currency, Money, Quantity, Ref, Timestamp


class ProductUpserted(Event):
    """The whole of one sellable product, after a change in Odoo."""

    EVENT_TYPE = "product_upserted"
    REQUIRES_SOURCE_VERSION = True

    sku: Ref
    template_ref: Ref | None = None
    name: str
    description: str | None = None
    barcode: str | None = None
    category: str | None = None
    attributes: dict[str, str] = Field(default_factory=dict)
    unit_of_measure: Ref
    weight_kg: Quantity | None = None
    currency: Currency
    list_price: Money
    active: bool


class PriceChanged(Event):
    """The price of a product changed, on its list price or on a pricelist."""

    EVENT_TYPE = "price_changed"
    REQUIRES_SOURCE_VERSION = True

    sku: Ref
    pricelist: Ref | None = None
    currency: Currency
    price: Money
    compare_at_price: Money | None = None
    valid_from: Timestamp | None = None
    valid_until: Timestamp | None = None
