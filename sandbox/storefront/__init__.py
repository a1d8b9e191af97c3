"""A Shopify stand-in: the GraphQL Admin API subset the storefront appliers use, with
cost-based throttling and faults, and a webhook emitter that signs and delivers."""

from sandbox.storefront.server import SandboxStorefront
from sandbox.storefront.throttle import LeakyBucket
from sandbox.storefront.webhooks import (
    SHOPIFY_RETRIES,
    WOOCOMMERCE_RETRIES,
    Attempt,
    Delivery,
    RetrySchedule,
    WebhookEmitter,
    shopify_delivery,
)

__all__ = [
    "SHOPIFY_RETRIES",
    "WOOCOMMERCE_RETRIES",
    "Attempt",
    "Delivery",
    "LeakyBucket",
    "RetrySchedule",
    "SandboxStorefront",
    "WebhookEmitter",
    "shopify_delivery",
]
