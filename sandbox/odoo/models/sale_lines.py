"""Sales order lines: a product, a quantity, a price, and what has been delivered of it."""

from __future__ import annotations

from typing import Any

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
    discount = fields.Float("Discount (%)", default=0.0)
    price_subtotal = fields.Float("Subtotal", compute="_compute_subtotal")
    qty_delivered = fields.Float("Delivery Quantity", compute="_compute_qty_delivered")
    move_ids = fields.One2many("stock.move", "sale_line_id", "Stock Moves")

    @api_model
    def create(self, vals_list: ValsList) -> Any:
        many = vals_list_of(vals_list)
        for vals in many:
            product = self.env["product.product"].browse(vals.get("product_id") or [])
            if product:
                vals.setdefault("name", product.display_name)
                vals.setdefault("price_unit", product.list_price)
        return super().create(many)

    def _compute_subtotal(self) -> dict[int, Any]:
        rows = self._values(["product_uom_qty", "price_unit", "discount"])
        return {
            r["id"]: r["product_uom_qty"] * r["price_unit"] * (1 - r["discount"] / 100)
            for r in rows
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
