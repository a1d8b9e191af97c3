"""Customer returns."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from retailsync.events.envelope import Event, Record
from retailsync.events.fields import Currency, Money, Quantity, Ref


class ReturnReason(StrEnum):
    UNKNOWN = "UNKNOWN"
    DAMAGED = "DAMAGED"
    DEFECTIVE = "DEFECTIVE"
    WRONG_ITEM = "WRONG_ITEM"
    NOT_AS_DESCRIBED = "NOT_AS_DESCRIBED"
    SIZE_OR_FIT = "SIZE_OR_FIT"
    NO_LONGER_NEEDED = "NO_LONGER_NEEDED"
    OTHER = "OTHER"


class ItemCondition(StrEnum):
    UNKNOWN = "UNKNOWN"
    SELLABLE = "SELLABLE"
    DAMAGED = "DAMAGED"
    DEFECTIVE = "DEFECTIVE"


class ReturnLine(Record):
    """Goods of one order line that came back: the channel's line ref the order came with,
    and Odoo's own line (v2; v1 carried Odoo's line id as ``line_ref``)."""

    line_ref: Ref | None = None
    sku: Ref
    quantity: Quantity
    reason: ReturnReason
    condition: ItemCondition
    restock: bool
    amount: Money
    odoo_line_ref: Ref | None = None


class ReturnReceived(Event):
    """Returned goods arrived at a warehouse and were inspected."""

    EVENT_TYPE = "return_received"
    SCHEMA_VERSION = 2

    order_ref: Ref
    return_ref: Ref
    warehouse: Ref
    currency: Currency
    lines: tuple[ReturnLine, ...] = Field(min_length=1)
    refund_total: Money
