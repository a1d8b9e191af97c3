"""A Shopify stand-in: the GraphQL Admin API subset the storefront appliers use, with
cost-based throttling and faults, and a webhook emitter that signs and delivers."""

from sandbox.storefront.server import SandboxStorefront
from sandbox.storefront.throttle import LeakyBucket
from sandbox.storefront.webhooks import Attempt, Delivery, WebhookEmitter, shopify_delivery

__all__ = [
    "Attempt",
    "Delivery",
    "LeakyBucket",
    "SandboxStorefront",
    "WebhookEmitter",
    "shopify_delivery",
]
