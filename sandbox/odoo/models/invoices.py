"""Customer invoices and credit notes (``account.move``), their journals, and invoicing a
sales order through the wizard a user clicks (``sale.advance.payment.inv``).

As Odoo 18 does for the calls the pipeline makes: an invoice is a draft without a name
until ``action_post`` (which answers ``False``) numbers it ``INV/<year>/<n>`` (a credit
note ``RINV/...``) and sets ``payment_reference``; its amounts are its lines' taxes rounded
as the company says, as a sales order's are; ``amount_residual`` is what its payments
(``payments.py``) leave open, and ``payment_state`` says ``not_paid``, ``partial`` or
``paid``. A line's ``sale_line_ids`` ties it to the sales order lines it invoices, which
gives an order its ``invoice_ids`` and its lines their invoiced quantity.
"""

# ruff: noqa: S608  (table names come from the model definitions, values are bound)

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sandbox.odoo.exceptions import UserError
from sandbox.odoo.models.bank import SUSPENSE, account_by_code, reconcile
from sandbox.odoo.models.company import the_company
from sandbox.odoo.models.taxes import line_taxes, order_amounts, rounded_line
from sandbox.odoo.models.units import company_currency
from sandbox.odoo.orm import Env, Model, ValsList, api_model, fields, vals_list_of
from sandbox.odoo.orm.fields import float_round

JOURNAL_TYPES = [
    ("sale", "Sales"),
    ("purchase", "Purchase"),
    ("cash", "Cash"),
    ("bank", "Bank"),
    ("general", "Miscellaneous"),
]
MOVE_TYPES = [
    ("entry", "Journal Entry"),
    ("out_invoice", "Customer Invoice"),
    ("out_refund", "Customer Credit Note"),
]
MOVE_STATES = [("draft", "Draft"), ("posted", "Posted"), ("cancel", "Cancelled")]
PAYMENT_STATES = [
    ("not_paid", "Not Paid"),
    ("in_payment", "In Payment"),
    ("paid", "Paid"),
    ("partial", "Partially Paid"),
    ("reversed", "Reversed"),
]
DISPLAY_TYPES = [("product", "Product"), ("tax", "Tax"), ("payment_term", "Payment Term")]
# Odoo's sale._nothing_to_invoice_error_message, first paragraph.
NOTHING_TO_INVOICE = "Cannot create an invoice. No items are available to invoice."


def _sale(env: Env) -> Any:
    return env["account.journal"].search([("type", "=", "sale")], limit=1).id or None


