"""Webhook payloads to retailsync events, one module per platform."""

from producers.commerce.mapping import shopify, woocommerce
from producers.commerce.mapping.common import (
    DeferredError,
    Delivery,
    Mapped,
    events_of,
    identified,
    micros,
)
from producers.commerce.mapping.generic import generic_event

__all__ = [
    "DeferredError",
    "Delivery",
    "Mapped",
    "events_of",
    "generic_event",
    "identified",
    "micros",
    "shopify",
    "woocommerce",
]
