"""Stock moves: a demand (``product_uom_qty``) and what is reserved or done (``quantity``).

A move from an internal location reserves stock on the source quant when assigned; a move
from anywhere else (a vendor, a customer returning goods) is available at once, as is a
product that does not track inventory. Writing ``quantity`` on an open move re-reserves,
as Odoo 17+ does through its move lines.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sandbox.odoo.models.stock_quants import adjust, free_quantity, holds_stock
from sandbox.odoo.orm import Model, ValsList, api_model, fields, vals_list_of

MOVE_STATES = [
    ("draft", "New"),
    ("waiting", "Waiting Another Move"),
    ("confirmed", "Waiting Availability"),
    ("partially_available", "Partially Available"),
    ("assigned", "Available"),
    ("done", "Done"),
    ("cancel", "Cancelled"),
]
OPEN = ("confirmed", "partially_available", "assigned")


class Move(Model):
    _name = "stock.move"
    _description = "Stock Move"
    _order = "sequence, id"

    name = fields.Char("Description", removed_in=19)  # Odoo 19 describes a move by its product
    sequence = fields.Integer(default=10)
    product_id = fields.Many2one("product.product", "Product", required=True)
    product_uom_qty = fields.Float("Demand", default=0.0)
    quantity = fields.Float("Quantity", default=0.0)
    picked = fields.Boolean(default=False)
    location_id = fields.Many2one("stock.location", "Source Location", required=True)
    location_dest_id = fields.Many2one("stock.location", "Destination Location", required=True)
    picking_id = fields.Many2one("stock.picking", "Transfer", ondelete="cascade")
    picking_type_id = fields.Many2one("stock.picking.type", "Operation Type")
    sale_line_id = fields.Many2one("sale.order.line", "Sale Line")
    origin = fields.Char("Source Document")
    state = fields.Selection(MOVE_STATES, "Status", default="draft", readonly=True)
    is_inventory = fields.Boolean(default=False)
    date = fields.Datetime("Date Scheduled")

    @api_model
    def create(self, vals_list: ValsList) -> Any:
        many = vals_list_of(vals_list)
        for vals in many:
            # Odoo 17+ computes a move's locations from its picking when not given.
            if vals.get("picking_id"):
                picking = self.env["stock.picking"].browse(vals["picking_id"])
                vals.setdefault("location_id", picking.location_id)
                vals.setdefault("location_dest_id", picking.location_dest_id)
                vals.setdefault("picking_type_id", picking.picking_type_id)
            vals.setdefault("date", self.env.now)
        return super().create(many)

    def write(self, vals: Mapping[str, Any]) -> bool:
        if "quantity" not in vals:
            return super().write(vals)
        for move in self:
            wanted = float(vals["quantity"] or 0.0)
            if move.state in OPEN and move._reserves():
                delta = wanted - move.quantity
                if delta > 0:
                    delta = min(delta, free_quantity(self.env, move.product_id, move.location_id))
                adjust(self.env, move.product_id, move.location_id, reserved=delta)
            super(Move, move).write(vals)
            if move.state in OPEN:
                move._set_availability()
        return True

    def _reserves(self) -> bool:
        product = self.env["product.product"].browse(self.product_id)
        return bool(product.is_storable) and holds_stock(self.env, self.location_id)

    def _action_confirm(self) -> None:
        for move in self.filtered(lambda m: m.state == "draft"):
            Model.write(move, {"state": "confirmed"})

    def _action_assign(self) -> None:
        for move in self.filtered(lambda m: m.state in ("confirmed", "partially_available")):
            missing = move.product_uom_qty - move.quantity
            if move._reserves():
                missing = min(
                    missing, max(0.0, free_quantity(self.env, move.product_id, move.location_id))
                )
                adjust(self.env, move.product_id, move.location_id, reserved=missing)
            Model.write(move, {"quantity": move.quantity + missing})
            move._set_availability()

    def _set_availability(self) -> None:
        quantity, demand = self.quantity, self.product_uom_qty
        state = (
            "assigned"
            if quantity >= demand
            else "partially_available"
            if quantity > 0
            else "confirmed"
        )
        Model.write(self, {"state": state})

    def _action_done(self) -> None:
        """Take the quantity (and its reservation) from the source, add it to the destination."""
        for move in self:
            done = move.quantity
            if holds_stock(self.env, move.location_id):
                reserved = done if move._reserves() and move.state in OPEN else 0.0
                adjust(
                    self.env, move.product_id, move.location_id, quantity=-done, reserved=-reserved
                )
            if holds_stock(self.env, move.location_dest_id):
                adjust(self.env, move.product_id, move.location_dest_id, quantity=done)
            Model.write(
                move,
                {"state": "done", "product_uom_qty": done, "picked": True, "date": self.env.now},
            )

    def _action_cancel(self) -> None:
        for move in self.filtered(lambda m: m.state not in ("done", "cancel")):
            if move.state in OPEN and move._reserves():
                adjust(self.env, move.product_id, move.location_id, reserved=-move.quantity)
            Model.write(move, {"state": "cancel", "quantity": 0.0})
