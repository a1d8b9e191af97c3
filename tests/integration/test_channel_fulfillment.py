"""storefront-fulfillment with a channels file, on the real broker: each shipment reaches
the channel its order came from with its tracking (a Shopify shop, an SFCC site), and two
shops of one platform are kept apart (the same order id on both is two orders); a
WooCommerce order is completed with a tracking note on the WooCommerce shop it came from,
once however often it is delivered."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient

from consumers.storefront_fulfillment.channels import ByChannel
from consumers.storefront_fulfillment.settings import FulfillmentSettings
from retailsync.channels import parse_channels
from retailsync.consumer import ConsumerService
from retailsync.publisher import Publisher
from retailsync.settings import Settings
from retailsync.storefront import TARGET, StorefrontSettings
from sandbox.sfcc import Item, SandboxSfcc, order_document
from sandbox.storefront import SandboxStorefront
from sandbox.woocommerce import SandboxWooCommerce
from tests.commerce import COMMERCE_TOPOLOGY, shipment
from tests.integration.harness import Pipeline, make_pipeline

pytestmark = pytest.mark.integration


@pytest.fixture
def pipeline(kafka_settings: Settings, admin: AdminClient, unique: str) -> Pipeline:
    return make_pipeline(kafka_settings, admin, unique, template=COMMERCE_TOPOLOGY)


@pytest.fixture
def shops() -> Iterator[tuple[SandboxStorefront, SandboxStorefront]]:
    with (
        SandboxStorefront.running(skus=["A", "B"]) as eu,
        SandboxStorefront.running(skus=["A", "B"]) as us,
    ):
        yield eu, us


def test_a_shipment_reaches_the_shop_its_order_came_from(
    pipeline: Pipeline,
    shops: tuple[SandboxStorefront, SandboxStorefront],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    eu, us = shops
    monkeypatch.setenv("TEST_EU_TOKEN", eu.access_token)
    monkeypatch.setenv("TEST_US_TOKEN", us.access_token)
    channels = parse_channels(
        f"""
channels:
  eu-shop: {{platform: shopify, url: '{eu.url}', access_token: {{env: TEST_EU_TOKEN}}}}
  us-shop: {{platform: shopify, url: '{us.url}', access_token: {{env: TEST_US_TOKEN}}}}
""",
        "channels.yaml",
    )
    by_channel = ByChannel.of_channels(
        channels, StorefrontSettings(), FulfillmentSettings(storefront_notify_customer=False)
    )
    eu_order = eu.store.place_order([("A", 2, "12.90")])
    us_order = us.store.place_order([("B", 1, "5.00")])
    assert eu_order.id == us_order.id  # one order id, two shops: two orders
    group = next(name for name in pipeline.topology.consumers if name.endswith("-fulfillment"))
    shipments = next(t for t in pipeline.topology.topics if t.endswith(".shipments"))
    service = ConsumerService(group)
    service.batch_handler("shipment_dispatched", target=TARGET, max_items=50)(by_channel.apply)
    events = [
        shipment(f"eu-shop:{eu_order.id}", {"A": 2}, "EU-TRACK-1"),
        shipment(f"us-shop:{us_order.id}", {"B": 1}, "US-TRACK-1"),
        shipment(f"elsewhere:{eu_order.id}", {"A": 2}, "NOT-OURS"),  # no such channel here
    ]
    with Publisher(pipeline.settings, pipeline.topology, pipeline.serde) as publisher:
        for event in events:
            publisher.publish(event)
    try:
        with pipeline.running(service):
            pipeline.wait(lambda: _committed(pipeline, group, shipments) == 3, what="3 shipments")
    finally:
        by_channel.close()

    (eu_fulfilment,) = eu.store.fulfilments(eu_order)
    (us_fulfilment,) = us.store.fulfilments(us_order)
    assert eu_fulfilment.tracking[0]["number"] == "EU-TRACK-1"
    assert us_fulfilment.tracking[0]["number"] == "US-TRACK-1"  # and not the EU's shipment


@pytest.fixture
def woo_shops() -> Iterator[tuple[SandboxWooCommerce, SandboxWooCommerce]]:
    with SandboxWooCommerce.running() as eu, SandboxWooCommerce.running() as us:
        yield eu, us


def test_a_shipment_of_a_woocommerce_order_completes_it_with_tracking(
    pipeline: Pipeline,
    shops: tuple[SandboxStorefront, SandboxStorefront],
    woo_shops: tuple[SandboxWooCommerce, SandboxWooCommerce],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    shop, _ = shops
    woo_eu, woo_us = woo_shops
    monkeypatch.setenv("TEST_EU_TOKEN", shop.access_token)
    monkeypatch.setenv("TEST_WOO_KEY", woo_eu.consumer_key)  # the sandboxes share it
    monkeypatch.setenv("TEST_WOO_SECRET", woo_eu.consumer_secret)
    woo = "consumer_key: {env: TEST_WOO_KEY}, consumer_secret: {env: TEST_WOO_SECRET}"
    channels = parse_channels(
        f"""
