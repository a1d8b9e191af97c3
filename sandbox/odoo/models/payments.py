"""Customer payments (``account.payment``) and the "Register Payment" wizard
(``account.payment.register``) that makes them for invoices and credit notes.

As Odoo 18 does for one invoice or credit note at a time: the wizard, created with
``active_model`` ``account.move`` and ``active_ids``, takes the moves' amount due, the
first bank journal and the move's payment reference as defaults; ``action_create_payments``
makes one posted payment per move (inbound for an invoice, outbound for a credit note),
reconciled with it, and answers the payments' window action. A payment is ``in_process``
once posted and ``paid`` when every move it pays is paid. Grouping several moves into one
payment, write-offs and payment differences are not modelled (a payment larger than what
is due leaves nothing due).
"""

from __future__ import annotations

from typing import Any

from sandbox.odoo.exceptions import UserError
from sandbox.odoo.models.bank import OUTSTANDING, account_by_code
from sandbox.odoo.models.units import company_currency
from sandbox.odoo.orm import Env, Model, ValsList, api_model, fields, vals_list_of

PAYMENT_STATES = [
    ("draft", "Draft"),
    ("in_process", "In Process"),
    ("paid", "Paid"),
    ("canceled", "Canceled"),
    ("rejected", "Rejected"),
]
PAYMENT_TYPES = [("outbound", "Send"), ("inbound", "Receive")]
PARTNER_TYPES = [("customer", "Customer"), ("supplier", "Vendor")]
# Odoo's words when the selected moves have nothing left to pay.
NOTHING_TO_PAY = {
    18: "You can't register a payment because there is nothing left to pay on the selected "
    "journal items.",
    19: "There's nothing left to pay for the selected journal items, so no payment "
    "registration is necessary. You've got your finances under control like a boss!",
}


def _bank(env: Env) -> Any:
    return env["account.journal"].search([("type", "=", "bank")], limit=1).id or None


class AccountPayment(Model):
    _name = "account.payment"
    _description = "Payments"
    _order = "date desc, name desc, id desc"

    name = fields.Char("Number")
    state = fields.Selection(PAYMENT_STATES, "Status", default="draft", readonly=True)
    date = fields.Date("Date", default=lambda env: env.now[:10])
    amount = fields.Float(default=0.0)
    memo = fields.Char("Memo")
    journal_id = fields.Many2one("account.journal", "Journal", default=_bank)
    partner_id = fields.Many2one("res.partner", "Customer/Vendor")
    currency_id = fields.Many2one("res.currency", "Currency", default=company_currency)
    payment_type = fields.Selection(PAYMENT_TYPES, "Payment Type", default="inbound")
    partner_type = fields.Selection(PARTNER_TYPES, default="customer")
    invoice_ids = fields.Many2many("account.move", "Invoices")
    reconciled_invoice_ids = fields.Many2many(
        "account.move", "Reconciled Invoices", compute="_compute_reconciled_invoice_ids"
    )
    is_reconciled = fields.Boolean("Is Reconciled", compute="_compute_is_reconciled")
    outstanding_account_id = fields.Many2one(
        "account.account", "Outstanding Account", compute="_compute_outstanding_account_id"
    )
    is_matched = fields.Boolean("Is Matched With a Bank Statement", compute="_compute_is_matched")

    def action_post(self) -> None:
        for payment in self.exists():
            journal = self.env["account.journal"].browse(payment.journal_id)
            sequence = f"P{journal.code}"
            number = f"{sequence}/{self.env.now[:4]}/{self.env.next_number(sequence):05d}"
            Model.write(payment, {"state": "in_process", "name": number})
            _outstanding_item(payment, number)
        _settle(self)

    def _compute_outstanding_account_id(self) -> dict[int, Any]:
        accounts = {kind: account_by_code(self.env, code) for kind, code in OUTSTANDING.items()}
        return {row["id"]: accounts[row["payment_type"]] for row in self._values(["payment_type"])}

    def _compute_is_matched(self) -> dict[int, Any]:
        items = self.env["account.move.line"].search([("payment_id", "in", list(self.ids))])
        matched = {row["payment_id"] for row in items._values(["payment_id", "reconciled"])}
        matched -= {
            row["payment_id"] for row in items._values(["payment_id", "reconciled"])
            if not row["reconciled"]
        }  # fmt: skip
        return {id_: id_ in matched for id_ in self.ids}

    def _compute_reconciled_invoice_ids(self) -> dict[int, Any]:
        rows = self._values(["state", "invoice_ids"])
        return {r["id"]: r["invoice_ids"] if r["state"] != "draft" else [] for r in rows}

    def _compute_is_reconciled(self) -> dict[int, Any]:
        reconciled = self._compute_reconciled_invoice_ids()
        moves = self.env["account.move"].browse({m for ids in reconciled.values() for m in ids})
        due = {row["id"]: row["amount_residual"] for row in moves._values(["amount_residual"])}
        return {id_: bool(ids) and all(not due[m] for m in ids) for id_, ids in reconciled.items()}


