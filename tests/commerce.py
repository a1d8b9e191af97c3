"""What the commerce tests share: the platforms' sample payloads and signed requests."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr

from producers.commerce.signatures import sign_body, sign_standard
from retailsync.channels import Channel
from retailsync.consumer import HandlerContext, Item
from retailsync.events import (
    CancelReason,
    InventoryAdjusted,
    OrderCancelled,
    ReturnReceived,
    ShipmentDispatched,
    ShippedLine,
    Source,
)
from retailsync.events.examples import AT, ODOO, example_events
from retailsync.storefront import StorefrontClient
from sandbox.sfcc import SandboxSfcc
from sandbox.storefront import SandboxStorefront, shopify_delivery
from sandbox.storefront.graphql import execute

FIXTURES = Path(__file__).parent / "fixtures" / "commerce"
SHOPIFY_SECRET = "shopify-test-secret"  # test values, not secrets
WOO_SECRET = "woo-test-secret"
GENERIC_SECRET = "generic-test-secret"
SHOP = "example-shop.example.com"
WOO_SITE = "https://woo.example.com/"

# (fixture, topic) of every sample payload, per platform
SHOPIFY_SAMPLES = [
    ("orders_create", "orders/create", "order_created"),
    ("orders_updated", "orders/updated", "order_edited"),
    ("orders_paid", "orders/paid", "payment_captured"),
    ("orders_cancelled", "orders/cancelled", "order_cancelled"),
    ("orders_risk_assessment_changed", "orders/risk_assessment_changed", "order_risk_assessed"),
    ("refunds_create", "refunds/create", "refund_issued"),
    ("customers_create", "customers/create", "customer_upserted"),
    ("customers_update", "customers/update", "customer_upserted"),
    ("customers_redact", "customers/redact", "customer_erased"),
]
WOO_SAMPLES = [
    ("order_created", "order.created", "order_created"),
    ("order_updated", "order.updated", "payment_captured"),
    ("customer_created", "customer.created", "customer_upserted"),
    ("customer_updated", "customer.updated", "customer_upserted"),
]


def sample(platform: str, name: str) -> bytes:
    return (FIXTURES / platform / f"{name}.json").read_bytes()


def sample_json(platform: str, name: str) -> dict[str, Any]:
    return json.loads(sample(platform, name))


def shopify_request(topic: str, body: bytes, event_id: str | None = None) -> dict[str, str]:
    """Shopify's headers for ``body``, signed with the test secret."""
    headers = dict(
        shopify_delivery(
            topic, {}, secret=SHOPIFY_SECRET, shop_domain=SHOP, event_id=event_id
        ).headers
    )
    headers["X-Shopify-Hmac-Sha256"] = sign_body(SHOPIFY_SECRET.encode(), body)
    return headers


def woo_request(topic: str, body: bytes, delivery_id: str | None = None) -> dict[str, str]:
    resource, _, event = topic.partition(".")
    return {
        "Content-Type": "application/json",
        "X-WC-Webhook-Source": WOO_SITE,
        "X-WC-Webhook-Topic": topic,
        "X-WC-Webhook-Resource": resource,
        "X-WC-Webhook-Event": event,
        "X-WC-Webhook-Signature": sign_body(WOO_SECRET.encode(), body),
        "X-WC-Webhook-ID": "17",
        "X-WC-Webhook-Delivery-ID": delivery_id or uuid.uuid4().hex,
    }


def generic_request(
    body: bytes, webhook_id: str | None = None, timestamp: int | None = None
) -> dict[str, str]:
    webhook_id = webhook_id or f"msg_{uuid.uuid4().hex}"
    sent_at = int(time.time()) if timestamp is None else timestamp
    return {
        "Content-Type": "application/json",
        "webhook-id": webhook_id,
        "webhook-timestamp": str(sent_at),
        "webhook-signature": sign_standard(GENERIC_SECRET.encode(), webhook_id, sent_at, body),
    }


def receiver_settings() -> dict[str, Any]:
    return {
        "shopify_webhook_secrets": f"retired-secret,{SHOPIFY_SECRET}",
        "woocommerce_webhook_secrets": WOO_SECRET,
        "generic_webhook_secrets": GENERIC_SECRET,
        "woocommerce_channel": "woo",
    }


def item(event: Any, offset: int = 0) -> Item:
    return Item(event, HandlerContext(None, [], "retail.test", 0, offset, 1, None))


def level(
    sku: str, version: int, on_hand: int, reserved: int = 0, location: str = "WH/Stock"
) -> InventoryAdjusted:
    """An inventory_adjusted of ``sku`` at ``location`` at ``version``."""
    example = next(e for e in example_events() if isinstance(e, InventoryAdjusted))
    envelope = InventoryAdjusted.new_envelope(
        source=ODOO,
        source_ref=f"stock.quant/{sku}@{location}",
        occurred_at=AT,
        source_version=version,
    )
    return example.model_copy(
        update={
            "envelope": envelope,
            "sku": sku,
            "location": location,
            "on_hand": Decimal(on_hand),
            "reserved": Decimal(reserved),
            "available": Decimal(on_hand - reserved),
        }
    )


