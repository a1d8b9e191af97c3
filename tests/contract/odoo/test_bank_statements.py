"""Bank statement lines and reconciliation as Odoo 18 and 19 community offer them over the
external API, for the calls the payouts applier makes: a statement line created against a
counterpart account (Odoo's ``counterpart_account_id``), its counterpart journal item
reconciled with a payment's outstanding item by ``account.move.line.reconcile``.

Against a real Odoo the user needs "Technical / Basic" (``account.group_account_basic``,
implied by "Show Full Accounting Features") to create statement lines.
"""

from __future__ import annotations

from typing import Any

import pytest

from retailsync.odoo import OdooClient
from retailsync.odoo.errors import OdooUserError

from .conftest import Target
from .test_accounting import _bank, _pay, _posted_invoice

pytestmark = pytest.mark.contract

ITEM_FIELDS = ["account_id", "debit", "credit", "balance", "reconciled", "statement_line_id"]


def _account(client: OdooClient, code: str) -> int:
    [account] = client.search_read("account.account", [("code", "=", code)], ["id"])
    return int(account["id"])


def _paid_invoice(client: OdooClient, unique: str) -> tuple[int, dict[str, Any]]:
    """An invoice of 23.00 paid in the bank journal, and its payment."""
    invoice = _posted_invoice(client, unique)
    action = _pay(client, [invoice], journal_id=_bank(client), group_payment=False)
    fields = ["amount", "payment_type", "partner_id", "outstanding_account_id", "is_matched"]
    [payment] = client.read("account.payment", [action["res_id"]], fields)
    return invoice, payment


def _statement_line(client: OdooClient, amount: float, label: str, **vals: Any) -> int:
    [line] = client.create(
        "account.bank.statement.line",
        [{"journal_id": _bank(client), "amount": amount, "payment_ref": label, **vals}],
    )
    return int(line)


def _items(client: OdooClient, line: int) -> list[dict[str, Any]]:
    return client.search_read(
        "account.move.line", [("statement_line_id", "=", line)], ITEM_FIELDS, order="id"
    )


def test_the_bank_fees_and_outstanding_accounts_are_found_by_code(
    client: OdooClient, odoo_target: Target
) -> None:
    rows = client.search_read(
        "account.account",
        [("code", "in", ["101403", "101404", "620000"])],
        ["code", "name", "reconcile", "display_name"],
        order="code",
    )
    found = [(row["code"], row["name"], row["reconcile"]) for row in rows]
    assert found == [
        ("101403", "Outstanding Receipts", True),
        ("101404", "Outstanding Payments", True),
        ("620000", "Bank Fees", False),
    ]
    # Odoo 19 no longer shows the code in an account's name.
    shown = "620000 Bank Fees" if odoo_target.major_version < 19 else "Bank Fees"
    assert rows[2]["display_name"] == shown


def test_a_payment_leaves_an_open_item_on_its_outstanding_account(
    client: OdooClient, unique: str
) -> None:
    _, payment = _paid_invoice(client, unique)

    items = client.search_read(
        "account.move.line",
        [("payment_id", "=", payment["id"]), ("reconciled", "=", False)],
        ["account_id", "balance"],
    )

    assert payment["outstanding_account_id"][0] == _account(client, "101403")
    assert payment["is_matched"] is False
    assert [(i["account_id"][0], i["balance"]) for i in items] == [
        (payment["outstanding_account_id"][0], 23.0)
    ]


def test_a_statement_line_books_the_bank_against_the_counterpart_account(
    client: OdooClient, unique: str
) -> None:
    fees = _account(client, "620000")
    [journal] = client.read("account.journal", [_bank(client)], ["default_account_id"])

    line = _statement_line(client, -1.17, f"fees {unique}", counterpart_account_id=fees)

    [row] = client.read(
        "account.bank.statement.line", [line], ["amount", "is_reconciled", "move_id"]
    )
    assert (row["amount"], row["is_reconciled"]) == (-1.17, True)
    items = [(i["account_id"][0], i["balance"]) for i in _items(client, line)]
    assert sorted(items) == sorted([(journal["default_account_id"][0], -1.17), (fees, 1.17)])


