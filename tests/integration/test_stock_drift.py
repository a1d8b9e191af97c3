"""Stock drift read from the systems themselves: a level changed on a channel behind the
pipeline's back is found with its key, on that channel only (Shopify, SFCC or WooCommerce),
and nothing else is reported."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from commands import app
from commands.traffic import seed_odoo
from consumers.storefront_inventory.drift import StockDifference, stock_drift
from retailsync.channels import Channel, parse_channels
from retailsync.odoo import OdooClient
from sandbox.odoo import SandboxOdoo
from sandbox.sfcc import SandboxSfcc
from sandbox.storefront import SandboxStorefront
from sandbox.woocommerce import SandboxWooCommerce
from tests.integration.harness import odoo_client_of, sandbox_odoo_client

pytestmark = pytest.mark.integration

SKUS = ("DRIFT-A", "DRIFT-B")
ON_HAND = 40
SAFETY = {"*": Decimal(2)}  # each channel offers on hand less 2
Channels = tuple[list[Channel], SandboxStorefront, SandboxSfcc, SandboxWooCommerce]


@pytest.fixture
def odoo() -> Iterator[OdooClient]:
    with sandbox_odoo_client() as client:
        seed_odoo(client, SKUS, ON_HAND)
        yield client


@pytest.fixture
def channels_file(tmp_path: Path) -> Path:
    return tmp_path / "channels.yaml"


@pytest.fixture
def channels(monkeypatch: pytest.MonkeyPatch, channels_file: Path) -> Iterator[Channels]:
    in_step = ON_HAND - 2
    with (
        SandboxStorefront.running(
            locations=["WH/Stock"], skus=list(SKUS), available=in_step
        ) as shop,
        SandboxSfcc.running() as sfcc,
        SandboxWooCommerce.running() as woo,
    ):
        for sku in SKUS:
            woo.store.add_product(sku, stock=in_step)
        woo.store.add_product("NOT-IN-ODOO")  # stock not managed: nothing to compare
        monkeypatch.setenv("DRIFT_WOO_KEY", woo.consumer_key)
        monkeypatch.setenv("DRIFT_WOO_SECRET", woo.consumer_secret)
        sfcc.store.add_inventory_list("inventory", products=SKUS)
        for sku in SKUS:
            sfcc.store.set_allocation("inventory", sku, in_step)
        monkeypatch.setenv("DRIFT_SHOP_TOKEN", shop.access_token)
        monkeypatch.setenv("DRIFT_SFCC_ID", sfcc.client_id)
        monkeypatch.setenv("DRIFT_SFCC_SECRET", sfcc.client_secret)
        text = f"""
channels:
  shop:
    platform: shopify
    url: '{shop.url}'
    access_token: {{env: DRIFT_SHOP_TOKEN}}
    locations: {{"WH/Stock": "{shop.locations["WH/Stock"]}"}}
  site:
    platform: sfcc
    url: '{sfcc.url}'
    token_url: '{sfcc.token_url}'
    ocapi_url: '{sfcc.url}'
    organization_id: {sfcc.organization_id}
    site_id: {sfcc.site_id}
    client_id: {{env: DRIFT_SFCC_ID}}
    client_secret: {{env: DRIFT_SFCC_SECRET}}
    locations: {{"WH/Stock": inventory}}
  woo:
    platform: woocommerce
    url: '{woo.url}'
    consumer_key: {{env: DRIFT_WOO_KEY}}
    consumer_secret: {{env: DRIFT_WOO_SECRET}}
    locations: {{"WH/Stock": shop}}
"""
        channels_file.write_text(text, encoding="utf-8")
        yield list(parse_channels(text, "channels.yaml")), shop, sfcc, woo


def test_channels_in_step_with_odoo_show_no_drift(odoo: OdooClient, channels: Channels) -> None:
    selling, _, _, _ = channels
    assert stock_drift(odoo, selling, SAFETY, timeout_s=5) == []


def test_a_level_changed_behind_the_pipelines_back_is_found_with_its_key(
    odoo: OdooClient, channels: Channels
) -> None:
    selling, shop, sfcc, woo = channels
    # Someone edits the shop's stock by hand, the SFCC site lost a record's update, and the
    # WooCommerce shop's stock of DRIFT-B was set by hand too.
    item = shop.store.items["DRIFT-A"]
    shop.store.levels[(item, shop.locations["WH/Stock"])]["available"] = 55
    sfcc.store.set_allocation("inventory", "DRIFT-B", 7)
    woo_b = woo.store.by_sku("DRIFT-B")
    assert woo_b is not None
    woo_b.set_stock(12)

    found = stock_drift(odoo, selling, SAFETY, timeout_s=5)

    assert found == [
        StockDifference("shop", "DRIFT-A", "WH/Stock", odoo_sellable=38, channel_available=55),
        StockDifference("site", "DRIFT-B", "WH/Stock", odoo_sellable=38, channel_available=7),
        StockDifference("woo", "DRIFT-B", "WH/Stock", odoo_sellable=38, channel_available=12),
    ]
    assert found[0].key == "DRIFT-A@WH/Stock"


def test_reconcile_stock_prints_each_difference_and_exits_1(
    channels: Channels,
    channels_file: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, shop, _, _ = channels
    item = shop.store.items["DRIFT-B"]
    shop.store.levels[(item, shop.locations["WH/Stock"])]["available"] = 3
    with SandboxOdoo.running() as sandbox:
        for name, value in {
            "RETAILSYNC_ODOO_URL": sandbox.url,
            "RETAILSYNC_ODOO_DB": sandbox.db,
            "RETAILSYNC_ODOO_API_KEY": sandbox.api_key,
            "RETAILSYNC_CHANNELS_FILE": str(channels_file),
            "RETAILSYNC_STOREFRONT_SAFETY_STOCK": '{"*": 2}',
        }.items():
            monkeypatch.setenv(name, value)
        with odoo_client_of(sandbox) as odoo:
            seed_odoo(odoo, SKUS, ON_HAND)
        drifted = CliRunner().invoke(app, ["reconcile", "stock", "--json"])
    assert drifted.exit_code == 1, drifted.output
    assert json.loads(drifted.output) == [
        {"channel": "shop", "key": "DRIFT-B@WH/Stock", "odoo_sellable": 38, "channel_available": 3}
    ]
