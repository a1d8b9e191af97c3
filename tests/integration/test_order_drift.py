"""Order drift read from the systems themselves: a channel order whose Odoo order was
deleted, one Odoo holds twice, and one Odoo holds that the channel never took are each
found by ref; orders still settling, and test orders unless asked, are not judged."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from commands.drift import OrderDifference, order_drift
from retailsync.channels import Channel, parse_channels
from retailsync.odoo import OdooClient
from sandbox.sfcc import Item, SandboxSfcc, order_document
from sandbox.storefront import SandboxStorefront
from sandbox.woocommerce import SandboxWooCommerce
from tests.integration.harness import sandbox_odoo_client

pytestmark = pytest.mark.integration

LATER = datetime.now(UTC) + timedelta(hours=1)  # every order so far has settled


@pytest.fixture
def odoo() -> Iterator[OdooClient]:
    with sandbox_odoo_client() as client:
        yield client


@pytest.fixture
def systems(
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[tuple[list[Channel], SandboxStorefront, SandboxSfcc]]:
    with SandboxStorefront.running(skus=["MUG"]) as shop, SandboxSfcc.running() as sfcc:
        monkeypatch.setenv("DRIFT_SHOP_TOKEN", shop.access_token)
        monkeypatch.setenv("DRIFT_SFCC_ID", sfcc.client_id)
        monkeypatch.setenv("DRIFT_SFCC_SECRET", sfcc.client_secret)
        text = f"""
channels:
  shop: {{platform: shopify, url: '{shop.url}', access_token: {{env: DRIFT_SHOP_TOKEN}}}}
  site:
    platform: sfcc
    url: '{sfcc.url}'
    token_url: '{sfcc.token_url}'
    organization_id: {sfcc.organization_id}
    site_id: {sfcc.site_id}
    client_id: {{env: DRIFT_SFCC_ID}}
    client_secret: {{env: DRIFT_SFCC_SECRET}}
"""
        yield list(parse_channels(text, "channels.yaml")), shop, sfcc


def odoo_orders(odoo: OdooClient, *refs: str) -> list[int]:
    [partner] = odoo.create("res.partner", [{"name": "Drift customer"}])
    return odoo.create("sale.order", [{"partner_id": partner, "client_order_ref": r} for r in refs])


def sfcc_order(sfcc: SandboxSfcc, number: str, status: str) -> None:
    stored = sfcc.add_order(order_document(number, (Item("MUG", 1, Decimal("9.90")),)))
    sfcc.store.set_export_status(stored, status)


def test_channel_orders_each_in_odoo_once_show_no_drift(
    odoo: OdooClient, systems: tuple[list[Channel], SandboxStorefront, SandboxSfcc]
) -> None:
    channels, shop, sfcc = systems
    placed = shop.store.place_order([("MUG", 1, "9.90")])
    sfcc_order(sfcc, "00000001", "exported")
    sfcc_order(sfcc, "00000002", "ready")  # not taken yet: Odoo need not have it
    odoo_orders(odoo, f"shop:{placed.id}", "site:00000001")

    assert order_drift(odoo, channels, settled_before=LATER, include_test=True, timeout_s=5) == []


def test_a_deleted_a_doubled_and_a_foreign_order_are_found_by_ref(
    odoo: OdooClient, systems: tuple[list[Channel], SandboxStorefront, SandboxSfcc]
) -> None:
    channels, shop, sfcc = systems
    kept, deleted = (shop.store.place_order([("MUG", 1, "9.90")]) for _ in range(2))
    sfcc_order(sfcc, "00000001", "exported")
    doomed, *_ = odoo_orders(
        odoo, f"shop:{deleted.id}", f"shop:{kept.id}", "site:00000001", "site:00000001", "site:9"
    )
    odoo.call("sale.order", "unlink", [doomed])  # someone deletes an order in Odoo

    found = order_drift(odoo, channels, settled_before=LATER, include_test=True, timeout_s=5)

    assert found == [
        OrderDifference(f"shop:{deleted.id}", on_channel=True, in_odoo=0),
        OrderDifference("site:00000001", on_channel=True, in_odoo=2),
        OrderDifference("site:9", on_channel=False, in_odoo=1),
    ]
    assert [d.problem for d in found] == [
        "not in Odoo",
        "in Odoo 2 times",
        "in Odoo, not on the channel",
    ]


def test_orders_still_settling_and_skipped_test_orders_are_not_judged(
    odoo: OdooClient, systems: tuple[list[Channel], SandboxStorefront, SandboxSfcc]
) -> None:
    channels, shop, _ = systems
    placed = shop.store.place_order([("MUG", 1, "9.90")])  # a test order, not in Odoo
    just_now = datetime.now(UTC) - timedelta(minutes=5)

    settling = order_drift(odoo, channels, settled_before=just_now, include_test=True, timeout_s=5)
    skipped = order_drift(odoo, channels, settled_before=LATER, include_test=False, timeout_s=5)
    judged = order_drift(odoo, channels, settled_before=LATER, include_test=True, timeout_s=5)

    assert settling == [] and skipped == []
    assert judged == [OrderDifference(f"shop:{placed.id}", on_channel=True, in_odoo=0)]


def test_a_woocommerce_shop_s_orders_are_judged_from_its_order_list(
    odoo: OdooClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    with SandboxWooCommerce.running() as woo:
        monkeypatch.setenv("DRIFT_WOO_KEY", woo.consumer_key)
        monkeypatch.setenv("DRIFT_WOO_SECRET", woo.consumer_secret)
        channels = list(
            parse_channels(
                f"""
channels:
  woo:
    platform: woocommerce
    url: '{woo.url}'
    consumer_key: {{env: DRIFT_WOO_KEY}}
    consumer_secret: {{env: DRIFT_WOO_SECRET}}
""",
                "channels.yaml",
            )
        )
        # More orders than a page of the REST API holds: the list is read page by page.
        taken = [woo.store.add_order([("MUG", 1, "9.90")]) for _ in range(101)]
        lost = woo.store.add_order([("MUG", 2, "9.90")])
        woo.store.add_order([("MUG", 1, "9.90")], status="checkout-draft")  # not an order yet
        odoo_orders(odoo, *(f"woo:{order.id}" for order in taken), "woo:9")

        found = order_drift(odoo, channels, settled_before=LATER, include_test=False, timeout_s=5)

    assert found == [
        OrderDifference(f"woo:{lost.id}", on_channel=True, in_odoo=0),
        OrderDifference("woo:9", on_channel=False, in_odoo=1),
    ]