def test_a_statement_line_without_a_counterpart_waits_on_the_suspense_account(
    client: OdooClient, unique: str
) -> None:
    [journal] = client.read("account.journal", [_bank(client)], ["suspense_account_id"])

    line = _statement_line(client, 7.0, f"unknown {unique}")

    [row] = client.read("account.bank.statement.line", [line], ["is_reconciled"])
    assert row["is_reconciled"] is False
    suspense = journal["suspense_account_id"][0]
    assert [i["balance"] for i in _items(client, line) if i["account_id"][0] == suspense] == [-7.0]


def test_reconciling_the_counterpart_with_the_payment_matches_the_payment(
    client: OdooClient, unique: str
) -> None:
    invoice, payment = _paid_invoice(client, unique)
    outstanding = payment["outstanding_account_id"][0]
    line = _statement_line(
        client, 23.0, f"charge {unique}", counterpart_account_id=outstanding,
        partner_id=payment["partner_id"][0],
    )  # fmt: skip
    [counterpart] = [i["id"] for i in _items(client, line) if i["account_id"][0] == outstanding]
    [open_item] = client.search_read(
        "account.move.line",
        [("payment_id", "=", payment["id"]), ("account_id", "=", outstanding)],
        ["id"],
    )

    assert client.call("account.move.line", "reconcile", [counterpart, open_item["id"]]) is None

    reconciled = client.read("account.move.line", [counterpart, open_item["id"]], ["reconciled"])
    assert [row["reconciled"] for row in reconciled] == [True, True]
    [after] = client.read("account.payment", [payment["id"]], ["is_matched", "state"])
    assert (after["is_matched"], after["state"]) == (True, "paid")
    [paid] = client.read("account.move", [invoice], ["payment_state", "amount_residual"])
    assert (paid["payment_state"], paid["amount_residual"]) == ("paid", 0.0)


def test_items_of_two_accounts_do_not_reconcile(
    client: OdooClient, unique: str, odoo_target: Target
) -> None:
    fees, outstanding = _account(client, "620000"), _account(client, "101403")
    first = _statement_line(client, -2.0, f"fees {unique}", counterpart_account_id=fees)
    second = _statement_line(client, 2.0, f"in {unique}", counterpart_account_id=outstanding)
    fee_item = next(i["id"] for i in _items(client, first) if i["account_id"][0] == fees)
    open_item = next(i["id"] for i in _items(client, second) if i["account_id"][0] == outstanding)

    with pytest.raises(OdooUserError) as refused:
        client.call("account.move.line", "reconcile", [fee_item, open_item])
    names = ("101403 Outstanding Receipts", "620000 Bank Fees")
    if odoo_target.major_version >= 19:
        names = ("Outstanding Receipts", "Bank Fees")
    assert f"Entries are not from the same account: {', '.join(names)}" in str(refused.value)

    with pytest.raises(OdooUserError) as alone:
        client.call("account.move.line", "reconcile", [fee_item])
    assert f"Account {names[1]} does not allow reconciliation" in str(alone.value)


def test_a_bank_journal_made_over_the_api_gets_an_account_and_the_suspense_account(
    client: OdooClient, unique: str
) -> None:
    [bank] = client.read("account.journal", [_bank(client)], ["suspense_account_id"])
    code = unique[:5].upper()

    [journal] = client.create(
        "account.journal", [{"name": f"Gateway {unique}", "code": code, "type": "bank"}]
    )

    [row] = client.read("account.journal", [journal], ["default_account_id", "suspense_account_id"])
    assert row["suspense_account_id"] == bank["suspense_account_id"]
    [account] = client.read("account.account", [row["default_account_id"][0]], ["account_type"])
    assert account["account_type"] == "asset_cash"
    line = _statement_line(client, 5.0, f"own {unique}", journal_id=journal)
    accounts = {item["account_id"][0] for item in _items(client, line)}
    assert accounts == {row["default_account_id"][0], bank["suspense_account_id"][0]}
