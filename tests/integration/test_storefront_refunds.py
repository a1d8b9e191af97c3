"""storefront-fulfillment's refunds on the real broker: a return Odoo received becomes the
refund of exactly the received lines on the order's Shopify channel; a re-delivered return
refunds nothing more; a line the merchant refunded in Shopify is not refunded again; a
return of a WooCommerce channel's order is a dead letter naming the platform."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient

from consumers.storefront_fulfillment.channels import ByChannel
from consumers.storefront_fulfillment.refunds import CREATE_REFUND, refund_note
from consumers.storefront_fulfillment.settings import FulfillmentSettings
from retailsync.channels import parse_channels
from retailsync.consumer import ConsumerService
from retailsync.headers import ERROR_MESSAGE
from retailsync.publisher import Publisher
from retailsync.settings import Settings
from retailsync.storefront import TARGET, StorefrontClient, StorefrontSettings
from sandbox.storefront import SandboxStorefront
from tests.commerce import COMMERCE_TOPOLOGY, returned
from tests.integration.harness import Pipeline, make_pipeline

pytestmark = pytest.mark.integration


@pytest.fixture
def pipeline(kafka_settings: Settings, admin: AdminClient, unique: str) -> Pipeline:
    return make_pipeline(kafka_settings, admin, unique, template=COMMERCE_TOPOLOGY)


@pytest.fixture
def shop() -> Iterator[SandboxStorefront]:
    with SandboxStorefront.running(skus=["A", "B"]) as storefront:
        yield storefront


def _committed(pipeline: Pipeline, group: str, topic: str) -> int:
    try:
        return pipeline.committed(group, topic)
    except KafkaException:  # the group's coordinator is not elected yet
        return 0


def test_a_received_return_is_refunded_once_and_only_for_what_is_not_refunded_yet(
    pipeline: Pipeline, shop: SandboxStorefront, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEST_EU_TOKEN", shop.access_token)
    monkeypatch.setenv("TEST_WOO_KEY", "ck_not_a_secret")
    monkeypatch.setenv("TEST_WOO_SECRET", "cs_not_a_secret")
    channels = parse_channels(
        f"""
channels:
  eu-shop: {{platform: shopify, url: '{shop.url}', access_token: {{env: TEST_EU_TOKEN}}}}
  woo: {{platform: woocommerce, url: 'https://woo.invalid', consumer_key: {{env: TEST_WOO_KEY}},
         consumer_secret: {{env: TEST_WOO_SECRET}}}}
""",
        "channels.yaml",
    )
    refunds = ByChannel.refunds_of_channels(
        channels, StorefrontSettings(), FulfillmentSettings(storefront_notify_customer=False)
    )
    order = shop.store.place_order([("A", 3, "12.90"), ("B", 1, "5.00")])
    _merchant_refunds_b(shop, order.gid, f"gid://shopify/LineItem/{order.lines[1].id}")
    back = returned(
        f"eu-shop:{order.id}", {"A": (2, "25.80"), "B": (1, "5.00")}, return_ref="WH/IN/00042"
    )
    group = next(name for name in pipeline.topology.consumers if name.endswith("-fulfillment"))
    returns = next(t for t in pipeline.topology.topics if t.endswith(".returns"))
    service = ConsumerService(group)
    service.batch_handler("return_received", target=TARGET, max_items=50)(refunds.apply)
    woo = returned("woo:727", {"A": (1, "12.90")}, return_ref="WH/IN/00043")
    with Publisher(pipeline.settings, pipeline.topology, pipeline.serde) as publisher:
        publisher.publish(back)
        publisher.publish(woo)
    try:
        with pipeline.running(service):
            pipeline.wait(lambda: _committed(pipeline, group, returns) == 2, what="2 returns")
            with Publisher(pipeline.settings, pipeline.topology, pipeline.serde) as publisher:
                publisher.publish(back)  # re-delivered, as after a crash past the refund call
            pipeline.wait(lambda: _committed(pipeline, group, returns) == 3, what="the redelivery")
    finally:
        refunds.close()

    [_, ours] = order.refunds
    assert ours.note == refund_note("WH/IN/00042")
    assert [(r.line.sku, r.quantity, r.restock_type) for r in ours.lines] == [
        ("A", 2, "NO_RESTOCK")
    ]
    assert ours.amount == Decimal("25.80")  # B's 5.00 was refunded by the merchant
    assert shop.store.mutations.count("refundCreate") == 2  # the merchant's and ours
    [dead] = pipeline.records(f"{returns}.{group}.dlt", expect=1)
    assert dead.key == b"woo:727"
    message = dict(dead.headers)[ERROR_MESSAGE].decode()
    assert "woocommerce channel woo" in message


def _merchant_refunds_b(shop: SandboxStorefront, order_id: str, line_item: str) -> None:
    """B refunded in Shopify's admin before the goods came back."""
    refund = {
        "orderId": order_id,
        "note": "customer called",
        "refundLineItems": [{"lineItemId": line_item, "quantity": 1, "restockType": "NO_RESTOCK"}],
        "transactions": [
            {"orderId": order_id, "gateway": "bogus", "kind": "REFUND", "amount": "5.00"}
        ],
    }
    with StorefrontClient.from_settings(StorefrontSettings(**shop.settings())) as client:
        created = client.execute(CREATE_REFUND, {"input": refund})["refundCreate"]
    assert created["userErrors"] == []