class AccountPaymentRegister(Model):
    _name = "account.payment.register"
    _description = "Pay"

    payment_date = fields.Date("Payment Date", default=lambda env: env.now[:10])
    amount = fields.Float()
    communication = fields.Char("Memo")
    journal_id = fields.Many2one("account.journal", "Journal", default=_bank)
    currency_id = fields.Many2one("res.currency", "Currency")
    group_payment = fields.Boolean("Group Payments", default=True)
    line_ids = fields.Many2many("account.move", "Journal items")  # Odoo: their receivable lines

    @api_model
    def create(self, vals_list: ValsList) -> Any:
        many = vals_list_of(vals_list)
        moves = self.env["account.move"].browse(self.env.context.get("active_ids") or [])
        rows = moves._values(["state", "currency_id", "payment_reference", "name"])
        due = moves._compute_amount_residual()
        open_ = [row for row in rows if row["state"] == "posted" and due[row["id"]]]
        if self.env.context.get("active_model") != "account.move" or not open_:
            raise UserError(NOTHING_TO_PAY[min(self.env.version, 19)])
        for vals in many:
            vals.setdefault("amount", sum(due[row["id"]] for row in open_))
            vals.setdefault("currency_id", open_[0]["currency_id"])
            if len(open_) == 1:
                vals.setdefault("communication", open_[0]["payment_reference"] or open_[0]["name"])
            vals["line_ids"] = [row["id"] for row in open_]
        return super().create(many)

    def action_create_payments(self) -> Any:
        """One posted payment per move, reconciled with it; the payments' window action."""
        wizard = self.ensure_one()
        moves = self.env["account.move"].browse(wizard.line_ids)
        rows = moves._values(["move_type", "partner_id", "currency_id", "payment_reference"])
        due = moves._compute_amount_residual()
        single = len(rows) == 1
        payments = self.env["account.payment"].create(
            [
                {
                    "amount": wizard.amount if single else due[row["id"]],
                    "memo": wizard.communication if single else row["payment_reference"],
                    "journal_id": wizard.journal_id,
                    "partner_id": row["partner_id"],
                    "currency_id": wizard.currency_id if single else row["currency_id"],
                    "date": wizard.payment_date,
                    "payment_type": "outbound" if row["move_type"] == "out_refund" else "inbound",
                    "invoice_ids": [row["id"]],
                }
                for row in rows
            ]
        )
        payments.action_post()
        action: dict[str, Any] = {
            "name": "Payments",
            "type": "ir.actions.act_window",
            "res_model": "account.payment",
            "context": {"create": False},
        }
        if len(payments) == 1:
            return {**action, "view_mode": "form", "res_id": payments.ids[0]}
        return {**action, "view_mode": "list,form", "domain": [("id", "in", list(payments.ids))]}


def _outstanding_item(payment: Any, name: str) -> None:
    """The payment's journal entry, as far as modelled: its open outstanding item."""
    journal = payment.env["account.journal"].browse(payment.journal_id)
    move = payment.env["account.move"].create(
        {"move_type": "entry", "journal_id": journal.id, "date": payment.date, "ref": name}
    )
    Model.write(move, {"state": "posted", "name": name})
    amount = float(payment.amount)
    inbound = payment.payment_type == "inbound"
    payment.env["account.move.line"].create(
        {
            "move_id": move.id,
            "name": name,
            "payment_id": payment.id,
            "partner_id": payment.partner_id,
            "account_id": payment._compute_outstanding_account_id()[payment.id],
            "debit": amount if inbound else 0.0,
            "credit": 0.0 if inbound else amount,
        }
    )


def _settle(payments: Any) -> None:
    """Payments whose every move is paid are ``paid``."""
    for payment, reconciled in payments._compute_is_reconciled().items():
        if reconciled:
            Model.write(payments.browse(payment), {"state": "paid"})
