"""Returns refunded on WooCommerce and recorded on SFCC, against their sandboxes on loopback
(no broker); and the allocation the three platforms share."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from pydantic import SecretStr

from consumers.storefront_fulfillment.refunds import OrderLine, allocate
from consumers.storefront_fulfillment.sfcc_refunds import RefundRecord, SfccRefundApplier
from consumers.storefront_fulfillment.woocommerce_refunds import (
    WooCommerceRefundApplier,
    line_refund,
)
from retailsync.channels import Channel
from retailsync.errors import PermanentError
from retailsync.sfcc import SfccClient
from retailsync.woocommerce import WooCommerceClient
from sandbox.sfcc import Item, SandboxSfcc, order_document
from sandbox.woocommerce import SandboxWooCommerce
from tests.commerce import item, returned, sfcc_channel

pytestmark = pytest.mark.unit


def test_a_return_split_over_lines_of_one_sku_adds_up_to_the_cent() -> None:
    back = returned("shop:1", {"A": (3, "10.00")})
    lines = [OrderLine("1", "A", Decimal(1)), OrderLine("2", "A", Decimal(2))]

    refunding = allocate(back, lines, {})

    assert refunding.quantities == {"1": 1, "2": 2}
    assert refunding.amounts == {"1": Decimal("3.33"), "2": Decimal("6.67")}
    assert refunding.amount == Decimal("10.00")


def test_units_the_channel_refunded_count_first_and_lower_the_amount() -> None:
    back = returned("shop:1", {"A": (2, "20.00")})

    refunding = allocate(back, [OrderLine("1", "A", Decimal(2))], {"1": Decimal(1)})

    assert refunding.quantities == {"1": 1}
    assert refunding.amount == Decimal("10.00")


def test_a_woocommerce_line_s_refund_is_split_as_its_taxes_are() -> None:
    line = {"id": 7, "total": "20.00",
            "taxes": [{"id": 1, "total": "1.60"}, {"id": 2, "total": "0.40"}]}  # fmt: skip

    refund = line_refund(line, 1, Decimal("10.01"))

    assert refund["refund_tax"] == [
        {"id": 1, "refund_total": 0.73},
        {"id": 2, "refund_total": 0.18},
    ]
    assert Decimal(str(refund["refund_total"])) == Decimal("9.10")  # 9.10 + 0.91 = 10.01


@pytest.fixture
def woo() -> Iterator[tuple[SandboxWooCommerce, WooCommerceRefundApplier]]:
    with SandboxWooCommerce.running() as sandbox:
        channel = Channel(
            name="woo", platform="woocommerce", source="test", url=sandbox.url,
            secrets={"consumer_key": SecretStr(sandbox.consumer_key),
                     "consumer_secret": SecretStr(sandbox.consumer_secret)},
        )  # fmt: skip
        with WooCommerceClient.from_channel(channel, sleep=lambda _s: None) as client:
            yield sandbox, WooCommerceRefundApplier(client)


def test_a_woocommerce_return_is_refunded_once(
    woo: tuple[SandboxWooCommerce, WooCommerceRefundApplier],
) -> None:
    sandbox, refunds = woo
    order = sandbox.store.add_order([("A", 2, "10.00")], currency="EUR", payment_method="stripe")
    back = returned(f"woo:{order.id}", {"A": (1, "10.00")})

    assert refunds.apply([item(back), item(back)]) == {}

    [refund] = order.refunds
    assert [(line.line.sku, line.quantity) for line in refund.lines] == [("A", 1)]
    assert refund.amount == Decimal("10.00") and refund.refunded_payment


def test_woocommerce_refusals_and_orders_it_cannot_refund_are_permanent(
    woo: tuple[SandboxWooCommerce, WooCommerceRefundApplier],
) -> None:
    sandbox, refunds = woo
    by_transfer = sandbox.store.add_order([("A", 1, "10.00")], currency="EUR")
    dollars = sandbox.store.add_order([("A", 1, "10.00")], payment_method="stripe")
    over = sandbox.store.add_order([("A", 1, "10.00")], currency="EUR", payment_method="stripe")
    batch = [
        returned(f"woo:{by_transfer.id}", {"A": (1, "10.00")}),
        returned(f"woo:{dollars.id}", {"A": (1, "10.00")}),
        returned(f"woo:{over.id}", {"A": (1, "10.01")}),
        returned("woo:987654321", {"A": (1, "10.00")}),
        returned("woo:W-1", {"A": (1, "10.00")}),
    ]

    failures = refunds.apply([item(back) for back in batch])

    assert sorted(failures) == [0, 1, 2, 3, 4]
    assert all(isinstance(failure, PermanentError) for failure in failures.values())
    assert "does not support automatic refunds" in str(failures[0])
    assert "USD" in str(failures[1]) and "EUR" in str(failures[1])
    assert "Invalid refund amount" in str(failures[2])
    assert "not on the WooCommerce shop" in str(failures[3])
    assert "order id is a number" in str(failures[4])
    assert by_transfer.refunds == dollars.refunds == over.refunds == []


@pytest.fixture
def sfcc() -> Iterator[tuple[SandboxSfcc, SfccRefundApplier]]:
    with SandboxSfcc.running() as sandbox:
        channel = sfcc_channel(sandbox, "site")
        with SfccClient.from_channel(channel, sleep=lambda _s: None) as client:
            yield sandbox, SfccRefundApplier(client)


def test_sfcc_returns_are_recorded_once_each_on_the_order(
    sfcc: tuple[SandboxSfcc, SfccRefundApplier],
) -> None:
    sandbox, refunds = sfcc
    items = (Item("A", 2, Decimal("9.50")), Item("B", 1, Decimal("12.00")))
    order = sandbox.add_order(order_document("00000100", items, currency="EUR"))
    first = returned("site:00000100", {"A": (1, "10.26")}, return_ref="WH/IN/1")
    second = returned("site:00000100", {"B": (1, "12.96")}, return_ref="WH/IN/2")

    assert refunds.apply([item(first), item(second), item(first)]) == {}

    assert [a["id"] for a in order.adjustments] == ["WH/IN/1", "WH/IN/2"]
    assert order.document["externalOrderStatus"] == (
        "refund 23.22 EUR for returns WH/IN/1 10.26; WH/IN/2 12.96 (retailsync)"
    )
    record = RefundRecord.of(order.document["externalOrderStatus"], "EUR")
    assert record.returns == {"WH/IN/1": Decimal("10.26"), "WH/IN/2": Decimal("12.96")}


def test_an_sfcc_refund_over_what_is_left_is_a_dead_letter_naming_both_amounts(
    sfcc: tuple[SandboxSfcc, SfccRefundApplier],
) -> None:
    sandbox, refunds = sfcc
    order = sandbox.add_order(
        order_document("00000101", (Item("A", 1, Decimal("9.50")),), currency="EUR",
                       shipping=Decimal(0))
    )  # fmt: skip
    total = order.document["orderTotal"]  # 9.50 and 8 % tax: 10.26

    failures = refunds.apply([item(returned("site:00000101", {"A": (1, "10.27")}))])

    assert "10.27" in str(failures[0]) and str(total) in str(failures[0])
    assert order.adjustments == [] and order.external_statuses == []


def test_an_external_status_not_of_ours_is_no_record_and_minor_units_follow_the_currency(
    sfcc: tuple[SandboxSfcc, SfccRefundApplier],
) -> None:
    assert RefundRecord.of("retailsync: productItems.0.quantity: too small", "EUR").returns == {}
    sandbox, refunds = sfcc
    order = sandbox.add_order(
        order_document("00000102", (Item("A", 1, Decimal("1000")),), currency="JPY")
    )
    back = returned("site:00000102", {"A": (1, "1000")}).model_copy(update={"currency": "JPY"})

    refunds.refund(back)

    assert order.adjustments[0]["totals"][0]["amount"] == -1000
