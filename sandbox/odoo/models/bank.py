"""Accounts, bank statement lines and reconciling journal items, as Odoo 18 and 19 community
make them for the calls the payouts applier makes (there is no reconciliation widget in
community: a statement line is created against a counterpart account, then its counterpart
journal item is reconciled with the payment's).

- ``account.account``: ``code``, ``name``, ``account_type``, ``reconcile``; shown as
  ``"101403 Outstanding Receipts"`` by Odoo 18 and ``"Outstanding Receipts"`` by 19.
- ``account.bank.statement.line.create`` with ``journal_id``, ``amount``, ``payment_ref``,
  ``date``, ``partner_id`` and Odoo's ``counterpart_account_id`` (not a field: taken out of
  the values) makes a posted entry in the journal: the bank line (the journal's account) for
  the amount and the counterpart on that account, else on the journal's suspense account.
  ``is_reconciled`` says it has no suspense line left.
- ``account.move.line.reconcile()`` reconciles items of one reconcilable account that add up
  to zero (``reconciled``) and answers None; items of several accounts, or of an account that
  does not allow it, are a UserError in Odoo's words. Partial reconciliation is not modelled.

Posting a payment (``payments.py``) makes its journal item on the outstanding receipts
(inbound) or payments (outbound) account, open until reconciled; the receivable side is
not modelled. The user needs Odoo's ``account.group_account_basic`` (Technical / Basic, or
"Show Full Accounting Features") to create statement lines: the sandbox's one user has it.
"""

from __future__ import annotations

from typing import Any

from sandbox.odoo.exceptions import UserError
from sandbox.odoo.orm import Model, ValsList, api_model, fields, vals_list_of

ACCOUNT_TYPES = [
    ("asset_receivable", "Receivable"),
    ("asset_cash", "Bank and Cash"),
    ("asset_current", "Current Assets"),
    ("income", "Income"),
    ("expense", "Expenses"),
]
# A fresh database's accounts the payment and bank entries use (code, name, type, reconcile).
ACCOUNTS = [
    ("101401", "Bank", "asset_cash", False),
    ("101402", "Bank Suspense Account", "asset_current", False),
    ("101403", "Outstanding Receipts", "asset_current", True),
    ("101404", "Outstanding Payments", "asset_current", True),
    ("101501", "Cash", "asset_cash", False),
    ("121000", "Account Receivable", "asset_receivable", True),
    ("620000", "Bank Fees", "expense", False),
]
OUTSTANDING = {"inbound": "101403", "outbound": "101404"}
SUSPENSE = "101402"


class Account(Model):
    _name = "account.account"
    _description = "Account"
    _order = "code, id"

    code = fields.Char("Code", required=True)
    name = fields.Char("Account Name", required=True)
    account_type = fields.Selection(ACCOUNT_TYPES, "Type", required=True)
    reconcile = fields.Boolean("Allow Reconciliation", default=False)

    def _compute_display_name(self) -> dict[int, Any]:
        rows = self._values(["code", "name"])
        if self.env.version >= 19:
            return {row["id"]: row["name"] for row in rows}
        return {row["id"]: f"{row['code']} {row['name']}" for row in rows}


def account_by_code(env: Any, code: str) -> int:
    """The id of the account of ``code``."""
    return int(env["account.account"].search([("code", "=", code)], limit=1).id)


class BankStatementLine(Model):
    _name = "account.bank.statement.line"
    _description = "Bank Statement Line"
    _order = "date desc, id desc"
    _rec_name = "payment_ref"

    journal_id = fields.Many2one("account.journal", "Journal", required=True)
    move_id = fields.Many2one("account.move", "Journal Entry", readonly=True)
    date = fields.Date("Date", default=lambda env: env.now[:10])
    amount = fields.Float("Amount", default=0.0)
    payment_ref = fields.Char("Label")
    partner_id = fields.Many2one("res.partner", "Partner")
    is_reconciled = fields.Boolean("Is Reconciled", compute="_compute_is_reconciled")

    @api_model
    def create(self, vals_list: ValsList) -> Any:
        many = vals_list_of(vals_list)
        counterparts = [vals.pop("counterpart_account_id", None) for vals in many]
        created = super().create(many)
        for line, counterpart in zip(created, counterparts, strict=True):
            _post_entry(line, counterpart)
        return created

    def _compute_is_reconciled(self) -> dict[int, Any]:
        rows = self._values(["journal_id"])
        journals = self.env["account.journal"].browse({row["journal_id"] for row in rows})
        suspense = {row["suspense_account_id"] for row in journals._values(["suspense_account_id"])}
        items = self.env["account.move.line"].search([("statement_line_id", "in", list(self.ids))])
        open_ = {
            row["statement_line_id"]
            for row in items._values(["statement_line_id", "account_id"])
            if row["account_id"] in suspense
        }
        return {row["id"]: row["id"] not in open_ for row in rows}


def _post_entry(line: Any, counterpart: int | None) -> None:
    """The statement line's posted entry: the bank line and its counterpart."""
    journal = line.env["account.journal"].browse(line.journal_id)
    sequence = journal.code
    name = f"{sequence}/{line.env.now[:4]}/{line.env.next_number(f'statement.{sequence}'):05d}"
    amount = float(line.amount)
    move = line.env["account.move"].create(
        {"move_type": "entry", "journal_id": journal.id, "date": line.date, "ref": line.payment_ref}
    )
    Model.write(move, {"state": "posted", "name": name})
    common = {"move_id": move.id, "statement_line_id": line.id, "partner_id": line.partner_id}
    line.env["account.move.line"].create(
        [
            {**common, "name": line.payment_ref, "account_id": journal.default_account_id,
             "debit": max(amount, 0.0), "credit": max(-amount, 0.0)},
            {**common, "name": line.payment_ref,
             "account_id": counterpart or journal.suspense_account_id,
             "debit": max(-amount, 0.0), "credit": max(amount, 0.0)},
        ]
    )  # fmt: skip
    Model.write(line, {"move_id": move.id})


def reconcile(items: Any) -> None:
    """``account.move.line.reconcile``: see the module's docstring."""
    rows = items._values(["account_id", "debit", "credit", "reconciled"])
    accounts = items.env["account.account"].browse({row["account_id"] for row in rows})
    shown = {row["id"]: row["display_name"] for row in accounts._values(["display_name"])}
    if len(accounts) > 1:
        ordered = accounts.search([("id", "in", list(accounts.ids))])
        names = ", ".join(shown[id_] for id_ in ordered.ids)
        raise UserError(f"Entries are not from the same account: {names}")
    for row in accounts._values(["reconcile"]):
        if not row["reconcile"]:
            raise UserError(
                f"Account {shown[row['id']]} does not allow reconciliation. First change the "
                "configuration of this account to allow it."
            )
    balance = sum(row["debit"] - row["credit"] for row in rows)
    if len(rows) > 1 and abs(balance) < 0.005:
        Model.write(items, {"reconciled": True})
