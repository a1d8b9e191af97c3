"""Order refunds as storefront-fulfillment makes them for received returns: listed with
their reason and negative line quantities, bounded by what the order has left, paid back
through the order's gateway, and restocked only when asked."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import pytest

from retailsync.errors import PermanentError
from retailsync.woocommerce import WooCommerceClient
from sandbox.woocommerce import SandboxWooCommerce

pytestmark = pytest.mark.contract


def _refund(line_id: int, quantity: int, total: str, **fields: Any) -> dict[str, Any]:
    line = {"id": line_id, "quantity": quantity, "refund_total": float(total), "refund_tax": []}
    return {"amount": total, "reason": "retailsync return WH/IN/1", "api_restock": False,
            "line_items": [line], **fields}  # fmt: skip


def test_an_order_the_shop_lacks_has_no_refunds(client: WooCommerceClient) -> None:
    assert client.order_refunds(987_654_321) == []


def test_an_amount_that_is_no_string_is_an_invalid_parameter(api: httpx.Client) -> None:
    reply = api.post("/orders/987654321/refunds", json={"amount": 10.5})
    assert reply.status_code == 400
    assert reply.json()["code"] == "rest_invalid_param"


def test_a_refund_is_listed_with_its_reason_and_the_lines_it_gave_back(
    client: WooCommerceClient, sandbox: SandboxWooCommerce
) -> None:
    order = sandbox.store.add_order(
        [("C-REFUND", 3, "12.90"), ("C-OTHER", 1, "5.00")], payment_method="stripe"
    )
    made = client.create_refund(order.id, _refund(order.lines[0].id, 2, "25.80"))

    [listed] = client.order_refunds(order.id)
    assert listed["id"] == made["id"]
    assert (listed["amount"], listed["reason"], listed["refunded_payment"]) == (
        "25.80", "retailsync return WH/IN/1", True,
    )  # fmt: skip
    [line] = listed["line_items"]
    assert line["quantity"] == -2 and line["total"] == "-25.80"
    assert {"key": "_refunded_item_id", "value": str(order.lines[0].id)}.items() <= (
        line["meta_data"][0].items()
    )
    fetched = client.order(order.id)
    assert fetched is not None
    assert fetched["refunds"] == [
        {"id": made["id"], "reason": "retailsync return WH/IN/1", "total": "-25.80"}
    ]
    assert fetched["status"] == "processing"  # 5.00 left to refund


def test_a_refund_over_what_is_left_is_refused_and_kept_nowhere(
    client: WooCommerceClient, api: httpx.Client, sandbox: SandboxWooCommerce, sleeps: list[float]
) -> None:
    order = sandbox.store.add_order([("C-REFUND", 1, "10.00")], payment_method="stripe")
    client.create_refund(order.id, _refund(order.lines[0].id, 1, "4.00"))

    reply = api.post(f"/orders/{order.id}/refunds", json=_refund(order.lines[0].id, 1, "6.01"))

    assert reply.status_code == 500
    assert reply.json()["code"] == "woocommerce_rest_cannot_create_order_refund"
    assert reply.json()["message"] == "Invalid refund amount."
    with pytest.raises(PermanentError, match="Invalid refund amount"):
        client.create_refund(order.id, _refund(order.lines[0].id, 1, "6.01"))
    assert sleeps == []  # a refusal, not an outage: not sent again
    assert [r["amount"] for r in client.order_refunds(order.id)] == ["4.00"]


def test_the_last_refund_makes_the_order_refunded(
    client: WooCommerceClient, sandbox: SandboxWooCommerce
) -> None:
    order = sandbox.store.add_order([("C-REFUND", 2, "10.00")], payment_method="stripe")
    client.create_refund(order.id, _refund(order.lines[0].id, 1, "10.00"))
    client.create_refund(order.id, _refund(order.lines[0].id, 1, "10.00", reason="second"))
    fetched = client.order(order.id)
    assert fetched is not None and fetched["status"] == "refunded"
    assert [r["reason"] for r in client.order_refunds(order.id)] == [
        "second",
        "retailsync return WH/IN/1",
    ]  # fmt: skip newest first


def test_a_gateway_that_cannot_pay_back_refuses_a_gateway_refund(
    client: WooCommerceClient, sandbox: SandboxWooCommerce
) -> None:
    order = sandbox.store.add_order([("C-REFUND", 1, "10.00")], payment_method="bacs")
    with pytest.raises(PermanentError, match="does not support automatic refunds"):
        client.create_refund(order.id, _refund(order.lines[0].id, 1, "10.00"))
    assert client.order_refunds(order.id) == []

    manual = client.create_refund(
        order.id, _refund(order.lines[0].id, 1, "10.00", api_refund=False)
    )
    assert manual["refunded_payment"] is False


def test_refunded_items_are_restocked_unless_told_not_to(
    client: WooCommerceClient, sandbox: SandboxWooCommerce
) -> None:
    mug = sandbox.store.add_product("C-RESTOCK", stock=5)
    order = sandbox.store.add_order([("C-RESTOCK", 3, "4.00")], payment_method="stripe")

    client.create_refund(order.id, _refund(order.lines[0].id, 1, "4.00"))
    assert mug.stock_quantity == 5
    client.create_refund(order.id, _refund(order.lines[0].id, 1, "4.00", api_restock=True))
    assert mug.stock_quantity == 6
    client.create_refund(order.id, {"amount": "4.00", "line_items": [
        {"id": order.lines[0].id, "quantity": 1, "refund_total": 4.0}]})  # fmt: skip
    assert mug.stock_quantity == 7  # WooCommerce restocks by default


def test_without_an_amount_the_lines_make_it(
    client: WooCommerceClient, sandbox: SandboxWooCommerce
) -> None:
    order = sandbox.store.add_order([("C-REFUND", 2, "10.00")], payment_method="stripe")
    body = _refund(order.lines[0].id, 1, "8.00")
    del body["amount"]
    body["line_items"][0]["refund_tax"] = [{"id": 1, "refund_total": 1.6}]
    assert client.create_refund(order.id, body)["amount"] == "9.60"
    assert sum(Decimal(r["amount"]) for r in client.order_refunds(order.id)) == Decimal("9.60")
