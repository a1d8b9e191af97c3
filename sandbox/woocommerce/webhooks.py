"""WooCommerce's webhook deliveries of an order, as the shop sends them: the REST v3 order
as the body, signed with the webhook's secret (``X-WC-Webhook-Signature``: base64 of the
HMAC-SHA256 of the body), with the ``X-WC-Webhook-*`` headers. Post them with
``sandbox.storefront.WebhookEmitter`` on ``WOOCOMMERCE_RETRIES``."""

from __future__ import annotations

import json
import uuid

from sandbox.storefront.webhooks import Delivery, sign_body
from sandbox.woocommerce.documents import order_document
from sandbox.woocommerce.store import Order

WEBHOOK_ID = "17"


def order_delivery(topic: str, order: Order, *, secret: str, site_url: str) -> Delivery:
    """``order.created`` or ``order.updated`` of ``order``, signed with ``secret``."""
    body = json.dumps(order_document(order, site_url), separators=(",", ":")).encode()
    resource, _, event = topic.partition(".")
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "WooCommerce/9.4.2 Hookshot (WordPress/6.7.1)",
        "X-WC-Webhook-Source": f"{site_url}/",
        "X-WC-Webhook-Topic": topic,
        "X-WC-Webhook-Resource": resource,
        "X-WC-Webhook-Event": event,
        "X-WC-Webhook-Signature": sign_body(secret.encode(), body),
        "X-WC-Webhook-ID": WEBHOOK_ID,
        "X-WC-Webhook-Delivery-ID": uuid.uuid4().hex,
    }
    return Delivery(topic, body, headers)
