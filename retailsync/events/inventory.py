"""Stock levels, one sku at one location."""

from __future__ import annotations

from enum import StrEnum

from retailsync.events.envelope import Event
from retailsync.events.fields import Quantity, Ref


class AdjustmentReason(StrEnum):
    UNKNOWN = "UNKNOWN"
    RECEIPT = "RECEIPT"
    DELIVERY = "DELIVERY"
    RETURN = "RETURN"
    INVENTORY_COUNT = "INVENTORY_COUNT"
    SCRAP = "SCRAP"
    TRANSFER = "TRANSFER"
    MANUFACTURING = "MANUFACTURING"
    RESERVATION = "RESERVATION"


class InventoryAdjusted(Event):
    """The whole stock level of one sku at one location, after a change in Odoo."""

    EVENT_TYPE = "inventory_adjusted"
    REQUIRES_SOURCE_VERSION = True

    sku: Ref
    location: Ref
    warehouse: Ref
    on_hand: Quantity
    reserved: Quantity
    available: Quantity
    unit_of_measure: Ref
    reason: AdjustmentReason
