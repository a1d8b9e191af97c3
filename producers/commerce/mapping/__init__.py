"""Webhook payloads to retailsync events, one module per platform."""

from producers.commerce.mapping import shopify, woocommerce
from producers.commerce.mapping.common import Delivery, micros
from producers.commerce.mapping.generic import generic_event

__all__ = ["Delivery", "generic_event", "micros", "shopify", "woocommerce"]
