"""Refunds as storefront-fulfillment makes them: the order's line items with their
refundable quantities, its payment and refunds (``ORDER_REFUNDS``), and ``refundCreate``
(``CREATE_REFUND``) with its user errors for more units or more money than are left."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from consumers.storefront_fulfillment.refunds import CREATE_REFUND, ORDER_REFUNDS
from retailsync.storefront import StorefrontClient
from sandbox.storefront import SandboxStorefront

pytestmark = pytest.mark.contract


def _order(client: StorefrontClient, order_id: str) -> dict[str, Any]:
    order = client.execute(ORDER_REFUNDS, {"id": order_id})["order"]
    assert order is not None
    return dict(order)


def _refund(
    client: StorefrontClient, order: dict[str, Any], lines: dict[str, int], amount: str | None
) -> dict[str, Any]:
    sale = next(t for t in order["transactions"] if t["kind"] == "SALE")
    refund: dict[str, Any] = {
        "orderId": order["id"],
        "note": "contract test",
        "notify": False,
        "refundLineItems": [
            {"lineItemId": item, "quantity": quantity, "restockType": "NO_RESTOCK"}
            for item, quantity in lines.items()
        ],
    }
    if amount is not None:
        refund["transactions"] = [
            {"orderId": order["id"], "parentId": sale["id"], "gateway": sale["gateway"],
             "kind": "REFUND", "amount": amount}
        ]  # fmt: skip
    return dict(client.execute(CREATE_REFUND, {"input": refund})["refundCreate"])


@pytest.fixture
def order(sandbox: SandboxStorefront, client: StorefrontClient) -> dict[str, Any]:
    """A paid order: 3 MUG-GREEN at 12.90 and 1 TEE-BLUE at 20.00 (58.70)."""
    placed = sandbox.store.place_order([("MUG-GREEN", 3, "12.90"), ("TEE-BLUE", 1, "20.00")])
    return _order(client, placed.gid)


def _items(order: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {item["sku"]: item for item in order["lineItems"]["nodes"]}


def test_an_unknown_order_is_null(client: StorefrontClient) -> None:
    data = client.execute(ORDER_REFUNDS, {"id": "gid://shopify/Order/1"})
    assert data["order"] is None


def test_a_paid_order_has_its_sale_every_unit_refundable_and_no_refund(
    order: dict[str, Any],
) -> None:
    assert [(t["kind"], t["status"]) for t in order["transactions"]] == [("SALE", "SUCCESS")]
    assert {sku: item["refundableQuantity"] for sku, item in _items(order).items()} == {
        "MUG-GREEN": 3, "TEE-BLUE": 1,
    }  # fmt: skip
    assert order["refunds"] == []


def test_a_refund_of_lines_and_money_is_listed_and_lowers_what_is_refundable(
    client: StorefrontClient, order: dict[str, Any]
) -> None:
    mug = _items(order)["MUG-GREEN"]["id"]

    created = _refund(client, order, {mug: 2}, "25.80")

    assert created["userErrors"] == []
    assert created["refund"]["note"] == "contract test"
    assert Decimal(created["refund"]["totalRefundedSet"]["shopMoney"]["amount"]) == Decimal("25.80")
    after = _order(client, order["id"])
    assert _items(after)["MUG-GREEN"]["refundableQuantity"] == 1
    [refund] = after["refunds"]
    assert refund["note"] == "contract test"
    assert [(n["lineItem"]["id"], n["quantity"]) for n in refund["refundLineItems"]["nodes"]] == [
        (mug, 2)
    ]
    assert [t["kind"] for t in after["transactions"]] == ["SALE", "REFUND"]


def test_refunding_more_units_than_are_left_is_a_user_error_and_refunds_nothing(
    client: StorefrontClient, order: dict[str, Any]
) -> None:
    mug = _items(order)["MUG-GREEN"]["id"]
    assert _refund(client, order, {mug: 2}, None)["userErrors"] == []

    refused = _refund(client, order, {mug: 2}, None)

    assert refused["refund"] is None
    [error] = refused["userErrors"]
    assert error["field"] == ["refundLineItems", "0", "quantity"]
    assert len(_order(client, order["id"])["refunds"]) == 1


def test_refunding_more_money_than_was_paid_is_a_user_error_and_refunds_nothing(
    client: StorefrontClient, order: dict[str, Any]
) -> None:
    tee = _items(order)["TEE-BLUE"]["id"]

    refused = _refund(client, order, {tee: 1}, "58.71")

    assert refused["refund"] is None
    assert refused["userErrors"][0]["field"][0] == "transactions"
    after = _order(client, order["id"])
    assert after["refunds"] == []
    assert _items(after)["TEE-BLUE"]["refundableQuantity"] == 1
