"""storefront-inventory with a channels file, on the real broker: one Odoo stock level
reaches every channel that sells its location (the sandbox Shopify, SFCC and WooCommerce)
with the sellable quantity, and no channel that does not; two WooCommerce shops selling
different locations each get their own location's stock."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient

from consumers.storefront_inventory.fanout import FanOut
from consumers.storefront_inventory.settings import InventorySettings
from retailsync.channels import parse_channels
from retailsync.consumer import ConsumerService
from retailsync.publisher import Publisher
from retailsync.settings import Settings
from retailsync.storefront import TARGET, StorefrontSettings
from sandbox.sfcc import SandboxSfcc
from sandbox.storefront import SandboxStorefront
from sandbox.woocommerce import SandboxWooCommerce
from sandbox.woocommerce import Store as WooStore
from tests.commerce import COMMERCE_TOPOLOGY, level
from tests.integration.harness import Pipeline, make_pipeline

pytestmark = pytest.mark.integration


@pytest.fixture
def pipeline(kafka_settings: Settings, admin: AdminClient, unique: str) -> Pipeline:
    return make_pipeline(kafka_settings, admin, unique, template=COMMERCE_TOPOLOGY)


@pytest.fixture
def shop() -> Iterator[SandboxStorefront]:
    with SandboxStorefront.running(locations=["WH/Stock"], skus=["A", "B"]) as storefront:
        yield storefront


@pytest.fixture
def sfcc() -> Iterator[SandboxSfcc]:
    with SandboxSfcc.running() as sandbox:
        sandbox.store.add_inventory_list("inventory_us", products=("A", "B"))
        sandbox.store.add_inventory_list("inventory_eu", products=("A", "B"))
        yield sandbox


@pytest.fixture
def woo_shops() -> Iterator[tuple[SandboxWooCommerce, SandboxWooCommerce]]:
    with SandboxWooCommerce.running() as us, SandboxWooCommerce.running() as eu:
        for shop in (us, eu):
            shop.store.add_product("A", stock=0)
            shop.store.add_variable("B-PARENT", ("B",))  # B is a variation on both shops
        yield us, eu


def _channels_file(
    shop: SandboxStorefront, sfcc: SandboxSfcc, woo: tuple[SandboxWooCommerce, SandboxWooCommerce]
) -> str:
    sfcc_entry = (
        f"platform: sfcc, url: '{sfcc.url}', token_url: '{sfcc.token_url}', "
        f"ocapi_url: '{sfcc.url}', organization_id: {sfcc.organization_id}, "
        "client_id: {env: TEST_SFCC_ID}, client_secret: {env: TEST_SFCC_SECRET}"
    )
    return f"""
channels:
  shop:
    platform: shopify
    url: '{shop.url}'
    access_token: {{env: TEST_SHOP_TOKEN}}
    locations: {{"WH/Stock": "{shop.locations["WH/Stock"]}"}}
  us-site: {{{sfcc_entry}, site_id: US, locations: {{"WH/Stock": inventory_us}}}}
  eu-site: {{{sfcc_entry}, site_id: EU, locations: {{"WH/EU": inventory_eu}}}}
  woo-us: {{{woo_entry(woo[0])}, locations: {{"WH/Stock": shop}}}}
  woo-eu: {{{woo_entry(woo[1])}, locations: {{"WH/EU": shop}}}}
"""


def woo_entry(shop: SandboxWooCommerce) -> str:
    return (
        f"platform: woocommerce, url: '{shop.url}', "
        "consumer_key: {env: TEST_WOO_KEY}, consumer_secret: {env: TEST_WOO_SECRET}"
    )


def test_one_stock_level_reaches_every_channel_selling_its_location(
    pipeline: Pipeline,
    shop: SandboxStorefront,
    sfcc: SandboxSfcc,
    woo_shops: tuple[SandboxWooCommerce, SandboxWooCommerce],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TEST_SHOP_TOKEN", shop.access_token)
    monkeypatch.setenv("TEST_SFCC_ID", sfcc.client_id)
    monkeypatch.setenv("TEST_SFCC_SECRET", sfcc.client_secret)
    monkeypatch.setenv("TEST_WOO_KEY", woo_shops[0].consumer_key)  # the sandboxes share it
    monkeypatch.setenv("TEST_WOO_SECRET", woo_shops[0].consumer_secret)
    channels = parse_channels(_channels_file(shop, sfcc, woo_shops), "channels.yaml")
    fan_out = FanOut.of_channels(
        channels, StorefrontSettings(), InventorySettings(storefront_safety_stock={"*": Decimal(1)})
    )
    group = next(name for name in pipeline.topology.consumers if name.endswith("-inventory"))
    inventory = next(topic for topic in pipeline.topology.topics if topic.endswith(".inventory"))
    service = ConsumerService(group)
    service.batch_handler("inventory_adjusted", target=TARGET, max_items=200)(fan_out.apply)
    levels = [
        level("A", 1, on_hand=10, reserved=2),  # sellable 10 - 2 - 1 safety = 7
        *(level("B", v, on_hand=v) for v in range(1, 21)),  # a burst: the newest wins, 19
        level("A", 1, on_hand=5, location="WH/EU"),  # only the EU site sells WH/EU: 4
    ]
    with Publisher(pipeline.settings, pipeline.topology, pipeline.serde) as publisher:
        for event in levels:
            publisher.publish(event)
    try:
        with pipeline.running(service):
            pipeline.wait(
                lambda: _committed(pipeline, group, inventory) == len(levels), what="every level"
            )
    finally:
        fan_out.close()

    at = shop.locations["WH/Stock"]
    assert (shop.store.available("A", at), shop.store.available("B", at)) == (7, 19)
    store = sfcc.store
    assert (store.allocation("inventory_us", "A"), store.allocation("inventory_us", "B")) == (
        7.0, 19.0,
    )  # fmt: skip
    assert store.allocation("inventory_eu", "A") == 4.0
    assert store.allocation("inventory_eu", "B") is None  # the EU site does not sell WH/Stock
    woo_us, woo_eu = (woo.store for woo in woo_shops)
    assert (_woo_stock(woo_us, "A"), _woo_stock(woo_us, "B")) == ((7, "instock"), (19, "instock"))
    assert _woo_stock(woo_eu, "A") == (4, "instock")  # WH/EU's level, not WH/Stock's
    assert _woo_stock(woo_eu, "B") == (0, "outofstock")  # never sent: WH/EU has no B
    assert woo_eu.batch_calls == 1  # the one level of WH/EU


def _woo_stock(store: WooStore, sku: str) -> tuple[int | None, str]:
    product = store.by_sku(sku)
    assert product is not None
    return product.stock_quantity, product.stock_status


def _committed(pipeline: Pipeline, group: str, topic: str) -> int:
    try:
        return pipeline.committed(group, topic)
    except KafkaException:  # the group's coordinator is not elected yet
        return 0
