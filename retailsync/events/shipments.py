"""Deliveries of orders."""

from __future__ import annotations

from pydantic import Field

from retailsync.events.envelope import Event, Record
from retailsync.events.fields import Quantity, Ref


class ShippedLine(Record):
    """What one order line contributed to a shipment: the channel's line ref the order came
    with, and Odoo's own line (v2; v1 carried Odoo's line id as ``line_ref``)."""

    line_ref: Ref | None = None
    sku: Ref
    quantity: Quantity
    odoo_line_ref: Ref | None = None


class ShipmentDispatched(Event):
    """A delivery for an order left the warehouse."""

    EVENT_TYPE = "shipment_dispatched"
    SCHEMA_VERSION = 2

    order_ref: Ref
    shipment_ref: Ref
    warehouse: Ref
    carrier: str
    service: str | None = None
    tracking_number: str | None = None
    tracking_url: str | None = None
    lines: tuple[ShippedLine, ...] = Field(min_length=1)
