"""Deliveries of orders: the stock reserved for them, and their dispatch."""

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


class AllocatedLine(Record):
    """The stock reserved for one product of a delivery."""

    sku: Ref
    quantity: Quantity


class OrderAllocated(Event):
    """Stock was reserved in Odoo for an order's delivery (the delivery is Ready)."""

    EVENT_TYPE = "order_allocated"

    order_ref: Ref
    delivery_ref: Ref
    warehouse: Ref
    lines: tuple[AllocatedLine, ...] = Field(min_length=1)
