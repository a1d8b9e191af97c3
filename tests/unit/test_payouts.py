"""Payouts without a broker: a Shopify payout mapped to payout_paid, what the event refuses,
and the poller's checkpoint."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pydantic
import pytest

from producers.payouts.mapping import payout_paid
from producers.payouts.poller import Checkpoint
from producers.payouts.source import ShopifyPayout, parse_transactions
from retailsync.errors import InvalidInputError
from retailsync.events import PayoutTransactionKind, Source, SourceSystem

pytestmark = pytest.mark.unit

SHOP = Source(system=SourceSystem.SHOPIFY, instance="example.myshopify.com")
AT = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def _money(amount: str, currency: str = "EUR") -> dict[str, str]:
    return {"amount": amount, "currencyCode": currency}


def _payout(net: str) -> ShopifyPayout:
    return ShopifyPayout.model_validate(
        {
            "id": "gid://shopify/ShopifyPaymentsPayout/5001",
            "legacyResourceId": "5001",
            "issuedAt": "2026-11-30T09:00:00Z",
            "status": "PAID",
            "net": _money(net),
        }
    )


def _transaction(
    kind: str, amount: str, fee: str, net: str, *, fee_currency: str = "EUR"
) -> dict[str, Any]:
    return {
        "id": "gid://shopify/ShopifyPaymentsBalanceTransaction/6001",
        "type": kind,
        "transactionDate": "2026-11-29T12:00:00Z",
        "sourceOrderTransactionId": "7001",
        "amount": _money(amount),
        "fee": _money(fee, fee_currency),
        "net": _money(net),
        "associatedOrder": {"id": "gid://shopify/Order/1001"},
    }


def test_a_payout_maps_to_payout_paid_with_its_orders_and_transactions() -> None:
    nodes = [_transaction("CHARGE", "28.12", "1.17", "26.95")]

    event = payout_paid(
        _payout("26.95"), parse_transactions(nodes), source=SHOP, channel="eu", gateway="sp"
    )

    assert (event.payout_ref, event.gateway, event.currency) == ("eu:5001", "sp", "EUR")
    assert (event.amount, event.fees, event.issued_at) == (Decimal("26.95"), Decimal("1.17"), AT)
    [charge] = event.transactions
    assert (charge.transaction_ref, charge.order_ref, charge.payment_ref) == (
        "6001", "eu:1001", "7001",
    )  # fmt: skip
    assert charge.kind is PayoutTransactionKind.CHARGE


def test_a_payout_read_again_keeps_its_event_id() -> None:
    nodes = [_transaction("CHARGE", "10.00", "0.50", "9.50")]

    first, again = (
        payout_paid(
            _payout("9.50"), parse_transactions(nodes), source=SHOP, channel="eu", gateway="sp"
        )
        for _ in range(2)
    )

    assert first.envelope.event_id == again.envelope.event_id


def test_a_kind_the_event_does_not_know_is_other() -> None:
    nodes = [_transaction("DISPUTE", "-5.00", "15.00", "-20.00")]

    event = payout_paid(
        _payout("-20.00"), parse_transactions(nodes), source=SHOP, channel="eu", gateway="sp"
    )

    assert event.transactions[0].kind is PayoutTransactionKind.OTHER


def test_a_fee_in_another_currency_is_refused_naming_the_field() -> None:
    nodes = [_transaction("CHARGE", "10.00", "0.50", "9.50", fee_currency="USD")]

    with pytest.raises(InvalidInputError) as refused:
        payout_paid(
            _payout("9.50"), parse_transactions(nodes), source=SHOP, channel="eu", gateway="sp"
        )

    assert refused.value.field == "transactions[0].fee.currencyCode"


def test_transactions_that_do_not_add_up_to_the_payout_are_refused() -> None:
    nodes = [_transaction("CHARGE", "10.00", "0.50", "9.50")]

    with pytest.raises(InvalidInputError, match=r"add up to 9\.50, the payout is 9\.40"):
        payout_paid(
            _payout("9.40"), parse_transactions(nodes), source=SHOP, channel="eu", gateway="sp"
        )


def test_a_net_that_is_not_amount_less_fee_is_refused_naming_the_field() -> None:
    nodes = [_transaction("CHARGE", "10.00", "0.50", "10.00")]

    with pytest.raises(InvalidInputError) as refused:
        payout_paid(
            _payout("10.00"), parse_transactions(nodes), source=SHOP, channel="eu", gateway="sp"
        )

    assert refused.value.field == "transactions[0].net.amount"


def test_a_sub_cent_amount_from_the_shop_is_refused() -> None:
    with pytest.raises(pydantic.ValidationError, match="amount"):
        parse_transactions([_transaction("CHARGE", "10.00001", "0", "10.00001")])


def test_the_checkpoint_reads_back_what_it_wrote() -> None:
    checkpoint = Checkpoint(AT, {"5001": AT, "5002": datetime(2026, 12, 1, tzinfo=UTC)})

    assert Checkpoint.decode(checkpoint.encode()) == checkpoint
    assert Checkpoint.decode(Checkpoint().encode()) == Checkpoint()