def shipment(
    order_ref: str,
    lines: dict[str, int],
    tracking: str | None = "EX123456789DE",
    line_refs: dict[str, str] | None = None,
) -> ShipmentDispatched:
    """A shipment of ``lines`` (quantity by SKU); ``line_refs`` names the channel's line of
    a SKU, else a line goes by its SKU alone."""
    example = next(e for e in example_events() if isinstance(e, ShipmentDispatched))
    envelope = ShipmentDispatched.new_envelope(
        source=ODOO,
        source_ref=f"stock.picking/{order_ref}/{tracking}",
        occurred_at=AT,
        source_version=1,
    )
    return example.model_copy(
        update={
            "envelope": envelope,
            "order_ref": order_ref,
            "tracking_number": tracking,
            "lines": tuple(
                ShippedLine(sku=sku, quantity=Decimal(n), line_ref=(line_refs or {}).get(sku))
                for sku, n in lines.items()
            ),
        }
    )


def cancellation(
    order_ref: str, source: Source = ODOO, reason: CancelReason = CancelReason.UNKNOWN
) -> OrderCancelled:
    """An order_cancelled of ``order_ref`` as ``source`` publishes it: by default as Odoo's
    change capture does (no reason kept, restocking in Odoo)."""
    envelope = OrderCancelled.new_envelope(
        source=source, source_ref=f"cancel/{order_ref}", occurred_at=AT, source_version=2
    )
    return OrderCancelled(envelope=envelope, order_ref=order_ref, reason=reason, restock=True)


def returned(
    order_ref: str,
    lines: dict[str, tuple[int, str]],
    return_ref: str = "WH/IN/00007",
    line_refs: dict[str, str] | None = None,
) -> ReturnReceived:
    """A return of ``lines`` (SKU -> quantity received and what is due for them, tax
    included); ``line_refs`` names the line of a SKU, else a line goes by its SKU alone."""
    example = next(e for e in example_events() if isinstance(e, ReturnReceived))
    envelope = ReturnReceived.new_envelope(
        source=ODOO, source_ref=f"stock.picking/{return_ref}", occurred_at=AT, source_version=1
    )
    received = tuple(
        example.lines[0].model_copy(
            update={
                "sku": sku,
                "quantity": Decimal(quantity),
                "amount": Decimal(amount),
                "line_ref": (line_refs or {}).get(sku),
            }
        )
        for sku, (quantity, amount) in lines.items()
    )
    return example.model_copy(
        update={
            "envelope": envelope,
            "order_ref": order_ref,
            "return_ref": return_ref,
            "lines": received,
            "refund_total": sum((line.amount for line in received), Decimal(0)),
        }
    )


def in_memory_client(
    shop: SandboxStorefront, sleep: Callable[[float], None] = lambda _s: None
) -> StorefrontClient:
    """A client answered by the sandbox's GraphQL executor in process: no sockets."""

    def answer(request: httpx.Request) -> httpx.Response:
        if request.headers.get("x-shopify-access-token") != shop.access_token:
            return httpx.Response(401, json={"errors": "[API] Invalid API key or access token"})
        if shop.faults.status is not None:
            return httpx.Response(int(shop.faults.status), text=shop.faults.status.phrase)
        payload = json.loads(request.content)
        return httpx.Response(
            200,
            json=execute(shop.store, shop.bucket, payload["query"], payload.get("variables") or {}),
        )

    http = httpx.Client(
        base_url="http://storefront.invalid/admin/api/2025-01/",
        headers={"X-Shopify-Access-Token": shop.access_token},
        transport=httpx.MockTransport(answer),
    )
    return StorefrontClient(http, sleep=sleep)


# A pipeline's topology for the commerce tests: make_pipeline(..., template=COMMERCE_TOPOLOGY)
COMMERCE_TOPOLOGY = """
namespace: NS
defaults: {partitions: 3}
topics:
  NS.orders: {}
  NS.customers: {}
  NS.inventory: {}
  NS.shipments: {}
  NS.returns: {}
events:
  order_created: {topic: NS.orders, key: "{order_ref}"}
  order_edited: {topic: NS.orders, key: "{order_ref}"}
  order_cancelled: {topic: NS.orders, key: "{order_ref}"}
  order_risk_assessed: {topic: NS.orders, key: "{order_ref}"}
  order_allocated: {topic: NS.orders, key: "{order_ref}"}
  order_invoiced: {topic: NS.orders, key: "{order_ref}"}
  payment_authorized: {topic: NS.orders, key: "{order_ref}"}
  payment_captured: {topic: NS.orders, key: "{order_ref}"}
  refund_issued: {topic: NS.orders, key: "{order_ref}"}
  customer_upserted: {topic: NS.customers, key: "{customer_ref}"}
  inventory_adjusted: {topic: NS.inventory, key: "{sku}@{location}"}
  shipment_dispatched: {topic: NS.shipments, key: "{order_ref}"}
  return_received: {topic: NS.returns, key: "{order_ref}"}
consumers:
  GROUP-inventory:
    subscriptions: [NS.inventory]
    retry: {in_process_attempts: 2, delays: [1s], ordering: none}
  GROUP-fulfillment:
    subscriptions: [NS.shipments, NS.returns, NS.orders]
    retry: {in_process_attempts: 2, delays: [1s], ordering: key}
  GROUP-customers:
    subscriptions: [NS.customers]
    retry: {in_process_attempts: 2, delays: [1s], ordering: key}
"""


def sfcc_channel(sfcc: SandboxSfcc, name: str = "us-site") -> Channel:
    """The channel of the sandbox SFCC site ``sfcc``, as a channels file would give it."""
    return Channel(
        name=name,
        platform="sfcc",
        source="test",
        url=sfcc.url,
        options={
            "token_url": sfcc.token_url,
            "organization_id": sfcc.organization_id,
            "site_id": sfcc.site_id,
        },
        secrets={
            "client_id": SecretStr(sfcc.client_id),
            "client_secret": SecretStr(sfcc.client_secret),
        },
    )
