"""WooCommerce's webhook payloads (REST API v3 resources): order.created and order.updated
carry an Order, customer.created and customer.updated a Customer.

WooCommerce writes money as strings ("18.00"), empty strings for unset address parts, and
``*_gmt`` times without an offset; they are UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, Field

from producers.commerce.payloads.base import Payload


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


GmtDatetime = Annotated[datetime, AfterValidator(_utc)]


class WooAddress(Payload):
    first_name: str = Field("", repr=False)
    last_name: str = Field("", repr=False)
    company: str = ""
    address_1: str = Field("", repr=False)
    address_2: str = Field("", repr=False)
    city: str = ""
    state: str = ""
    postcode: str = ""
    country: str = ""
    email: str | None = Field(None, repr=False)
    phone: str | None = Field(None, repr=False)


class WooLineItem(Payload):
    id: int
    name: str
    product_id: int
    quantity: int
    subtotal: Decimal
    subtotal_tax: Decimal
    total: Decimal
    total_tax: Decimal
    sku: str | None = None


class WooShippingLine(Payload):
    method_id: str | None = None
    method_title: str | None = None
    total: Decimal
    total_tax: Decimal


class WooRefund(Payload):
    id: int
    reason: str | None = None
    total: Decimal  # negative: "-5.00"


class WooOrder(Payload):
    id: int
    number: str | None = None
    status: str
    currency: str
    prices_include_tax: bool
    date_created_gmt: GmtDatetime
    date_modified_gmt: GmtDatetime | None = None
    date_paid_gmt: GmtDatetime | None = None
    discount_total: Decimal
    discount_tax: Decimal
    shipping_total: Decimal
    shipping_tax: Decimal
    total: Decimal
    total_tax: Decimal
    customer_id: int = 0
    shipping: WooAddress = Field(WooAddress(), repr=False)
    payment_method: str = ""
    transaction_id: str = ""
    line_items: tuple[WooLineItem, ...]
    shipping_lines: tuple[WooShippingLine, ...] = ()
    refunds: tuple[WooRefund, ...] = ()


class WooCustomer(Payload):
    id: int
    date_created_gmt: GmtDatetime
    date_modified_gmt: GmtDatetime | None = None
    email: str | None = Field(None, repr=False)
    first_name: str = Field("", repr=False)
    last_name: str = Field("", repr=False)
    billing: WooAddress = Field(WooAddress(), repr=False)
