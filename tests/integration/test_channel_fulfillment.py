"""storefront-fulfillment with a channels file, on the real broker: each shipment reaches
the channel its order came from with its tracking (a Shopify shop, an SFCC site), and two
shops of one platform are kept apart (the same order id on both is two orders)."""

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
