"""Quants: the quantity of a product in a location, and Odoo's inventory mode.

Stock changes as in Odoo 18: ``create`` with ``inventory_mode`` in the context sets the
counted ``inventory_quantity`` (on the existing quant if there is one), and
``action_apply_inventory`` applies it through a done move from the inventory-adjustment
location. Only internal locations hold quants; the sandbox reserves and takes stock from
the move's own location, not its children.

An emptied quant stays, at quantity 0, until Odoo's quant tasks delete it: ``_quant_tasks``
(merge duplicates, clean reservations, ``_unlink_zero_quants``) runs with the stock
scheduler and whenever a user opens the Physical Inventory (``action_view_inventory``), so a
quant may vanish before anyone read its last write. The sandbox keeps one quant per product
and location and reserves exactly, so of those tasks only the unlink has work to do.
"""

from __future__ import annotations

from typing import Any

from sandbox.odoo.exceptions import ValidationError
from sandbox.odoo.orm import Env, Model, ValsList, api_model, fields, vals_list_of

# What keeps a quant from Odoo's unlink of zero quants: stock on hand, reserved or counted.
_HELD = ("quantity", "reserved_quantity", "inventory_quantity")


class Quant(Model):
    _name = "stock.quant"
    _description = "Quants"

    product_id = fields.Many2one("product.product", "Product", required=True, ondelete="restrict")
    location_id = fields.Many2one("stock.location", "Location", required=True, ondelete="restrict")
    quantity = fields.Float(readonly=True)
    reserved_quantity = fields.Float("Reserved Quantity", readonly=True)
    inventory_quantity = fields.Float("Counted Quantity")
    inventory_quantity_set = fields.Boolean("Inventory Quantity Set", default=False)
    inventory_diff_quantity = fields.Float("Difference", compute="_compute_inventory_diff")
    available_quantity = fields.Float("Available Quantity", compute="_compute_available")

    @api_model
    def create(self, vals_list: ValsList) -> Any:
        many = vals_list_of(vals_list)
        ids = []
        for vals in many:
            product = self.env["product.product"].browse(vals.get("product_id") or [])
            if product and not product.is_storable:
                raise ValidationError("Quants cannot be created for consumables or services.")
            if self.env.context.get("inventory_mode") and "inventory_quantity" in vals:
                counted = {
                    "inventory_quantity": vals["inventory_quantity"],
                    "inventory_quantity_set": True,
                }
                found = self.search(
                    [
                        ("product_id", "=", vals.get("product_id")),
                        ("location_id", "=", vals.get("location_id")),
                    ],
                    limit=1,
                )
                if found:
                    found.write(counted)
                    ids.append(found.id)
                    continue
                vals.update(counted)
            ids.extend(super().create(vals).ids)
        return self.browse(ids)

    def action_apply_inventory(self) -> None:
        """Apply the counted quantities: one done move per quant, from or to inventory loss."""
        loss = self.env["stock.location"].search([("usage", "=", "inventory")], limit=1)
        for quant in self.filtered(lambda q: q.inventory_quantity_set):
            diff = quant.inventory_quantity - quant.quantity
            if diff:
                here, there = quant.location_id, loss.id
                source, dest = (there, here) if diff > 0 else (here, there)
                moves = self.env["stock.move"]
                move = moves.create(
                    {
                        **moves._known_vals(name="Product Quantity Updated"),
                        "product_id": quant.product_id,
                        "product_uom_qty": abs(diff),
                        "quantity": abs(diff),
                        "picked": True,
                        "location_id": source,
                        "location_dest_id": dest,
                        "is_inventory": True,
                    }
                )
                move._action_done()
            quant.write({"inventory_quantity": 0.0, "inventory_quantity_set": False})

    @api_model
    def action_view_inventory(self) -> dict[str, Any]:
        """The Physical Inventory view's action; Odoo runs its quant tasks first."""
        self._quant_tasks()
        return {
            "name": "Inventory Adjustments",
            "view_mode": "list",
            "res_model": "stock.quant",
            "type": "ir.actions.act_window",
            "context": {**self.env.context, "no_at_date": True},
            "domain": [["location_id.usage", "in", ["internal", "transit"]]],
            "views": [[False, "list"]],
        }

    @api_model
    def _quant_tasks(self) -> None:
        self._unlink_zero_quants()

    @api_model
    def _unlink_zero_quants(self) -> None:
        """Delete every quant with nothing on hand, reserved or counted, as Odoo does."""
        rows = self.search([])._values(_HELD)
        # Compared at 6 digits, as Odoo does (twice the precision of Units).
        empty = self.browse(
            [row["id"] for row in rows if not any(round(row[n] or 0.0, 6) for n in _HELD)]
        )
        if empty:
            empty.unlink()

    def _compute_inventory_diff(self) -> dict[int, Any]:
        rows = self._values(["quantity", "inventory_quantity", "inventory_quantity_set"])
        return {
            r["id"]: r["inventory_quantity"] - r["quantity"] if r["inventory_quantity_set"] else 0.0
            for r in rows
        }

    def _compute_available(self) -> dict[int, Any]:
        return {
            r["id"]: r["quantity"] - r["reserved_quantity"]
            for r in self._values(["quantity", "reserved_quantity"])
        }


def holds_stock(env: Env, location_id: int) -> bool:
    """Whether quants are kept for this location (Odoo bypasses non-internal ones)."""
    return bool(env["stock.location"].browse(location_id).usage in ("internal", "transit"))


def free_quantity(env: Env, product_id: int, location_id: int) -> float:
    quant = _quant(env, product_id, location_id)
    return float(quant.quantity - quant.reserved_quantity) if quant else 0.0


def adjust(
    env: Env, product_id: int, location_id: int, *, quantity: float = 0.0, reserved: float = 0.0
) -> None:
    """Add to a location's on-hand and reserved quantities (negative to take away)."""
    quant = _quant(env, product_id, location_id) or Model.create(
        env["stock.quant"], {"product_id": product_id, "location_id": location_id}
    )
    Model.write(
        quant,
        {
            "quantity": quant.quantity + quantity,
            "reserved_quantity": max(0.0, quant.reserved_quantity + reserved),
        },
    )


def _quant(env: Env, product_id: int, location_id: int) -> Any:
    return env["stock.quant"].search(
        [("product_id", "=", product_id), ("location_id", "=", location_id)], limit=1
    )
