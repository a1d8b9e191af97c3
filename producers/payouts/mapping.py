"""A Shopify Payments payout and its balance transactions as a payout_paid event.

The event's identity is the payout's: a payout is published once it is ``PAID`` and never
changes after, so re-reading it yields the same event id. Orders are named as the webhooks
name them (``channel:order legacy id``); a transaction with no order (an adjustment) has none.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from producers.payouts.source import ShopifyBalanceTransaction, ShopifyPayout
from retailsync.errors import InvalidInputError
from retailsync.events import PayoutPaid, PayoutTransaction, PayoutTransactionKind, Source

_KINDS = {kind.value: kind for kind in PayoutTransactionKind}


def payout_paid(
    payout: ShopifyPayout,
    transactions: Sequence[ShopifyBalanceTransaction],
    *,
    source: Source,
    channel: str,
    gateway: str,
) -> PayoutPaid:
    """The event of a paid payout; InvalidInputError naming the field when it cannot be one:
    an amount in another currency than the payout's, a net that is not amount less fee, or
    nets that do not add up to the payout."""
    for index, transaction in enumerate(transactions):
        for name in ("amount", "fee", "net"):
            if getattr(transaction, name).currency != payout.net.currency:
                raise InvalidInputError(
                    f"is not the payout's currency {payout.net.currency}",
                    f"transactions[{index}].{name}.currencyCode",
                )
        gross, fee, net = (
            transaction.amount.amount,
            transaction.fee.amount,
            transaction.net.amount,
        )
        if gross - fee != net:
            raise InvalidInputError(
                f"{net} is not amount {gross} less fee {fee}", f"transactions[{index}].net.amount"
            )
    nets = sum((t.net.amount for t in transactions), Decimal(0))
    if nets != payout.net.amount:
        raise InvalidInputError(
            f"the transactions' nets add up to {nets}, the payout is {payout.net.amount}",
            "net.amount",
        )
    return PayoutPaid(
        envelope=PayoutPaid.new_envelope(
            source=source,
            source_ref=payout.id,
            occurred_at=payout.issued_at,
            # Paid is final: one version, so a re-read payout keeps its event id.
            source_version=1,
            channel=channel,
        ),
        payout_ref=f"{channel}:{payout.legacy_id}",
        gateway=gateway,
        currency=payout.net.currency,
        issued_at=payout.issued_at,
        amount=payout.net.amount,
        transactions=tuple(_transaction(t, channel) for t in transactions),
    )


def _transaction(transaction: ShopifyBalanceTransaction, channel: str) -> PayoutTransaction:
    order = transaction.associated_order
    return PayoutTransaction(
        transaction_ref=transaction.id.rsplit("/", 1)[-1],
        kind=_KINDS.get(transaction.type, PayoutTransactionKind.OTHER),
        order_ref=f"{channel}:{order.id.rsplit('/', 1)[-1]}" if order is not None else None,
        payment_ref=transaction.source_order_transaction_id,
        amount=transaction.amount.amount,
        fee=transaction.fee.amount,
        net=transaction.net.amount,
    )
