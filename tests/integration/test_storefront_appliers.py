"""The storefront appliers on the real broker: inventory_adjusted and shipment_dispatched
events -> the sandbox storefront's state, exactly once, stale versions ignored."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient

from consumers.storefront_fulfillment.applier import FulfillmentApplier
from consumers.storefront_inventory.applier import InventoryApplier
from retailsync.consumer import ConsumerService
from retailsync.events import Event
from retailsync.publisher import Publisher
from retailsync.settings import Settings
from retailsync.storefront import TARGET, StorefrontClient, StorefrontSettings
from sandbox.storefront import SandboxStorefront
from tests.commerce import COMMERCE_TOPOLOGY, level, shipment
from tests.integration.harness import Pipeline, make_pipeline

pytestmark = pytest.mark.integration

STOCK = "WH/Stock"


@pytest.fixture
def pipeline(kafka_settings: Settings, admin: AdminClient, unique: str) -> Pipeline:
    return make_pipeline(kafka_settings, admin, unique, template=COMMERCE_TOPOLOGY)


@pytest.fixture
def shop() -> Iterator[SandboxStorefront]:
    with SandboxStorefront.running(locations=[STOCK], skus=["A", "B", "C"]) as storefront:
        yield storefront


@pytest.fixture
def client(shop: SandboxStorefront) -> Iterator[StorefrontClient]:
    with StorefrontClient.from_settings(StorefrontSettings(**shop.settings())) as storefront:
        yield storefront


def committed(pipeline: Pipeline, group: str, topic: str) -> int:
    """What ``group`` committed of ``topic``; 0 while its coordinator is not elected yet."""
    try:
        return pipeline.committed(group, topic)
    except KafkaException:
        return 0


def publish(pipeline: Pipeline, *events: Event) -> None:
    with Publisher(pipeline.settings, pipeline.topology, pipeline.serde) as publisher:
        for event in events:
            publisher.publish(event)


def group(pipeline: Pipeline, suffix: str) -> str:
    return next(name for name in pipeline.topology.consumers if name.endswith(suffix))


def source(pipeline: Pipeline, name: str) -> str:
    return next(topic for topic in pipeline.topology.topics if topic.endswith(f".{name}"))


def test_stock_levels_reach_the_storefront_newest_only(
    pipeline: Pipeline, shop: SandboxStorefront, client: StorefrontClient
) -> None:
    applier = InventoryApplier(client, shop.locations, {"*": Decimal(1)})
    service = ConsumerService(group(pipeline, "-inventory"))
    service.batch_handler("inventory_adjusted", target=TARGET, max_items=200)(applier.apply)
    burst = [level("A", v, on_hand=v) for v in range(1, 101)]
    burst += [level("B", 7, on_hand=8), level("B", 3, on_hand=90), level("C", 2, on_hand=4)]
    publish(pipeline, *burst)
    inventory = source(pipeline, "inventory")
    with pipeline.running(service):
        pipeline.wait(lambda: committed(pipeline, service.name, inventory) == 103, what="the burst")
        publish(pipeline, level("A", 50, on_hand=500))  # a retried, older level comes late
        pipeline.wait(
            lambda: committed(pipeline, service.name, inventory) == 104, what="the stale one"
        )
    at = shop.locations[STOCK]
    assert [shop.store.available(sku, at) for sku in "ABC"] == [99, 7, 3]
    assert applier.counts.received == 104
    assert applier.counts.sent < 20  # coalesced: far fewer quantities sent than levels read
    assert applier.counts.stale >= 1


def test_a_shipment_is_fulfilled_once_even_when_redelivered(
    pipeline: Pipeline, shop: SandboxStorefront, client: StorefrontClient
) -> None:
    applier = FulfillmentApplier(client, "shopify", notify_customer=False)
    service = ConsumerService(group(pipeline, "-fulfillment"))
    service.batch_handler("shipment_dispatched", target=TARGET, max_items=50)(applier.apply)
    first = shop.store.place_order([("A", 2, "12.90"), ("B", 1, "5.00")])
    second = shop.store.place_order([("C", 1, "3.00")])
    dispatched = shipment(f"shopify:{first.id}", {"A": 2, "B": 1})
    # The same event twice (a producer's retry), and the second order's shipment.
    publish(pipeline, dispatched, dispatched, shipment(f"shopify:{second.id}", {"C": 1}, "EX2"))
    shipments = source(pipeline, "shipments")
    with pipeline.running(service):
        pipeline.wait(lambda: committed(pipeline, service.name, shipments) == 3, what="3 shipments")
    assert [len(shop.store.fulfilments(order)) for order in (first, second)] == [1, 1]
    (created,) = shop.store.fulfilments(first)
    assert created.tracking[0]["number"] == "EX123456789DE"
    assert all(fo.status == "CLOSED" for fo in first.fulfilment_orders)
