"""storefront-fulfillment's cancellers against the sandboxes over HTTP: an Odoo
cancellation cancels the order on Shopify (waiting for the cancellation job), WooCommerce
and SFCC once, without refund or restock; an order cancelled there already is done with;
one the channel cannot cancel is a permanent error naming the order and the reason."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from pydantic import SecretStr

from consumers.storefront_fulfillment import cancelled_in_odoo, service
from consumers.storefront_fulfillment.cancellations import (
    SfccCanceller,
    ShopifyCanceller,
    WooCommerceCanceller,
)
from retailsync.channels import Channel
from retailsync.errors import PermanentError
from retailsync.events import CancelReason
from retailsync.events.examples import SHOP
from retailsync.sfcc import SfccClient
from retailsync.storefront import StorefrontClient, StorefrontSettings
from retailsync.woocommerce import WooCommerceClient
from sandbox.sfcc import Item, SandboxSfcc, order_document
from sandbox.storefront import SandboxStorefront
from sandbox.woocommerce import SandboxWooCommerce
from tests.commerce import cancellation, item, sfcc_channel

pytestmark = pytest.mark.unit


def test_storefront_fulfillment_takes_only_odoo_cancellations() -> None:
    spec = service.handlers["order_cancelled"]
    assert spec.accepts is cancelled_in_odoo
    assert cancelled_in_odoo(cancellation("shop:1"))
    assert not cancelled_in_odoo(cancellation("shop:1", source=SHOP))


@pytest.fixture
def shop() -> Iterator[SandboxStorefront]:
    with SandboxStorefront.running(skus=["A"]) as sandbox:
        yield sandbox


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def shopify(shop: SandboxStorefront, sleeps: list[float]) -> Iterator[ShopifyCanceller]:
    with StorefrontClient.from_settings(StorefrontSettings(**shop.settings())) as client:
        yield ShopifyCanceller(client, notify_customer=False, sleep=sleeps.append)


def test_a_shopify_order_is_cancelled_once_without_refund_or_restock(
    shop: SandboxStorefront, shopify: ShopifyCanceller, sleeps: list[float]
) -> None:
    order = shop.store.place_order([("A", 2, "12.90")])
    event = cancellation(f"shop:{order.id}", reason=CancelReason.PAYMENT_DECLINED)
    assert shopify.cancel(event) is True
    assert sleeps == [0.5]  # the job was answered not done, then read back done
    assert shopify.cancel(event) is False  # a re-delivery
    assert shop.store.mutations.count("orderCancel") == 1
    assert order.cancelled_at is not None
    assert (order.cancel_reason, order.cancel_note) == (
        "DECLINED",
        "Cancelled in Odoo (retailsync)",
    )
    assert order.refunds == []


def test_a_fulfilled_shopify_order_is_a_permanent_error_naming_it(
    shop: SandboxStorefront, shopify: ShopifyCanceller
) -> None:
    order = shop.store.place_order([("A", 1, "12.90")])
    shopify.client.execute(
        "mutation F($f: FulfillmentInput!) { fulfillmentCreate(fulfillment: $f) "
        "{ fulfillment { id } userErrors { message } } }",
        {"f": {"lineItemsByFulfillmentOrder": [
            {"fulfillmentOrderId": order.fulfilment_orders[0].id}
        ]}},
    )  # fmt: skip
    failures = shopify.apply([item(cancellation(f"shop:{order.id}"))])
    assert isinstance(failures[0], PermanentError)
    assert f"shop:{order.id}" in str(failures[0]) and "fulfillment" in str(failures[0])
    assert order.cancelled_at is None and "orderCancel" not in shop.store.mutations


@pytest.fixture
def woo() -> Iterator[tuple[SandboxWooCommerce, WooCommerceCanceller]]:
    with SandboxWooCommerce.running() as sandbox:
        channel = Channel(
            name="woo", platform="woocommerce", source="test", url=sandbox.url,
            secrets={"consumer_key": SecretStr(sandbox.consumer_key),
                     "consumer_secret": SecretStr(sandbox.consumer_secret)},
        )  # fmt: skip
        with WooCommerceClient.from_channel(channel, sleep=lambda _s: None) as client:
            yield sandbox, WooCommerceCanceller(client)


def test_a_woocommerce_order_is_cancelled_once_and_a_completed_one_refused(
    woo: tuple[SandboxWooCommerce, WooCommerceCanceller],
) -> None:
    sandbox, canceller = woo
    open_order = sandbox.store.add_order([("A", 1, "4.50")])
    shipped = sandbox.store.add_order([("A", 1, "4.50")], status="completed")
    failures = canceller.apply(
        [item(cancellation(f"woo:{open_order.id}")), item(cancellation(f"woo:{open_order.id}")),
         item(cancellation(f"woo:{shipped.id}"))]
    )  # fmt: skip
    assert list(failures) == [2]
    assert f"woo:{shipped.id}" in str(failures[2]) and "completed" in str(failures[2])
    assert open_order.status_updates == ["cancelled"]
    assert shipped.status_updates == []


@pytest.fixture
def sfcc() -> Iterator[tuple[SandboxSfcc, SfccCanceller]]:
    with SandboxSfcc.running() as sandbox:
        channel = sfcc_channel(sandbox)
        with SfccClient.from_channel(channel, sleep=lambda _s: None) as client:
            yield sandbox, SfccCanceller(client)


def test_an_sfcc_order_is_cancelled_once_and_a_shipped_or_failed_one_refused(
    sfcc: tuple[SandboxSfcc, SfccCanceller],
) -> None:
    sandbox, canceller = sfcc
    items = (Item("A", 1, Decimal("9.50")),)
    placed = sandbox.add_order(order_document("00000201", items))
    shipped = sandbox.add_order(order_document("00000202", items))
    shipped.document["shippingStatus"] = "shipped"
    failed = sandbox.add_order(order_document("00000203", items))
    failed.document["status"] = "failed"
    events = ["us-site:00000201", "us-site:00000201", "us-site:00000202", "us-site:00000203"]
    failures = canceller.apply([item(cancellation(ref)) for ref in events])
    assert sorted(failures) == [2, 3]
    assert "us-site:00000202" in str(failures[2]) and "shipped" in str(failures[2])
    assert "us-site:00000203" in str(failures[3]) and "failed" in str(failures[3])
    assert placed.status_updates == ["cancelled"]  # once, the re-delivery found it cancelled
    assert (shipped.document["status"], failed.document["status"]) == ("new", "failed")


def test_a_throttled_channel_is_waited_out_not_failed(
    woo: tuple[SandboxWooCommerce, WooCommerceCanceller],
    sfcc: tuple[SandboxSfcc, SfccCanceller],
) -> None:
    woo_shop, woo_canceller = woo
    woo_order = woo_shop.store.add_order([("A", 1, "4.50")])
    woo_shop.store.throttle(2)  # the next two calls answered 429 with Retry-After
    calls = woo_shop.store.api_calls
    assert woo_canceller.apply([item(cancellation(f"woo:{woo_order.id}"))]) == {}
    assert woo_order.status_updates == ["cancelled"]
    assert woo_shop.store.api_calls - calls == 4  # two 429s, then the read and the write
    site, sfcc_canceller = sfcc
    site_order = site.add_order(order_document("00000301", (Item("A", 1, Decimal("9.50")),)))
    site.store.throttle(2, retry_after_s=1)
    calls = site.store.api_calls
    assert sfcc_canceller.apply([item(cancellation("us-site:00000301"))]) == {}
    assert site_order.status_updates == ["cancelled"]
    assert site.store.api_calls - calls == 4
