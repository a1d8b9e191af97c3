"""Returns to storefront refunds, against the sandbox storefront in process (no sockets)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from consumers.storefront_fulfillment import service
from consumers.storefront_fulfillment.channels import ByChannel
from consumers.storefront_fulfillment.refunds import CREATE_REFUND, RefundApplier, refund_note
from retailsync.errors import PermanentError
from retailsync.storefront import StorefrontUserError
from sandbox.storefront import SandboxStorefront
from sandbox.storefront.store import Order
from tests.commerce import in_memory_client, item, returned

pytestmark = pytest.mark.unit


@pytest.fixture
def shop() -> SandboxStorefront:
    return SandboxStorefront(skus=["A", "B"])


@pytest.fixture
def refunds(shop: SandboxStorefront) -> RefundApplier:
    return RefundApplier(in_memory_client(shop), "shopify", notify_customer=False)


def _refunded(order: Order) -> list[tuple[str, int, str]]:
    return [(r.line.sku, r.quantity, r.restock_type) for f in order.refunds for r in f.lines]


def _merchant_refunds(refunds: RefundApplier, order: Order, units: int, amount: str) -> None:
    """A refund made in Shopify's admin: ``units`` of the order's first line, restocked."""
    refund = {
        "orderId": order.gid,
        "note": "goodwill",
        "refundLineItems": [
            {"lineItemId": f"gid://shopify/LineItem/{order.lines[0].id}", "quantity": units,
             "restockType": "RETURN"}
        ],
        "transactions": [
            {"orderId": order.gid, "gateway": order.gateway, "kind": "REFUND", "amount": amount}
        ],
    }  # fmt: skip
    created = refunds.client.execute(CREATE_REFUND, {"input": refund})["refundCreate"]
    assert created["userErrors"] == []


def test_returns_are_handled_by_storefront_fulfillment() -> None:
    assert service.handlers["return_received"].batch
    assert service.handlers["return_received"].target == "storefront"


def test_a_return_becomes_one_refund_of_exactly_the_received_lines_without_restocking(
    shop: SandboxStorefront, refunds: RefundApplier
) -> None:
    order = shop.store.place_order([("A", 3, "12.90"), ("B", 1, "5.00")])
    back = returned(f"shopify:{order.id}", {"A": (2, "25.80")}, return_ref="WH/IN/00009")

    assert refunds.apply([item(back)]) == {}

    [refund] = order.refunds
    assert _refunded(order) == [("A", 2, "NO_RESTOCK")]
    assert refund.amount == Decimal("25.80")
    assert refund.note == refund_note("WH/IN/00009")


def test_a_redelivered_return_refunds_nothing_twice(
    shop: SandboxStorefront, refunds: RefundApplier
) -> None:
    order = shop.store.place_order([("A", 3, "12.90")])
    back = returned(f"shopify:{order.id}", {"A": (1, "12.90")})
    assert refunds.refund(back) is not None

    assert refunds.refund(back) is None  # a crash after the call: the note finds it

    assert _refunded(order) == [("A", 1, "NO_RESTOCK")]
    assert shop.store.mutations == ["refundCreate"]


def test_units_the_channel_refunded_already_are_not_refunded_again(
    shop: SandboxStorefront, refunds: RefundApplier
) -> None:
    order = shop.store.place_order([("A", 3, "10.00"), ("B", 2, "4.00")])
    # The merchant refunded one A in Shopify before the goods came back.
    _merchant_refunds(refunds, order, 1, "10.00")
    back = returned(f"shopify:{order.id}", {"A": (2, "20.00"), "B": (1, "4.00")})

    assert refunds.refund(back) is not None

    [_, ours] = order.refunds
    assert [(r.line.sku, r.quantity) for r in ours.lines] == [("A", 1), ("B", 1)]
    assert ours.amount == Decimal("14.00")


def test_a_return_the_channel_refunded_entirely_makes_no_refund(
    shop: SandboxStorefront, refunds: RefundApplier
) -> None:
    order = shop.store.place_order([("A", 1, "10.00")])
    _merchant_refunds(refunds, order, 1, "10.00")

    assert refunds.refund(returned(f"shopify:{order.id}", {"A": (1, "10.00")})) is None
    assert shop.store.mutations == ["refundCreate"]  # the merchant's only


def test_more_money_than_is_left_to_refund_is_a_dead_letter_naming_the_amount(
    shop: SandboxStorefront, refunds: RefundApplier
) -> None:
    order = shop.store.place_order([("A", 1, "10.00")])

    failures = refunds.apply([item(returned(f"shopify:{order.id}", {"A": (1, "10.01")}))])

    assert isinstance(failures[0], StorefrontUserError)
    assert "10.01" in str(failures[0])
    assert order.refunds == []


def test_a_sku_not_on_the_order_another_currency_or_an_unknown_order_is_permanent(
    shop: SandboxStorefront, refunds: RefundApplier
) -> None:
    order = shop.store.place_order([("A", 1, "10.00")])
    stray = returned(f"shopify:{order.id}", {"B": (1, "4.00")})
    dollars = returned(f"shopify:{order.id}", {"A": (1, "10.00")}).model_copy(
        update={"currency": "USD"}
    )
    unknown = returned("shopify:1", {"A": (1, "10.00")})

    failures = refunds.apply([item(stray), item(dollars), item(unknown)])

    assert "B is not on order" in str(failures[0])
    assert "USD" in str(failures[1]) and "EUR" in str(failures[1])
    assert "not on the storefront" in str(failures[2])
    assert all(isinstance(failure, PermanentError) for failure in failures.values())
    assert order.refunds == []


def test_returns_of_a_generic_channel_are_dead_letters_naming_its_platform(
    shop: SandboxStorefront, refunds: RefundApplier
) -> None:
    order = shop.store.place_order([("A", 1, "10.00")])
    routed = ByChannel({"shopify": refunds}, {"market": "generic"})
    batch = [
        item(returned("market:727", {"A": (1, "10.00")})),
        item(returned(f"shopify:{order.id}", {"A": (1, "10.00")})),
        item(returned("elsewhere:1", {"A": (1, "10.00")})),
    ]

    failures = routed.apply(batch)

    assert sorted(failures) == [0]
    assert "generic channel market" in str(failures[0])
    assert _refunded(order) == [("A", 1, "NO_RESTOCK")]


def test_a_returned_line_is_refunded_on_the_line_item_its_channel_ref_names(
    shop: SandboxStorefront, refunds: RefundApplier
) -> None:
    # Two line items of one SKU (the second a free gift): the ref says which came back.
    order = shop.store.place_order([("A", 1, "9.00"), ("A", 1, "0.00")])
    gift = order.lines[1]
    back = returned(f"shopify:{order.id}", {"A": (1, "0.00")}, line_refs={"A": str(gift.id)})

    assert refunds.refund(back) is not None

    assert [(r.line.id, r.quantity) for r in order.refunds[0].lines] == [(gift.id, 1)]
    assert order.refunds[0].amount == 0


def test_a_v1_return_s_line_ref_is_odoo_s_and_goes_by_sku(
    shop: SandboxStorefront, refunds: RefundApplier
) -> None:
    order = shop.store.place_order([("A", 1, "9.00"), ("A", 1, "0.00")])
    # An Odoo line id that happens to be the second line item's id: v1 did not mean it.
    v2 = returned(
        f"shopify:{order.id}", {"A": (1, "9.00")}, line_refs={"A": str(order.lines[1].id)}
    )
    v1 = v2.model_copy(update={"envelope": v2.envelope.model_copy(update={"schema_version": 1})})

    assert refunds.refund(v1) is not None

    assert [(r.line.id, r.quantity) for r in order.refunds[0].lines] == [(order.lines[0].id, 1)]


def test_a_line_ref_the_order_does_not_have_falls_back_to_the_sku(
    shop: SandboxStorefront, refunds: RefundApplier
) -> None:
    order = shop.store.place_order([("A", 2, "1.00")])
    stray = returned(f"shopify:{order.id}", {"A": (2, "2.00")}, line_refs={"A": "no-such-line"})

    assert refunds.refund(stray) is not None

    assert _refunded(order) == [("A", 2, "NO_RESTOCK")]
