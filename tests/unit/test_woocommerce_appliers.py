"""The WooCommerce appliers against the sandbox WooCommerce on loopback (no broker)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from pydantic import SecretStr

from consumers.storefront_fulfillment.woocommerce import WooCommerceFulfillmentApplier
from consumers.storefront_inventory.woocommerce import WooCommerceInventoryApplier
from retailsync.channels import Channel
from retailsync.errors import ConfigError, PermanentError, TargetUnavailableError
from retailsync.woocommerce import WooCommerceClient, WooProduct
from sandbox.woocommerce import SandboxWooCommerce
from tests.commerce import item, level, shipment

pytestmark = pytest.mark.unit

STOCK = "WH/Stock"


@pytest.fixture
def shop() -> Iterator[SandboxWooCommerce]:
    with SandboxWooCommerce.running() as woo:
        woo.store.add_product("A", stock=0)
        woo.store.add_variable("B-PARENT", ("B",))
        yield woo


def _channel(shop: SandboxWooCommerce, locations: dict[str, str]) -> Channel:
    return Channel(
        name="woo",
        platform="woocommerce",
        source="channels.yaml",
        url=shop.url,
        locations=locations,
        secrets={
            "consumer_key": SecretStr(shop.consumer_key),
            "consumer_secret": SecretStr(shop.consumer_secret),
        },
    )


@pytest.fixture
def client(shop: SandboxWooCommerce) -> Iterator[WooCommerceClient]:
    channel = _channel(shop, {STOCK: "shop"})
    with WooCommerceClient.from_channel(channel, sleep=lambda _s: None, max_attempts=2) as woo:
        yield woo


@pytest.fixture
def inventory(shop: SandboxWooCommerce, client: WooCommerceClient) -> WooCommerceInventoryApplier:
    return WooCommerceInventoryApplier(_channel(shop, {STOCK: "shop"}), client, {"*": Decimal(1)})


def stock(shop: SandboxWooCommerce, sku: str) -> int | None:
    product = shop.store.by_sku(sku)
    assert product is not None
    return product.stock_quantity


def test_a_burst_is_coalesced_to_the_newest_level_per_sku_in_one_batch_per_kind(
    shop: SandboxWooCommerce, inventory: WooCommerceInventoryApplier
) -> None:
    burst = [item(level(sku, v, on_hand=v)) for v in range(1, 51) for sku in ("A", "B")]
    assert inventory.apply(burst) == {}
    assert (stock(shop, "A"), stock(shop, "B")) == (49, 49)  # 50 less 1 of safety stock
    # One lookup, one batch for the product, one for the variation's product.
    assert (shop.store.api_calls, shop.store.batch_calls) == (3, 2)


def test_more_than_100_skus_go_in_batches_of_100(
    shop: SandboxWooCommerce, inventory: WooCommerceInventoryApplier
) -> None:
    skus = [f"MANY-{n:03d}" for n in range(150)]
    for sku in skus:
        shop.store.add_product(sku, stock=0)
    assert inventory.apply([item(level(sku, 1, on_hand=3)) for sku in skus]) == {}
    assert {stock(shop, sku) for sku in skus} == {2}
    assert shop.store.batch_calls == 2


def test_a_stale_level_never_overwrites_a_newer_one(
    shop: SandboxWooCommerce, inventory: WooCommerceInventoryApplier
) -> None:
    inventory.apply([item(level("A", 5, on_hand=10))])
    inventory.apply([item(level("A", 4, on_hand=99))])
    assert stock(shop, "A") == 9
    assert inventory.counts.stale == 1


def test_skus_not_sold_and_other_locations_are_skipped_and_looked_up_once(
    shop: SandboxWooCommerce, inventory: WooCommerceInventoryApplier
) -> None:
    assert inventory.apply([item(level("GONE", 1, on_hand=5))]) == {}
    assert inventory.apply([item(level("GONE", 2, on_hand=5))]) == {}
    assert inventory.apply([item(level("A", 1, on_hand=5, location="WH/Other"))]) == {}
    assert (shop.store.api_calls, shop.store.batch_calls) == (1, 0)
    assert stock(shop, "A") == 0


def test_a_level_the_shop_refuses_fails_alone(
    shop: SandboxWooCommerce, inventory: WooCommerceInventoryApplier
) -> None:
    # A product removed from the shop after it was looked up: its id is refused.
    inventory.products["REMOVED"] = WooProduct(999_999, "REMOVED", 0, 1)
    failures = inventory.apply([item(level("REMOVED", 1, on_hand=3)), item(level("A", 1, 3))])
    assert list(failures) == [0] and isinstance(failures[0], PermanentError)
    assert stock(shop, "A") == 2


def test_a_shop_that_is_down_raises_for_the_runtime(
    shop: SandboxWooCommerce, inventory: WooCommerceInventoryApplier
) -> None:
    shop.faults.fail(503)
    with pytest.raises(TargetUnavailableError):
        inventory.apply([item(level("A", 1, on_hand=3))])


def test_a_channel_selling_two_locations_is_a_config_error(
    shop: SandboxWooCommerce, client: WooCommerceClient
) -> None:
    channel = _channel(shop, {STOCK: "shop", "WH/EU": "shop"})
    with pytest.raises(ConfigError, match=r"channels\.woo\.locations"):
        WooCommerceInventoryApplier(channel, client, {})


@pytest.fixture
def fulfilment(client: WooCommerceClient) -> WooCommerceFulfillmentApplier:
    return WooCommerceFulfillmentApplier(client, "woo")


def test_an_untracked_shipment_completes_the_order_without_a_note(
    shop: SandboxWooCommerce, fulfilment: WooCommerceFulfillmentApplier
) -> None:
    order = shop.store.add_order([("A", 1, "3.00")])
    assert fulfilment.fulfil(shipment(f"woo:{order.id}", {"A": 1}, tracking=None))
    assert (order.status, order.notes) == ("completed", [])
    assert not fulfilment.fulfil(shipment(f"woo:{order.id}", {"A": 1}, tracking=None))


def test_a_second_shipment_adds_its_note_to_the_completed_order(
    shop: SandboxWooCommerce, fulfilment: WooCommerceFulfillmentApplier
) -> None:
    order = shop.store.add_order([("A", 1, "3.00"), ("B", 1, "4.00")])
    fulfilment.fulfil(shipment(f"woo:{order.id}", {"A": 1}, tracking="T-1"))
    fulfilment.fulfil(shipment(f"woo:{order.id}", {"B": 1}, tracking="T-2"))
    assert ["T-1" in str(n["note"]) for n in order.notes] == [True, False]
    assert order.status_updates == ["completed"]


def test_other_channels_and_unknown_orders(
    shop: SandboxWooCommerce, fulfilment: WooCommerceFulfillmentApplier
) -> None:
    assert not fulfilment.fulfil(shipment("shopify:101", {"A": 1}))
    failures = fulfilment.apply(
        [item(shipment("woo:987654", {"A": 1})), item(shipment("woo:not-a-number", {"A": 1}))]
    )
    assert sorted(failures) == [0, 1]
    assert all(isinstance(error, PermanentError) for error in failures.values())
    assert shop.store.api_calls == 1  # the unknown order was looked up; the other refused


def test_a_shipment_of_a_cancelled_order_is_refused_and_the_order_left_alone(
    shop: SandboxWooCommerce, fulfilment: WooCommerceFulfillmentApplier
) -> None:
    order = shop.store.add_order([("A", 1, "3.00")], status="cancelled")
    with pytest.raises(PermanentError, match="cancelled"):
        fulfilment.fulfil(shipment(f"woo:{order.id}", {"A": 1}, tracking="T-9"))
    assert (order.status, order.notes) == ("cancelled", [])


def test_throttling_is_waited_out_as_retry_after_says_not_failed(shop: SandboxWooCommerce) -> None:
    waits: list[float] = []
    channel = _channel(shop, {STOCK: "shop"})
    with WooCommerceClient.from_channel(channel, sleep=waits.append) as client:
        applier = WooCommerceInventoryApplier(channel, client, {})
        shop.store.throttle(2, retry_after_s=4)
        assert applier.apply([item(level("A", 1, on_hand=6))]) == {}
    assert waits == [4.0, 4.0]
    assert stock(shop, "A") == 6
