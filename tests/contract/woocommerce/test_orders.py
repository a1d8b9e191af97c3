"""Orders as storefront-fulfillment completes them: the status, and a note with tracking."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from retailsync.woocommerce import WooCommerceClient
from sandbox.woocommerce import SandboxWooCommerce

pytestmark = pytest.mark.contract


def test_an_order_the_shop_lacks_is_none(client: WooCommerceClient) -> None:
    assert client.order(987_654_321) is None


def test_an_unknown_order_is_a_wordpress_error(api: httpx.Client) -> None:
    reply = api.get("/orders/987654321")
    assert reply.status_code == 404
    assert reply.json()["code"] == "woocommerce_rest_shop_order_invalid_id"


def test_an_order_is_completed(client: WooCommerceClient, sandbox: SandboxWooCommerce) -> None:
    order = sandbox.store.add_order([("C-ORDER", 2, "4.50")])
    client.set_order_status(order.id, "completed")
    fetched = client.order(order.id)
    assert fetched is not None and fetched["status"] == "completed"
    assert order.status_updates == ["completed"]


def test_an_unknown_status_is_an_invalid_parameter(
    api: httpx.Client, sandbox: SandboxWooCommerce
) -> None:
    order = sandbox.store.add_order([("C-ORDER", 1, "4.50")])
    reply = api.put(f"/orders/{order.id}", json={"status": "shipped"})
    assert reply.status_code == 400
    assert reply.json()["code"] == "rest_invalid_param"


def test_a_customer_note_is_listed_newest_first(
    client: WooCommerceClient, sandbox: SandboxWooCommerce
) -> None:
    order = sandbox.store.add_order([("C-ORDER", 1, "4.50")])
    client.add_order_note(order.id, "packed", customer_note=False)
    client.add_order_note(order.id, "shipped: TRACK-1", customer_note=True)
    notes = client.order_notes(order.id)
    assert [(n["note"], n["customer_note"]) for n in notes] == [
        ("shipped: TRACK-1", True), ("packed", False),
    ]  # fmt: skip


def test_a_note_without_text_is_a_missing_parameter(
    api: httpx.Client, sandbox: SandboxWooCommerce
) -> None:
    order = sandbox.store.add_order([("C-ORDER", 1, "4.50")])
    reply = api.post(f"/orders/{order.id}/notes", json={"customer_note": True})
    assert reply.status_code == 400
    assert reply.json()["code"] == "rest_missing_callback_param"


def test_orders_are_listed_by_creation_after_a_time(
    client: WooCommerceClient, sandbox: SandboxWooCommerce
) -> None:
    before = sandbox.store.add_order([("C-ORDER", 1, "4.50")], created_gmt="2025-03-01T10:00:00")
    after = sandbox.store.add_order([("C-ORDER", 1, "4.50")], created_gmt="2025-03-01T10:00:01")
    listed = [o["id"] for o in client.orders(created_after=datetime(2025, 3, 1, 10, tzinfo=UTC))]
    assert after.id in listed and before.id not in listed  # `after` is exclusive


def test_an_after_that_is_no_time_is_an_invalid_parameter(api: httpx.Client) -> None:
    reply = api.get("/orders", params={"after": "last tuesday"})
    assert reply.status_code == 400
    assert reply.json()["code"] == "rest_invalid_param"


def test_an_order_is_cancelled_and_cancelling_it_again_changes_nothing(
    client: WooCommerceClient, sandbox: SandboxWooCommerce
) -> None:
    order = sandbox.store.add_order([("C-ORDER", 1, "4.50")])
    client.set_order_status(order.id, "cancelled")
    client.set_order_status(order.id, "cancelled")  # WooCommerce answers 200 again
    fetched = client.order(order.id)
    assert fetched is not None and fetched["status"] == "cancelled"
    assert order.status_updates == ["cancelled", "cancelled"]