class Journal(Model):
    _name = "account.journal"
    _description = "Journal"
    _order = "sequence, type, code"

    name = fields.Char("Journal Name", required=True)
    code = fields.Char("Short Code", required=True)
    type = fields.Selection(JOURNAL_TYPES, required=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    default_account_id = fields.Many2one("account.account", "Default Account")
    suspense_account_id = fields.Many2one("account.account", "Suspense Account")

    @api_model
    def create(self, vals_list: ValsList) -> Any:
        """A bank or cash journal gets an account of its own and the suspense account, as
        Odoo makes them."""
        many = vals_list_of(vals_list)
        accounts = self.env["account.account"]
        for vals in many:
            if vals.get("type") not in ("bank", "cash"):
                continue
            vals.setdefault("suspense_account_id", account_by_code(self.env, SUSPENSE))
            if not vals.get("default_account_id"):
                taken = len(accounts.search([("account_type", "=", "asset_cash")]))
                own = {
                    "code": f"1014{10 + taken}",
                    "name": vals.get("name"),
                    "account_type": "asset_cash",
                }
                vals["default_account_id"] = accounts.create(own).id
        return super().create(many)


class AccountMove(Model):
    _name = "account.move"
    _description = "Journal Entry"
    _order = "date desc, name desc, id desc"

    name = fields.Char("Number")
    move_type = fields.Selection(MOVE_TYPES, "Type", required=True, default="entry")
    state = fields.Selection(MOVE_STATES, "Status", default="draft", readonly=True)
    date = fields.Date("Date", default=lambda env: env.now[:10])
    partner_id = fields.Many2one("res.partner", "Partner")
    currency_id = fields.Many2one("res.currency", "Currency", default=company_currency)
    journal_id = fields.Many2one("account.journal", "Journal", default=_sale)
    ref = fields.Char("Reference")
    payment_reference = fields.Char("Payment Reference")
    invoice_origin = fields.Char("Origin")
    reversed_entry_id = fields.Many2one("account.move", "Reversal of")
    # Odoo keeps it in account.partial.reconcile: what a credit note settled of the
    # invoice it reverses when it was posted.
    reversal_reconciled = fields.Float("Reconciled with the reversed entry", readonly=True)
    invoice_line_ids = fields.One2many("account.move.line", "move_id", "Invoice lines")
    amount_untaxed = fields.Float("Untaxed Amount", compute="_compute_amount_untaxed")
    amount_tax = fields.Float("Tax", compute="_compute_amount_tax")
    amount_total = fields.Float("Total", compute="_compute_amount_total")
    amount_residual = fields.Float("Amount Due", compute="_compute_amount_residual")
    payment_state = fields.Selection(
        PAYMENT_STATES, "Payment Status", compute="_compute_payment_state"
    )

    def action_post(self) -> bool:
        for move in self.exists():
            if move.state != "draft":
                raise UserError("The entry is already posted.")  # sandbox's words
            kind = {"out_invoice": "INV", "out_refund": "RINV"}.get(move.move_type, "MISC")
            year = self.env.now[:4]
            number = f"{kind}/{year}/{self.env.next_number(f'account.move.{kind}'):05d}"
            reference = number if move.move_type == "out_invoice" else None
            Model.write(move, {"state": "posted", "name": number, "payment_reference": reference})
            if move.reversed_entry_id:
                # Posting a credit note reconciles it with what its invoice still owes.
                invoice = self.browse(move.reversed_entry_id)
                due = invoice._compute_amount_residual()[invoice.id]
                total = move._amounts()[move.id][2]
                Model.write(move, {"reversal_reconciled": min(due, total)})
        return False  # Odoo 18 answers False

    def _compute_amount_untaxed(self) -> dict[int, Any]:
        return {id_: amounts[0] for id_, amounts in self._amounts().items()}

    def _compute_amount_tax(self) -> dict[int, Any]:
        return {id_: amounts[1] for id_, amounts in self._amounts().items()}

    def _compute_amount_total(self) -> dict[int, Any]:
        return {id_: amounts[2] for id_, amounts in self._amounts().items()}

    def _amounts(self) -> dict[int, tuple[float, float, float]]:
        per_line = the_company(self.env).tax_calculation_rounding_method == "round_per_line"
        lines = self.env["account.move.line"].search([("move_id", "in", list(self.ids))])
        grouped: dict[int, list[Any]] = {id_: [] for id_ in self.ids}
        for move, taxes in lines._line_taxes():
            grouped[move].append(taxes)
        roundings = self._roundings()
        return {
            id_: order_amounts(found, roundings[id_], per_line=per_line)
            for id_, found in grouped.items()
        }

    def _roundings(self) -> dict[int, float]:
        rows = self._values(["currency_id"])
        currencies = self.env["res.currency"].browse({r["currency_id"] for r in rows} - {None})
        rounding = {row["id"]: row["rounding"] for row in currencies._values(["rounding"])}
        return {row["id"]: rounding.get(row["currency_id"], 0.01) for row in rows}

    def _compute_amount_residual(self) -> dict[int, Any]:
        settled = self._settled()
        roundings = self._roundings()
        rows = {row["id"]: row["state"] for row in self._values(["state"])}
        return {
            id_: max(float_round(total[2] - settled.get(id_, 0.0), roundings[id_]), 0.0)
            if rows[id_] == "posted"
            else total[2]
            for id_, total in self._amounts().items()
        }

    def _settled(self) -> dict[int, float]:
        """Per move, what its payments and the credit notes reconciled with it settled."""
        settled = _paid(self.env, self.ids)
        for row in self._values(["reversal_reconciled"]):
            settled[row["id"]] = settled.get(row["id"], 0.0) + row["reversal_reconciled"]
        reversals = self.search([("reversed_entry_id", "in", list(self.ids))])
        for row in reversals._values(["reversed_entry_id", "reversal_reconciled"]):
            invoice = row["reversed_entry_id"]
            settled[invoice] = settled.get(invoice, 0.0) + row["reversal_reconciled"]
        return settled

    def _compute_payment_state(self) -> dict[int, Any]:
        paid = self._settled()
        residual = self._compute_amount_residual()
        states = {row["id"]: row["state"] for row in self._values(["state"])}
        found: dict[int, Any] = {}
        for id_ in self.ids:
            if states.get(id_) != "posted" or not paid.get(id_):
                found[id_] = "not_paid"
            else:
                found[id_] = "paid" if residual[id_] == 0 else "partial"
        return found


class AccountMoveLine(Model):
    """An invoice line: a product, quantity, price, discount and taxes."""

    _name = "account.move.line"
    _description = "Journal Item"
    _order = "move_id, sequence, id"

    move_id = fields.Many2one("account.move", "Journal Entry", required=True, ondelete="cascade")
    sequence = fields.Integer(default=10)
    # Odoo's journal items also hold the tax, receivable and section lines; the sandbox
    # keeps the product lines only.
    display_type = fields.Selection(DISPLAY_TYPES, "Display Type", default="product")
    product_id = fields.Many2one("product.product", "Product")
    name = fields.Char("Label")
    quantity = fields.Float(default=1.0)
    price_unit = fields.Float("Unit Price")
    discount = fields.Float("Discount (%)", digits=2, default=0.0)
    tax_ids = fields.Many2many("account.tax", "Taxes")
    sale_line_ids = fields.Many2many("sale.order.line", "Sales Order Lines")
    price_subtotal = fields.Float("Subtotal", compute="_compute_price_subtotal")
    price_total = fields.Float("Total", compute="_compute_price_total")
    # The journal items of payments and bank statement lines (``bank.py``); an invoice's
    # product lines leave them empty.
    account_id = fields.Many2one("account.account", "Account")
    partner_id = fields.Many2one("res.partner", "Partner")
    debit = fields.Float("Debit", default=0.0)
    credit = fields.Float("Credit", default=0.0)
    balance = fields.Float("Balance", compute="_compute_balance")
    reconciled = fields.Boolean("Reconciled", default=False, readonly=True)
    payment_id = fields.Many2one("account.payment", "Originator Payment")
    statement_line_id = fields.Many2one("account.bank.statement.line", "Statement Line")

    def reconcile(self) -> None:
        reconcile(self)

    def _compute_balance(self) -> dict[int, Any]:
        return {
            row["id"]: row["debit"] - row["credit"] for row in self._values(["debit", "credit"])
        }

    def _compute_price_subtotal(self) -> dict[int, Any]:
        return {id_: amounts[0] for id_, amounts in self._rounded().items()}

    def _compute_price_total(self) -> dict[int, Any]:
        return {id_: amounts[2] for id_, amounts in self._rounded().items()}

    def _rounded(self) -> dict[int, tuple[float, float, float]]:
        rows = self._values(["move_id"])
        moves = self.env["account.move"].browse({row["move_id"] for row in rows})
        roundings = moves._roundings()
        by_line = dict(self._line_taxes(by_line=True))
        return {
            row["id"]: rounded_line(by_line[row["id"]], roundings[row["move_id"]]) for row in rows
        }

    def _line_taxes(self, *, by_line: bool = False) -> list[tuple[int, Any]]:
        """Each line's unrounded amounts, keyed by its move (or by itself)."""
        rows = self._values(["move_id", "quantity", "price_unit", "discount", "tax_ids"])
        taxes = {
            row["id"]: row
            for row in self.env["account.tax"]
            .browse({tax for row in rows for tax in row["tax_ids"]})
            ._values(["amount", "price_include"])
        }
        return [
            (
                row["id"] if by_line else row["move_id"],
                line_taxes(
                    [taxes[tax] for tax in row["tax_ids"]],
                    row["price_unit"],
                    row["quantity"],
                    row["discount"],
                ),
            )
            for row in rows
        ]


class SaleAdvancePaymentInv(Model):
    """The "Create Invoice" wizard; only regular invoices (``delivered``), no down payments."""

    _name = "sale.advance.payment.inv"
    _description = "Sales Advance Payment Invoice"

    advance_payment_method = fields.Selection(
        [("delivered", "Regular invoice")], "Create Invoice", default="delivered"
    )
    sale_order_ids = fields.Many2many(
        "sale.order", "Sales Orders", default=lambda env: env.context.get("active_ids") or []
    )

    def create_invoices(self) -> dict[str, Any]:
        """One invoice per order of what it has to invoice; the invoices' window action."""
        orders = self.env["sale.order"].browse(self.ensure_one().sale_order_ids)
        invoices = _invoice_orders(orders)
        return {
            "type": "ir.actions.act_window",
            "name": "Invoices",
            "res_model": "account.move",
            "domain": [("id", "in", invoices)],
        }


def _invoice_orders(orders: Any) -> list[int]:
    env = orders.env
    lines = env["sale.order.line"].search([("order_id", "in", list(orders.ids))])
    to_invoice = {
        row["id"]: row
        for row in lines._values(
            ["order_id", "product_id", "name", "price_unit", "discount", "qty_to_invoice"]
        )
        if row["qty_to_invoice"]
    }
    if not to_invoice:
        raise UserError(NOTHING_TO_INVOICE)
    taxes_field = lines._taxes_field()
    taxes = {row["id"]: row[taxes_field] for row in lines._values([taxes_field])}
    by_order: dict[int, list[Any]] = defaultdict(list)
    for line_id, row in to_invoice.items():
        by_order[row["order_id"]].append(
            [
                0,
                0,
                {
                    "product_id": row["product_id"],
                    "name": row["name"],
                    "quantity": row["qty_to_invoice"],
                    "price_unit": row["price_unit"],
                    "discount": row["discount"],
                    "tax_ids": taxes[line_id],
                    "sale_line_ids": [line_id],
                },
            ]
        )
    heads = {
        row["id"]: row
        for row in env["sale.order"]
        .browse(list(by_order))
        ._values(["name", "partner_id", "currency_id", "client_order_ref"])
    }
    invoices = env["account.move"].create(
        [
            {
                "move_type": "out_invoice",
                "partner_id": heads[order]["partner_id"],
                "currency_id": heads[order]["currency_id"],
                "invoice_origin": heads[order]["name"],
                # Odoo 19 names the order when it has no customer reference; 18 leaves it empty.
                "ref": heads[order]["client_order_ref"]
                or (heads[order]["name"] if env.version >= 19 else ""),
                "invoice_line_ids": commands,
            }
            for order, commands in by_order.items()
        ]
    )
    return list(invoices.ids)


def invoiced(
    env: Env, sale_line_ids: tuple[int, ...]
) -> tuple[dict[int, float], dict[int, set[int]]]:
    """Per sales order line, the quantity its live invoices (less credit notes) bill, and
    the moves that bill it."""
    quantities: dict[int, float] = dict.fromkeys(sale_line_ids, 0.0)
    moves: dict[int, set[int]] = defaultdict(set)
    if not sale_line_ids:
        return quantities, moves
    marks = ",".join("?" * len(sale_line_ids))
    sql = (
        "SELECT link.value, line.quantity, move.id, move.move_type, move.state "
        "FROM account_move_line AS line, json_each(line.sale_line_ids) AS link "
        "JOIN account_move AS move ON move.id = line.move_id "
        f"WHERE link.value IN ({marks})"
    )
    for sale_line, quantity, move, move_type, state in env.cr.execute(sql, sale_line_ids):
        moves[sale_line].add(move)
        if state != "cancel":
            quantities[sale_line] += -quantity if move_type == "out_refund" else quantity
    return quantities, moves


def _paid(env: Env, move_ids: tuple[int, ...]) -> dict[int, float]:
    """Per move, the amount of the posted payments reconciled with it."""
    if not move_ids:
        return {}
    marks = ",".join("?" * len(move_ids))
    sql = (
        "SELECT link.value, SUM(payment.amount) "
        "FROM account_payment AS payment, json_each(payment.invoice_ids) AS link "
        f"WHERE payment.state IN ('in_process', 'paid') AND link.value IN ({marks}) "
        "GROUP BY link.value"
    )
    return {int(move): float(total) for move, total in env.cr.execute(sql, move_ids)}
