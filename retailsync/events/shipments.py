"""Deliveries of orders."""

from __future__ import annotations

from pydantic import Field

from retailsync.events.envelope import Event, Record
from retailsync.events.fields import Quantity, Ref


class ShippedLine(Record):
    """What one order line contributed to a shipment."""

    line_ref: Ref | None = None
    sku: Ref
    quantity: Quantity


class ShipmentDispatched(Event):
    """A delivery for an order left the warehouse."""

    EVENT_TYPE = "shipment_dispatched"

    order_ref: Ref
    shipment_ref: Ref
    warehouse: Ref
    carrier: str
    service: str | None = None
    tracking_number: str | None = None
    tracking_url: str | None = None
    lines: tuple[ShippedLine, ...] = Field(min_length=1)
