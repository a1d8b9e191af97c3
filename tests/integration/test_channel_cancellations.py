"""storefront-fulfillment's cancellations on the real broker: an order cancelled in Odoo is
cancelled on the channel it came from (a Shopify shop, a WooCommerce shop, an SFCC site)
exactly once, re-deliveries included; a cancellation the channel published itself is not
echoed back to it; a fulfilled order's cancellation is a dead letter naming the reason."""

from __future__ import annotations

from decimal import Decimal

import pytest
from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient

from consumers.storefront_fulfillment import cancelled_in_odoo
from consumers.storefront_fulfillment.applier import CREATE_FULFILMENT
from consumers.storefront_fulfillment.channels import ByChannel
from consumers.storefront_fulfillment.settings import FulfillmentSettings
from retailsync.channels import parse_channels
from retailsync.consumer import ConsumerService
from retailsync.events.examples import SHOP
from retailsync.headers import ERROR_MESSAGE
from retailsync.publisher import Publisher
from retailsync.settings import Settings
from retailsync.storefront import TARGET, StorefrontClient, StorefrontSettings
from sandbox.sfcc import Item, SandboxSfcc, order_document
from sandbox.storefront import SandboxStorefront
from sandbox.storefront.store import Order
from sandbox.woocommerce import SandboxWooCommerce
from tests.commerce import COMMERCE_TOPOLOGY, cancellation
from tests.integration.harness import Pipeline, make_pipeline

pytestmark = pytest.mark.integration


@pytest.fixture
def pipeline(kafka_settings: Settings, admin: AdminClient, unique: str) -> Pipeline:
    return make_pipeline(kafka_settings, admin, unique, template=COMMERCE_TOPOLOGY)


def test_odoo_cancellations_reach_each_channel_once_and_the_channels_own_are_not_echoed(
    pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    with (
        SandboxStorefront.running(skus=["A"]) as shop,
        SandboxWooCommerce.running() as woo,
        SandboxSfcc.running() as sfcc,
    ):
        monkeypatch.setenv("TEST_SHOP_TOKEN", shop.access_token)
        monkeypatch.setenv("TEST_WOO_KEY", woo.consumer_key)
        monkeypatch.setenv("TEST_WOO_SECRET", woo.consumer_secret)
        monkeypatch.setenv("TEST_SFCC_ID", sfcc.client_id)
        monkeypatch.setenv("TEST_SFCC_SECRET", sfcc.client_secret)
        channels = parse_channels(
            f"""
channels:
  shop: {{platform: shopify, url: '{shop.url}', access_token: {{env: TEST_SHOP_TOKEN}}}}
  woo:
    platform: woocommerce
    url: '{woo.url}'
    consumer_key: {{env: TEST_WOO_KEY}}
    consumer_secret: {{env: TEST_WOO_SECRET}}
  site:
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
        cancellers = ByChannel.cancellations_of_channels(
            channels, StorefrontSettings(), FulfillmentSettings(storefront_notify_customer=False)
        )
        shop_order = shop.store.place_order([("A", 2, "12.90")])
        cancelled_by_shop = shop.store.place_order([("A", 1, "12.90")])
        fulfilled = shop.store.place_order([("A", 1, "12.90")])
        woo_order = woo.store.add_order([("A", 1, "4.50")])
        site_order = sfcc.add_order(order_document("00000901", (Item("A", 1, Decimal("9.50")),)))
        _fulfil(shop, fulfilled)  # shipped before Odoo's cancellation
        group = next(name for name in pipeline.topology.consumers if name.endswith("-fulfillment"))
        orders = next(t for t in pipeline.topology.topics if t.endswith(".orders"))
        service = ConsumerService(group)
        service.batch_handler("order_cancelled", target=TARGET, accepts=cancelled_in_odoo)(
            cancellers.apply
        )
        odoo_cancellations = [
            cancellation(f"shop:{shop_order.id}"),
            cancellation(f"woo:{woo_order.id}"),
            cancellation("site:00000901"),
        ]
        with Publisher(pipeline.settings, pipeline.topology, pipeline.serde) as publisher:
            for event in odoo_cancellations:
                publisher.publish(event)
            # The shop's own cancellation, as its webhook published it: already done there.
            publisher.publish(cancellation(f"shop:{cancelled_by_shop.id}", source=SHOP))
            publisher.publish(cancellation(f"shop:{fulfilled.id}"))
        try:
            with pipeline.running(service):
                pipeline.wait(
                    lambda: _committed(pipeline, group, orders) == 5, what="5 cancellations"
                )
                with Publisher(pipeline.settings, pipeline.topology, pipeline.serde) as publisher:
                    for event in odoo_cancellations:  # re-delivered, as after a crash
                        publisher.publish(event)
                pipeline.wait(
                    lambda: _committed(pipeline, group, orders) == 8, what="the re-deliveries"
                )
        finally:
            cancellers.close()

        assert shop_order.cancelled_at is not None and shop_order.refunds == []
        assert shop.store.mutations.count("orderCancel") == 1  # once, and only Odoo's
        assert cancelled_by_shop.cancelled_at is None  # not echoed back to the shop
        assert fulfilled.cancelled_at is None
        assert woo_order.status == "cancelled" and woo_order.status_updates == ["cancelled"]
        assert site_order.status_updates == ["cancelled"]

    [dead] = pipeline.records(f"{orders}.{group}.dlt", expect=1)
    assert dead.key == f"shop:{fulfilled.id}".encode()
    message = dict(dead.headers)[ERROR_MESSAGE].decode()
    assert f"shop:{fulfilled.id}" in message and "fulfillment" in message


def _fulfil(shop: SandboxStorefront, order: Order) -> None:
    """The whole order fulfilled on the shop, as its warehouse app would."""
    lines = [{"fulfillmentOrderId": fo.id} for fo in order.fulfilment_orders]
    with StorefrontClient.from_settings(StorefrontSettings(**shop.settings())) as client:
        created = client.execute(CREATE_FULFILMENT, {"fulfillment": {
            "lineItemsByFulfillmentOrder": lines, "notifyCustomer": False,
        }})["fulfillmentCreate"]  # fmt: skip
    assert created["userErrors"] == []


def _committed(pipeline: Pipeline, group: str, topic: str) -> int:
    try:
        return pipeline.committed(group, topic)
    except KafkaException:  # the group's coordinator is not elected yet
        return 0
