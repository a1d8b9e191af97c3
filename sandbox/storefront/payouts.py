"""Shopify Payments payouts and the balance transactions they carry, in the Admin API's shapes.

``shopifyPaymentsAccount { payouts(first:, after:, sortKey:, query:) {…}
balanceTransactions(first:, after:, query:) {…} }``: payouts oldest first when sorted by
``ISSUED_AT`` (else newest first, as Shopify lists them), filtered by ``status:paid`` and
``issued_at:>=2026-11-30T10:00:00Z``; balance transactions by ``payments_transfer_id:<payout
legacy id>``. Cursors are opaque (here the last node's number). Amounts are ``MoneyV2``
strings; a transaction's ``net`` is its ``amount`` less its ``fee``, a payout's ``net`` the sum
of its transactions' nets, and its summary the gross and fee per type.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from sandbox.storefront.store import BalanceTransaction, Payout, gid

_TERM = re.compile(r"(\w+):(>=|<=|>|<)?(\S+)")
# The summary's fields per balance transaction type.
_SUMMARY = {"CHARGE": "charges", "REFUND": "refunds", "ADJUSTMENT": "adjustments"}


def payouts_page(payouts: Mapping[int, Payout], arguments: Mapping[str, Any]) -> dict[str, Any]:
    """``payouts(first:, after:, sortKey:, query:)``."""
    terms = _terms(arguments.get("query") or "")
    oldest_first = arguments.get("sortKey") == "ISSUED_AT" and not arguments.get("reverse")
    listed = sorted(payouts.values(), key=lambda p: (p.issued_at, p.id), reverse=not oldest_first)
    status = terms.get("status")
    if status is not None:
        listed = [p for p in listed if p.status == status[1].upper()]
    since = terms.get("issued_at")
    if since is not None and since[0] == ">=":
        floor = datetime.fromisoformat(since[1].strip("'\""))
        listed = [p for p in listed if p.issued_at >= floor]
    return _page(listed, arguments, lambda p: p.id, _payout)


def balance_transactions_page(
    payouts: Mapping[int, Payout], arguments: Mapping[str, Any]
) -> dict[str, Any]:
    """``balanceTransactions(first:, after:, query: "payments_transfer_id:N")``."""
    transfer = _terms(arguments.get("query") or "").get("payments_transfer_id")
    chosen = [payouts[int(transfer[1])]] if transfer and int(transfer[1]) in payouts else []
    if transfer is None:
        chosen = list(payouts.values())
    listed = [(payout, t) for payout in chosen for t in payout.transactions]
    return _page(listed, arguments, lambda pair: pair[1].id, _transaction)


def _page(
    listed: list[Any], arguments: Mapping[str, Any], number: Any, shape: Any
) -> dict[str, Any]:
    first = min(int(arguments.get("first") or 50), 250)
    after = arguments.get("after")
    if after is not None:
        numbers = [number(node) for node in listed]
        listed = listed[numbers.index(int(after)) + 1 :] if int(after) in numbers else []
    page = listed[:first]
    return {
        "nodes": [shape(node) for node in page],
        "pageInfo": {
            "hasNextPage": len(listed) > first,
            "endCursor": str(number(page[-1])) if page else None,
        },
    }


def _payout(payout: Payout) -> dict[str, Any]:
    summary: dict[str, Any] = {}
    for kind, name in _SUMMARY.items():
        mine = [t for t in payout.transactions if t.type == kind]
        summary[f"{name}Gross"] = _money(sum((t.amount for t in mine), Decimal(0)), payout)
        summary[f"{name}Fee"] = _money(sum((t.fee for t in mine), Decimal(0)), payout)
    return {
        "id": gid("ShopifyPaymentsPayout", payout.id),
        "legacyResourceId": str(payout.id),
        "issuedAt": _timestamp(payout.issued_at),
        "status": payout.status,
        "transactionType": "DEPOSIT" if payout.net >= 0 else "WITHDRAWAL",
        "net": _money(payout.net, payout),
        "summary": summary,
    }


def _transaction(pair: tuple[Payout, BalanceTransaction]) -> dict[str, Any]:
    payout, transaction = pair
    order = transaction.order
    return {
        "id": gid("ShopifyPaymentsBalanceTransaction", transaction.id),
        "type": transaction.type,
        "test": False,
        "transactionDate": _timestamp(transaction.processed_at),
        "amount": _money(transaction.amount, payout),
        "fee": _money(transaction.fee, payout),
        "net": _money(transaction.amount - transaction.fee, payout),
        "sourceType": transaction.type,
        "sourceOrderTransactionId": (
            str(transaction.order_transaction_id)
            if transaction.order_transaction_id is not None
            else None
        ),
        "associatedOrder": ({"id": order.gid, "name": order.name} if order is not None else None),
        "associatedPayout": {
            "id": gid("ShopifyPaymentsPayout", payout.id),
            "status": payout.status,
        },
    }


def _money(amount: Decimal, payout: Payout) -> dict[str, str]:
    return {"amount": str(amount), "currencyCode": payout.currency}


def _timestamp(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _terms(query: str) -> dict[str, tuple[str, str]]:
    """A search query's terms by field: (comparison, value)."""
    return {name: (op or "=", value) for name, op, value in _TERM.findall(query)}
