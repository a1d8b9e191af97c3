"""Payment events of an order: authorised, captured, refunded."""

from __future__ import annotations

from enum import StrEnum

from retailsync.events.envelope import Event, Record
from retailsync.events.fields import Currency, Money, Quantity, Ref, Timestamp


class RefundReason(StrEnum):
    UNKNOWN = "UNKNOWN"
    RETURN = "RETURN"
    DAMAGED = "DAMAGED"
    NOT_RECEIVED = "NOT_RECEIVED"
    CUSTOMER_REQUEST = "CUSTOMER_REQUEST"
    GOODWILL = "GOODWILL"
    FRAUD = "FRAUD"
    OTHER = "OTHER"


class PaymentAuthorized(Event):
    """A payment gateway reserved an amount for an order."""

    EVENT_TYPE = "payment_authorized"

    order_ref: Ref
    payment_ref: Ref
    gateway: str
    currency: Currency
    amount: Money
    expires_at: Timestamp | None = None


class PaymentCaptured(Event):
    """Money for an order was taken."""

    EVENT_TYPE = "payment_captured"

    order_ref: Ref
    payment_ref: Ref
    authorization_ref: Ref | None = None
    gateway: str
    currency: Currency
    amount: Money


class RefundLine(Record):
    """The refund of (part of) one order line."""

    line_ref: Ref
    sku: Ref
    quantity: Quantity
    amount: Money


class RefundIssued(Event):
    """Money was paid back to the customer."""

    EVENT_TYPE = "refund_issued"

    order_ref: Ref
    refund_ref: Ref
    payment_ref: Ref | None = None
    currency: Currency
    amount: Money
    shipping_amount: Money
    lines: tuple[RefundLine, ...] = ()
    reason: RefundReason
    restock: bool
