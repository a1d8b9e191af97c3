"""WooCommerce's webhook payloads (REST API v3 resources): order.created and order.updated
carry an Order, customer.created and customer.updated a Customer.

WooCommerce writes money as strings ("18.00"), empty strings for unset address parts, and
``*_gmt`` times without an offset; they are UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, Field

from producers.commerce.payloads.base import (
    Amount,
    Code,
    Count,
    OptionalId,
    Payload,
    PlatformId,
    Rate,
    SignedAmount,
)


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


class WooItemTax(Payload):
    """One rate's share of a line's, a fee's or a shipping line's tax: ``id`` is the rate's
    ``rate_id`` in the order's ``tax_lines``."""

    id: PlatformId
    total: SignedAmount


class WooTaxLine(Payload):
    """One tax rate the order used: its label and percent (absent from older WooCommerce)."""

    rate_id: PlatformId
    label: str = ""
    rate_percent: Rate | None = None


class WooFeeLine(Payload):
    """A fee: a cash-on-delivery charge, or a negative fee a shop uses as a discount."""

    name: str
    total: SignedAmount
    total_tax: SignedAmount
    taxes: tuple[WooItemTax, ...] = ()


class WooLineItem(Payload):
    id: PlatformId
    name: str
    product_id: OptionalId
    quantity: Count
    subtotal: Amount
    subtotal_tax: Amount
    total: Amount
    total_tax: Amount
    sku: Code | None = None
    taxes: tuple[WooItemTax, ...] = ()


class WooShippingLine(Payload):
    method_id: Code | None = None
    method_title: Code | None = None
    total: Amount
    total_tax: Amount
    taxes: tuple[WooItemTax, ...] = ()


class WooRefund(Payload):
    id: PlatformId
    reason: str | None = None
    total: Annotated[SignedAmount, Field(le=0)]  # money going back: "-5.00"


class WooOrder(Payload):
    id: PlatformId
    number: Code | None = None
    status: Code
    currency: Code
    prices_include_tax: bool
    date_created_gmt: GmtDatetime
    date_modified_gmt: GmtDatetime | None = None
    date_paid_gmt: GmtDatetime | None = None
    discount_total: Amount
    discount_tax: Amount
    shipping_total: Amount
    shipping_tax: Amount
    total: Amount
    total_tax: Amount
    customer_id: OptionalId = 0
    shipping: WooAddress = Field(WooAddress(), repr=False)
    payment_method: Code = ""
    transaction_id: Code = ""
    line_items: tuple[WooLineItem, ...]
    shipping_lines: tuple[WooShippingLine, ...] = ()
    fee_lines: tuple[WooFeeLine, ...] = ()
    tax_lines: tuple[WooTaxLine, ...] = ()
    refunds: tuple[WooRefund, ...] = ()


class WooCustomer(Payload):
    id: PlatformId
    date_created_gmt: GmtDatetime
    date_modified_gmt: GmtDatetime | None = None
    email: str | None = Field(None, repr=False)
    first_name: str = Field("", repr=False)
    last_name: str = Field("", repr=False)
    billing: WooAddress = Field(WooAddress(), repr=False)
