"""Salesforce B2C Commerce: Account Manager tokens and the SCAPI Orders API, as the SFCC
order export uses them (and the sandbox answers them)."""

from retailsync.sfcc.client import (
    ExportStatus,
    Order,
    OrderPage,
    OrderStatus,
    SfccClient,
    ShippingStatus,
)
from retailsync.sfcc.token import TARGET, TokenSource

__all__ = [
    "TARGET",
    "ExportStatus",
    "Order",
    "OrderPage",
    "OrderStatus",
    "SfccClient",
    "ShippingStatus",
    "TokenSource",
]
