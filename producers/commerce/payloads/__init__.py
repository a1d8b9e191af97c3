"""Pydantic models of the webhook payloads each platform sends, as they document them.

Only the fields the mapping reads are declared; the rest of a payload is ignored, so a
platform adding fields never breaks the receiver. Inputs are kept out of error messages:
payloads carry personal data.
"""

from producers.commerce.payloads.generic import GenericPayload
from producers.commerce.payloads.shopify import ShopifyCustomer, ShopifyOrder, ShopifyRefund
from producers.commerce.payloads.woocommerce import WooCustomer, WooOrder

__all__ = [
    "GenericPayload",
    "ShopifyCustomer",
    "ShopifyOrder",
    "ShopifyRefund",
    "WooCustomer",
    "WooOrder",
]
