"""The commerce webhook receiver: signed Shopify, WooCommerce and generic webhooks become
events on Kafka, each answered 2xx only once the brokers acknowledged it.

``retailsync serve webhooks`` runs it; ``receiver_app`` builds it from settings, and
``build_app`` around any event sink (tests use an in-memory one). Routes, status codes and
the signature schemes are described in ``app`` and ``signatures``.
"""

from producers.commerce.app import build_app, receiver_app
from producers.commerce.settings import WebhookSettings

__all__ = ["WebhookSettings", "build_app", "receiver_app"]
