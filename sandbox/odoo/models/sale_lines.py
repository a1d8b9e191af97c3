"""Sales order lines: a product, a quantity, a price, its taxes, and what has been delivered.

A line created without taxes takes its product's customer taxes, as Odoo's
``_compute_tax_id`` does; explicit taxes (even none) are kept. Odoo 19 renamed the field
``tax_id`` to ``tax_ids``.
"""

from __future__ import annotations

from typing import Any

from sandbox.odoo.models.invoices import invoiced
from sandbox.odoo.models.taxes import LineTaxes, line_taxes, rounded_line
from sandbox.odoo.orm import Model, ValsList, api_model, fields, vals_list_of


class SaleOrderLine(Model):
    _name = "sale.order.line"
    _description = "Sales Order Line"
    _order = "order_id, sequence, id"

    order_id = fields.Many2one("sale.order", "Order Reference", required=True, ondelete="cascade")
    sequence = fields.Integer(default=10)
    product_id = fields.Many2one("product.product", "Product")
    name = fields.Text("Description")
    product_uom_qty = fields.Float("Quantity", default=1.0)
    price_unit = fields.Float("Unit Price")
    discount = fields.Float("Discount (%)", digits=2, default=0.0)
    tax_id = fields.Many2many("account.tax", "Taxes", removed_in=19)
    tax_ids = fields.Many2many("account.tax", "Taxes", added_in=19)
    is_delivery = fields.Boolean("Is a Delivery", default=False)
    currency_id = fields.Many2one("res.currency", "Currency", related="order_id.currency_id")
    price_subtotal = fields.Float("Subtotal", compute="_compute_price_subtotal")
    price_tax = fields.Float("Total Tax", compute="_compute_price_tax")
    price_total = fields.Float("Total", compute="_compute_price_total")
    qty_delivered = fields.Float("Delivery Quantity", compute="_compute_qty_delivered")
    move_ids = fields.One2many("stock.move", "sale_line_id", "Stock Moves")
    qty_invoiced = fields.Float("Invoiced Quantity", compute="_compute_qty_invoiced")
    qty_to_invoice = fields.Float("Quantity To Invoice", compute="_compute_qty_to_invoice")

    @api_model
    def create(self, vals_list: ValsList) -> Any:
        many = vals_list_of(vals_list)
        for vals in many:
            product = self.env["product.product"].browse(vals.get("product_id") or [])
            if product:
                vals.setdefault("name", product.display_name)
                vals.setdefault("price_unit", product.list_price)
                vals.setdefault(self._taxes_field(), product.taxes_id)
        return super().create(many)

    def _taxes_field(self) -> str:
        return "tax_ids" if self.env.version >= 19 else "tax_id"

    def _compute_price_subtotal(self) -> dict[int, Any]:
        return {id_: amounts[0] for id_, amounts in self._rounded().items()}

    def _compute_price_tax(self) -> dict[int, Any]:
        # Odoo 18 stores total less subtotal, a float difference left unrounded
        # (4.979999999999997 for 29.90 less 24.92).
        return {id_: amounts[2] - amounts[0] for id_, amounts in self._rounded().items()}

    def _compute_price_total(self) -> dict[int, Any]:
        return {id_: amounts[2] for id_, amounts in self._rounded().items()}

    def _rounded(self) -> dict[int, tuple[float, float, float]]:
        # Each line shows its own amounts rounded, whatever the company's rounding method.
        return {id_: rounded_line(*pair) for id_, pair in self._line_taxes().items()}

    def _line_taxes(self) -> dict[int, tuple[LineTaxes, float]]:
        """Each line's unrounded amounts and its currency's rounding."""
        taxes_field = self._taxes_field()
        rows = self._values(["product_uom_qty", "price_unit", "discount", taxes_field, "order_id"])
        taxes = {
            row["id"]: row
            for row in self.env["account.tax"]
            .browse({tax for row in rows for tax in row[taxes_field]})
            ._values(["amount", "price_include"])
        }
        orders = self.env["sale.order"].browse({row["order_id"] for row in rows})
        currencies = {row["id"]: row["currency_id"] for row in orders._values(["currency_id"])}
        roundings = {
            row["id"]: row["rounding"]
            for row in self.env["res.currency"]
            .browse(set(currencies.values()) - {None})
            ._values(["rounding"])
        }
        return {
            row["id"]: (
                line_taxes(
                    [taxes[tax] for tax in row[taxes_field]],
                    row["price_unit"],
                    row["product_uom_qty"],
                    row["discount"],
                ),
                roundings.get(currencies[row["order_id"]], 0.01),
            )
            for row in rows
        }

    def _compute_qty_delivered(self) -> dict[int, Any]:
        moves = self.env["stock.move"].search(
            [("sale_line_id", "in", list(self.ids)), ("state", "=", "done")]
        )
        delivered = dict.fromkeys(self.ids, 0.0)
        for move in moves:
            outgoing = self.env["stock.location"].browse(move.location_dest_id).usage == "customer"
            delivered[move.sale_line_id] += move.quantity if outgoing else -move.quantity
        return delivered

    def _compute_qty_invoiced(self) -> dict[int, Any]:
        return invoiced(self.env, self.ids)[0]

    def _compute_qty_to_invoice(self) -> dict[int, Any]:
        """What the product's invoicing policy says is due (ordered or delivered), less
        what is invoiced; nothing before the order is confirmed."""
        rows = self._values(["order_id", "product_id", "product_uom_qty"])
        orders = self.env["sale.order"].browse({row["order_id"] for row in rows})
        confirmed = {row["id"] for row in orders._values(["state"]) if row["state"] == "sale"}
        products = self.env["product.product"].browse({r["product_id"] for r in rows} - {None})
        policy = {row["id"]: row["invoice_policy"] for row in products._values(["invoice_policy"])}
        done = self._compute_qty_invoiced()
        delivered = self._compute_qty_delivered()
        return {
            row["id"]: (
                delivered[row["id"]]
                if policy.get(row["product_id"]) == "delivery"
                else row["product_uom_qty"]
            )
            - done[row["id"]]
            if row["order_id"] in confirmed
            else 0.0
            for row in rows
        }
