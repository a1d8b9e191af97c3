"""Shopify Payments payouts as the payout poller reads them: paid payouts oldest first from a
date, paged, and each payout's balance transactions with their amount, fee, net and the
order transaction they come from."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from producers.payouts.source import PayoutSource, parse_transactions
from retailsync.storefront import StorefrontClient
from sandbox.storefront import SandboxStorefront

pytestmark = pytest.mark.contract

# Each test seeds payouts in a day of its own, far ahead, and reads from that day on.
_DAYS = itertools.count(1)


def _day() -> datetime:
    return datetime(2031, 1, 1, tzinfo=UTC) + timedelta(days=next(_DAYS) * 10)


def test_paid_payouts_are_listed_oldest_first_from_a_date(
    sandbox: SandboxStorefront, client: StorefrontClient
) -> None:
    day = _day()
    order = sandbox.store.place_order([("MUG", 1, "20.00")])
    later = sandbox.store.pay_out(
        [("CHARGE", order, "20.00", "0.88")], issued_at=day + timedelta(1)
    )
    first = sandbox.store.pay_out([("CHARGE", order, "5.00", "0.45")], issued_at=day)
    sandbox.store.pay_out([("CHARGE", order, "9.00", "0.50")], issued_at=day - timedelta(1))

    listed = list(PayoutSource(client).payouts(day))

    assert [p.legacy_id for p in listed] == [str(first.id), str(later.id)]
    assert listed[0].id == f"gid://shopify/ShopifyPaymentsPayout/{first.id}"
    assert listed[0].status == "PAID"
    assert listed[0].issued_at == day
    assert (listed[0].net.amount, listed[0].net.currency) == (Decimal("4.55"), "USD")


def test_scheduled_payouts_are_listed_with_their_status(
    sandbox: SandboxStorefront, client: StorefrontClient
) -> None:
    day = _day()
    sandbox.store.pay_out([("CHARGE", None, "3.00", "0.10")], issued_at=day, status="SCHEDULED")

    [listed] = PayoutSource(client).payouts(day)

    assert listed.status == "SCHEDULED"


def test_payouts_are_paged_without_a_gap_or_a_repeat(
    sandbox: SandboxStorefront, client: StorefrontClient
) -> None:
    day = _day()
    seeded = [
        sandbox.store.pay_out(
            [("CHARGE", None, "1.00", "0.00")], issued_at=day + timedelta(hours=n)
        )
        for n in range(7)
    ]

    listed = list(PayoutSource(client, page=3).payouts(day))

    assert [p.legacy_id for p in listed] == [str(p.id) for p in seeded]


def test_a_payouts_transactions_carry_amount_fee_net_and_their_order_transaction(
    sandbox: SandboxStorefront, client: StorefrontClient
) -> None:
    day = _day()
    order = sandbox.store.place_order([("MUG", 2, "15.00")])
    payout = sandbox.store.pay_out(
        [("CHARGE", order, "30.00", "1.17"), ("REFUND", order, "-10.00", "0.00")], issued_at=day
    )
    source = PayoutSource(client)
    [listed] = source.payouts(day)

    charge, refund = parse_transactions(source.transactions(listed))

    assert (charge.type, charge.amount.amount, charge.fee.amount, charge.net.amount) == (
        "CHARGE", Decimal("30.00"), Decimal("1.17"), Decimal("28.83"),
    )  # fmt: skip
    assert charge.source_order_transaction_id == str(payout.transactions[0].order_transaction_id)
    assert charge.associated_order is not None
    assert charge.associated_order.id == order.gid
    assert (refund.type, refund.amount.amount, refund.net.amount) == (
        "REFUND", Decimal("-10.00"), Decimal("-10.00"),
    )  # fmt: skip
    assert listed.net.amount == charge.net.amount + refund.net.amount


def test_transactions_of_one_payout_only(
    sandbox: SandboxStorefront, client: StorefrontClient
) -> None:
    day = _day()
    sandbox.store.pay_out([("CHARGE", None, "1.00", "0.00")], issued_at=day)
    mine = sandbox.store.pay_out(
        [("ADJUSTMENT", None, "-2.50", "0.00")], issued_at=day + timedelta(1)
    )
    source = PayoutSource(client, page=1)

    listed = [p for p in source.payouts(day) if p.legacy_id == str(mine.id)]

    assert [t.amount.amount for t in parse_transactions(source.transactions(listed[0]))] == [
        Decimal("-2.50")
    ]


def test_every_paid_payout_nets_its_transactions(client: StorefrontClient) -> None:
    """Read only: runs against a real shop too. What the poller's money check relies on."""
    source = PayoutSource(client)
    for payout in itertools.islice(source.payouts(None), 5):
        if payout.status != "PAID":
            continue
        nets = sum(
            (t.net.amount for t in parse_transactions(source.transactions(payout))), Decimal(0)
        )
        assert nets == payout.net.amount
