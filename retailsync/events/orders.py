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


class TaxLine(Record):
    """One tax charged on a line, on shipping or on a fee: its rate in percent (v3)."""

    title: str
    rate: Money
    amount: Money


class FeeLine(Record):
    """A fee that is neither a product nor shipping; negative for a deduction (v3)."""

    title: str
    amount: Money
    tax: Money
    tax_lines: tuple[TaxLine, ...] = ()


class OrderLine(Record):
    """One product line of an order; amounts are line totals, not per unit, except unit_price.
    ``tax_lines`` (order_created v3, order_edited v2) says which taxes make up ``tax``."""

    line_ref: Ref
    sku: Ref
    title: str
    quantity: Quantity
    unit_price: Money
    discount: Money
    tax: Money
    total: Money
    tax_lines: tuple[TaxLine, ...] = ()


class OrderCreated(Event):
    """A customer placed an order on a selling channel; ``test`` marks a test order (v2);
    v3 adds tax lines, shipping tax, fees, the order-level discount and the add-up check
    (``mapping_difference``; None: an older record, not checked)."""

    EVENT_TYPE = "order_created"
    SCHEMA_VERSION = 3

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
    shipping_tax: Money | None = None
    shipping_tax_lines: tuple[TaxLine, ...] = ()
    fee_lines: tuple[FeeLine, ...] = ()
    order_discount: Money | None = None
    mapping_difference: Money | None = None


class RiskLevel(StrEnum):
    UNKNOWN = "UNKNOWN"
    PENDING = "PENDING"
    NONE = "NONE"
    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"


class OrderRiskAssessed(Event):
    """A fraud check assessed an order; may come before or after its order_created."""

    EVENT_TYPE = "order_risk_assessed"

    order_ref: Ref
    risk_level: RiskLevel
    provider: str | None = None
    facts: tuple[str, ...] = ()


class OrderEdited(Event):
    """An order's lines after a change: its whole set of lines and totals, not a difference;
    v2 adds the lines' tax lines."""

    EVENT_TYPE = "order_edited"
    SCHEMA_VERSION = 2

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
