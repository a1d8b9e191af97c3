"""The storefront appliers against the sandbox storefront, in process (no sockets)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from consumers.storefront_fulfillment import service as fulfillment_service
from consumers.storefront_fulfillment.applier import FulfillmentApplier
from consumers.storefront_inventory import service as inventory_service
from consumers.storefront_inventory.applier import InventoryApplier
from consumers.storefront_inventory.levels import available
from retailsync.errors import ConfigError, PermanentError, TargetUnavailableError
from retailsync.storefront import StorefrontClient, StorefrontSettings, StorefrontUserError
from sandbox.storefront import LeakyBucket, SandboxStorefront
from tests.commerce import in_memory_client, item, level, shipment

pytestmark = pytest.mark.unit

STOCK = "WH/Stock"


@pytest.fixture
def shop() -> SandboxStorefront:
    return SandboxStorefront(locations=[STOCK, "Shop/Stock"], skus=["A", "B", "C"])


@pytest.fixture
def waits() -> list[float]:
    return []


@pytest.fixture
def inventory(shop: SandboxStorefront, waits: list[float]) -> InventoryApplier:
    locations = {STOCK: shop.locations[STOCK], "Shop/Stock": shop.locations["Shop/Stock"]}
    return InventoryApplier(
        in_memory_client(shop, waits.append), locations, {"*": Decimal(1), "Shop/Stock": Decimal(0)}
    )


def on_shelf(shop: SandboxStorefront, sku: str, location: str = STOCK) -> int:
    return shop.store.available(sku, shop.locations[location])


def test_the_services_are_named_after_their_groups_and_batch() -> None:
    assert inventory_service.name == "storefront-inventory"
    assert fulfillment_service.name == "storefront-fulfillment"
    assert inventory_service.handlers["inventory_adjusted"].batch
    assert fulfillment_service.handlers["shipment_dispatched"].target == "storefront"


def test_available_is_on_hand_less_reserved_less_safety_stock_never_negative() -> None:
    safety = {"*": Decimal(2), "Shop/Stock": Decimal(0)}
    assert available(level("A", 1, on_hand=10, reserved=3), safety) == 5
    assert available(level("A", 1, on_hand=10, reserved=3, location="Shop/Stock"), safety) == 7
    assert available(level("A", 1, on_hand=2, reserved=3), safety) == 0
    assert available(level("A", 1, on_hand=10, reserved=3), {}) == 7


def test_a_burst_is_coalesced_to_the_newest_level_per_key_in_one_mutation(
    shop: SandboxStorefront, inventory: InventoryApplier
) -> None:
    burst = [level("A", v, on_hand=v) for v in (3, 5, 4)] + [level("B", 1, on_hand=9)]
    burst.append(level("A", 2, on_hand=50, location="Shop/Stock"))
    assert inventory.apply([item(event, n) for n, event in enumerate(burst)]) == {}
    assert (on_shelf(shop, "A"), on_shelf(shop, "B"), on_shelf(shop, "A", "Shop/Stock")) == (
        4,
        8,
        50,
    )
    assert shop.store.mutations == ["inventorySetQuantities"]
    assert (inventory.counts.received, inventory.counts.sent) == (5, 3)


def test_a_stale_version_never_overwrites_a_newer_one(
    shop: SandboxStorefront, inventory: InventoryApplier
) -> None:
    inventory.apply([item(level("A", 10, on_hand=11))])
    assert inventory.apply([item(level("A", 9, on_hand=99))]) == {}
    assert on_shelf(shop, "A") == 10
    assert inventory.counts.stale == 1
    inventory.apply([item(level("A", 10, on_hand=11))])  # the same version again is harmless
    inventory.apply([item(level("A", 11, on_hand=6))])
    assert on_shelf(shop, "A") == 5


def test_skus_not_sold_and_locations_not_mapped_are_skipped(
    shop: SandboxStorefront, inventory: InventoryApplier
) -> None:
    events = [level("NOT-SOLD", 1, on_hand=5), level("A", 1, on_hand=5, location="Elsewhere")]
    assert inventory.apply([item(e) for e in events]) == {}
    assert shop.store.mutations == []


def test_item_ids_are_looked_up_once(shop: SandboxStorefront, inventory: InventoryApplier) -> None:
    first = inventory.items.ids(["A", "NOT-SOLD"])
    shop.store.items["A"] = "gid://shopify/InventoryItem/moved"
    assert inventory.items.ids(["A", "NOT-SOLD"]) == first
    assert first["NOT-SOLD"] is None


def test_throttling_is_waited_out_not_failed(
    shop: SandboxStorefront, inventory: InventoryApplier, waits: list[float]
) -> None:
    shop.bucket = LeakyBucket(60, 1000)  # refills within the fake waits' real time
    replies = [inventory.apply([item(level("C", v, on_hand=v))]) for v in range(1, 12)]
    assert replies == [{}] * 11
    assert on_shelf(shop, "C") == 10
    assert waits  # THROTTLED answers were waited for, per throttleStatus


def test_a_refused_quantity_fails_alone_and_the_rest_is_applied(
    shop: SandboxStorefront, inventory: InventoryApplier
) -> None:
    inventory.locations = {**inventory.locations, "Gone": "gid://shopify/Location/404"}
    events = [level("A", 1, on_hand=5, location="Gone"), level("B", 1, on_hand=8)]
    failures = inventory.apply([item(e, n) for n, e in enumerate(events)])
    assert list(failures) == [0] and isinstance(failures[0], StorefrontUserError)
    assert isinstance(failures[0], PermanentError)
    assert on_shelf(shop, "B") == 7


def test_a_storefront_that_is_down_or_failing_raises_for_the_runtime(
    shop: SandboxStorefront, inventory: InventoryApplier
) -> None:
    shop.faults.fail(503)
    with pytest.raises(TargetUnavailableError):
        inventory.apply([item(level("A", 1, on_hand=5))])


def test_the_client_needs_a_url_and_a_token() -> None:
    with pytest.raises(ConfigError, match="STOREFRONT_URL"):
        StorefrontClient.from_settings(StorefrontSettings())
    with pytest.raises(ConfigError, match="ACCESS_TOKEN"):
        StorefrontClient.from_settings(StorefrontSettings(storefront_url="http://127.0.0.1:1"))


@pytest.fixture
def fulfilment(shop: SandboxStorefront) -> FulfillmentApplier:
    return FulfillmentApplier(in_memory_client(shop), "shopify")


def test_a_shipment_becomes_one_fulfilment_with_tracking(
    shop: SandboxStorefront, fulfilment: FulfillmentApplier
) -> None:
    order = shop.store.place_order([("A", 2, "12.90"), ("B", 1, "5.00")])
    dispatched = shipment(f"shopify:{order.id}", {"A": 2, "B": 1})
    assert fulfilment.apply([item(dispatched)]) == {}
    assert fulfilment.apply([item(dispatched)]) == {}  # re-delivered: found by tracking number
    (created,) = shop.store.fulfilments(order)
    assert created.tracking == [
        {"company": "Example Parcel", "number": "EX123456789DE",
         "url": "https://tracking.example.com/EX123456789DE"}
    ]  # fmt: skip


def test_partial_shipments_and_untracked_redeliveries(
    shop: SandboxStorefront, fulfilment: FulfillmentApplier
) -> None:
    order = shop.store.place_order([("A", 3, "1.00")])
    first = shipment(f"shopify:{order.id}", {"A": 1}, tracking=None)
    second = shipment(f"shopify:{order.id}", {"A": 2}, tracking="EX2")
    assert fulfilment.fulfil(first) is not None
    assert fulfilment.fulfil(second) is not None
    assert fulfilment.fulfil(first) is None  # nothing open is left for it
    assert len(shop.store.fulfilments(order)) == 2
    assert order.fulfilment_orders[0].status == "CLOSED"


def test_a_shipped_line_is_fulfilled_on_the_line_item_its_channel_ref_names(
    shop: SandboxStorefront, fulfilment: FulfillmentApplier
) -> None:
    # Two line items of one SKU (the second a free gift): the ref says which one shipped.
    order = shop.store.place_order([("A", 1, "9.00"), ("A", 1, "0.00")])
    gift = order.lines[1]
    assert fulfilment.fulfil(
        shipment(f"shopify:{order.id}", {"A": 1}, line_refs={"A": str(gift.id)})
    )
    [paid, free] = order.fulfilment_orders[0].lines
    assert (paid.remaining, free.remaining) == (1, 0)
    # Without a ref, the SKU is enough: the other one goes.
    assert fulfilment.fulfil(shipment(f"shopify:{order.id}", {"A": 1}, tracking="EX2"))
    assert paid.remaining == 0


def test_a_line_ref_the_order_does_not_have_falls_back_to_the_sku(
    shop: SandboxStorefront, fulfilment: FulfillmentApplier
) -> None:
    order = shop.store.place_order([("A", 2, "1.00")])
    stray = shipment(f"shopify:{order.id}", {"A": 2}, line_refs={"A": "no-such-line"})
    assert fulfilment.fulfil(stray) is not None
    assert order.fulfilment_orders[0].lines[0].remaining == 0


def test_a_v1_shipment_s_line_ref_is_odoo_s_and_goes_by_sku(
    shop: SandboxStorefront, fulfilment: FulfillmentApplier
) -> None:
    order = shop.store.place_order([("A", 1, "9.00"), ("A", 1, "0.00")])
    # An Odoo line id that happens to be the second line item's id: v1 did not mean it.
    v2 = shipment(f"shopify:{order.id}", {"A": 1}, line_refs={"A": str(order.lines[1].id)})
    v1 = v2.model_copy(update={"envelope": v2.envelope.model_copy(update={"schema_version": 1})})
    assert fulfilment.fulfil(v1) is not None
    [first, second] = order.fulfilment_orders[0].lines
    assert (first.remaining, second.remaining) == (0, 1)


def test_other_channels_orders_are_not_this_storefronts(
    shop: SandboxStorefront, fulfilment: FulfillmentApplier
) -> None:
    assert fulfilment.fulfil(shipment("woo:727", {"A": 1})) is None
    assert shop.store.mutations == []


def test_an_unknown_order_fails_permanently_and_an_outage_fails_the_rest(
    shop: SandboxStorefront, fulfilment: FulfillmentApplier
) -> None:
    order = shop.store.place_order([("A", 1, "1.00")])
    failures = fulfilment.apply(
        [item(shipment("shopify:1", {"A": 1})), item(shipment(f"shopify:{order.id}", {"A": 1}))]
    )
    assert list(failures) == [0] and isinstance(failures[0], PermanentError)
    shop.faults.fail(503)
    batch = [item(shipment(f"shopify:{order.id}", {"A": 1}, tracking=f"T{n}")) for n in range(3)]
    failures = fulfilment.apply(batch)
    assert sorted(failures) == [0, 1, 2]
    assert all(isinstance(f, TargetUnavailableError) for f in failures.values())
