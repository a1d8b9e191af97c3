"""Order events: placed, edited and cancelled (payments are in ``payments``)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from retailsync.events.address import Address
from retailsync.events.envelope import Event, Record
from retailsync.events.fields import Currency, Money, Quantity, Ref


class PaymentState(StrEnum):
    UNKNOWN = "UNKNOWN"
    PENDING = "PENDING"
    AUTHORIZED = "AUTHORIZED"
    PARTIALLY_PAID = "PARTIALLY_PAID"
    PAID = "PAID"
    PARTIALLY_REFUNDED = "PARTIALLY_REFUNDED"
    REFUNDED = "REFUNDED"
    VOIDED = "VOIDED"


class CancelReason(StrEnum):
    UNKNOWN = "UNKNOWN"
    CUSTOMER = "CUSTOMER"
    FRAUD = "FRAUD"
    INVENTORY = "INVENTORY"
    PAYMENT_DECLINED = "PAYMENT_DECLINED"
    STAFF = "STAFF"
    OTHER = "OTHER"


class OrderLine(Record):
    """One product line of an order; amounts are line totals, not per unit, except unit_price."""

    line_ref: Ref
    sku: Ref
    title: str
    quantity: Quantity
    unit_price: Money
    discount: Money
    tax: Money
    total: Money


class OrderCreated(Event):
    """A customer placed an order on a selling channel; ``test`` marks a test order (v2)."""

    EVENT_TYPE = "order_created"
    SCHEMA_VERSION = 2

    order_ref: Ref
    order_number: str | None = None
    customer_ref: Ref | None = None
    currency: Currency
    prices_include_tax: bool
    lines: tuple[OrderLine, ...] = Field(min_length=1)
    subtotal: Money
    shipping_total: Money
    discount_total: Money
    tax_total: Money
    total: Money
    shipping_address: Address | None = Field(None, repr=False)
    shipping_method: str | None = None
    payment_state: PaymentState
    test: bool = False


class OrderEdited(Event):
    """An order's lines after a change: its whole set of lines and totals, not a difference."""

    EVENT_TYPE = "order_edited"

    order_ref: Ref
    currency: Currency
    prices_include_tax: bool
    lines: tuple[OrderLine, ...]
    subtotal: Money
    shipping_total: Money
    discount_total: Money
    tax_total: Money
    total: Money
    test: bool = False


class OrderCancelled(Event):
    """An order was cancelled before it was fulfilled."""

    EVENT_TYPE = "order_cancelled"

    order_ref: Ref
    reason: CancelReason
    restock: bool