channels:
  shop: {{platform: shopify, url: '{shop.url}', access_token: {{env: TEST_EU_TOKEN}}}}
  woo-eu: {{platform: woocommerce, url: '{woo_eu.url}', {woo}}}
  woo-us: {{platform: woocommerce, url: '{woo_us.url}', {woo}}}
""",
        "channels.yaml",
    )
    by_channel = ByChannel.of_channels(channels, StorefrontSettings(), FulfillmentSettings())
    eu_order = woo_eu.store.add_order([("A", 2, "12.90")])
    us_order = woo_us.store.add_order([("B", 1, "5.00")])
    assert eu_order.id == us_order.id  # one order id, two shops: two orders
    group = next(name for name in pipeline.topology.consumers if name.endswith("-fulfillment"))
    shipments = next(t for t in pipeline.topology.topics if t.endswith(".shipments"))
    service = ConsumerService(group)
    service.batch_handler("shipment_dispatched", target=TARGET, max_items=50)(by_channel.apply)
    eu_shipment = shipment(f"woo-eu:{eu_order.id}", {"A": 2}, "EU-WOO-1")
    events = [eu_shipment, eu_shipment, shipment(f"woo-us:{us_order.id}", {"B": 1}, "US-WOO-1")]
    with Publisher(pipeline.settings, pipeline.topology, pipeline.serde) as publisher:
        for event in events:
            publisher.publish(event)
    try:
        with pipeline.running(service):
            pipeline.wait(lambda: _committed(pipeline, group, shipments) == 3, what="3 shipments")
    finally:
        by_channel.close()

    assert (eu_order.status, us_order.status) == ("completed", "completed")
    assert eu_order.status_updates == ["completed"]  # the re-delivery changed nothing
    (eu_note,) = eu_order.notes
    (us_note,) = us_order.notes
    assert eu_note["customer_note"] is True
    assert "EU-WOO-1" in str(eu_note["note"]) and eu_shipment.carrier in str(eu_note["note"])
    assert eu_shipment.tracking_url and eu_shipment.tracking_url in str(eu_note["note"])
    assert "US-WOO-1" in str(us_note["note"])  # and not the EU shop's shipment


def test_an_odoo_delivery_of_an_sfcc_order_reaches_the_site_with_tracking(
    pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    with SandboxSfcc.running() as sfcc:
        monkeypatch.setenv("TEST_SFCC_ID", sfcc.client_id)
        monkeypatch.setenv("TEST_SFCC_SECRET", sfcc.client_secret)
        channels = parse_channels(
            f"""
channels:
  us-site:
    platform: sfcc
    url: '{sfcc.url}'
    token_url: '{sfcc.token_url}'
    organization_id: {sfcc.organization_id}
    site_id: {sfcc.site_id}
    client_id: {{env: TEST_SFCC_ID}}
    client_secret: {{env: TEST_SFCC_SECRET}}
""",
            "channels.yaml",
        )
        by_channel = ByChannel.of_channels(channels, StorefrontSettings(), FulfillmentSettings())
        order = sfcc.add_order(order_document("00000777", (Item("A", 2, Decimal("9.50")),)))
        group = next(name for name in pipeline.topology.consumers if name.endswith("-fulfillment"))
        shipments = next(t for t in pipeline.topology.topics if t.endswith(".shipments"))
        service = ConsumerService(group)
        service.batch_handler("shipment_dispatched", target=TARGET, max_items=50)(by_channel.apply)
        # As Odoo's change capture publishes a delivery: the line names the SFCC item.
        delivery = shipment("us-site:00000777", {"A": 2}, "1Z999AA1", {"A": "00000777-item-1"})
        with Publisher(pipeline.settings, pipeline.topology, pipeline.serde) as publisher:
            publisher.publish(delivery)
            publisher.publish(delivery)  # delivered twice: one fulfilment event
        try:
            with pipeline.running(service):
                pipeline.wait(lambda: _committed(pipeline, group, shipments) == 2, what="2 records")
        finally:
            by_channel.close()

    (event,) = order.fulfilment_events
    assert event["type"] == "shipped"
    assert event["lineItems"] == [{"id": "00000777-item-1", "quantity": 2}]
    assert (event["trackingNumber"], event["trackingUrl"]) == ("1Z999AA1", delivery.tracking_url)
    assert order.document["shippingStatus"] == "shipped"


def _committed(pipeline: Pipeline, group: str, topic: str) -> int:
    try:
        return pipeline.committed(group, topic)
    except KafkaException:  # the group's coordinator is not elected yet
        return 0
