"""Transfers (deliveries, receipts, returns) and the backorder wizard ``button_validate`` opens.

``button_validate`` follows Odoo 18: nothing reserved or set is a UserError; a quantity
short of the demand returns the ``stock.backorder.confirmation`` wizard's action unless the
context says ``skip_backorder``; otherwise the picking is done and a backorder made for what
is left, or not when the picking is in ``picking_ids_not_to_backorder``.
"""

from __future__ import annotations

from typing import Any

from sandbox.odoo.exceptions import UserError
from sandbox.odoo.models.carriers import TRACKING_PLACEHOLDER
from sandbox.odoo.orm import Model, ValsList, api_model, fields, vals_list_of

PICKING_STATES = [
    ("draft", "Draft"),
    ("waiting", "Waiting Another Operation"),
    ("confirmed", "Waiting"),
    ("assigned", "Ready"),
    ("done", "Done"),
    ("cancel", "Cancelled"),
]
NOTHING_TO_DO = (
    "You cannot validate a transfer if no quantities are reserved nor done. "
    "You can use the info button on the top right corner of your screen to identify the transfer."
)


class Picking(Model):
    _name = "stock.picking"
    _description = "Transfer"
    _order = "priority desc, scheduled_date asc, id desc"

    name = fields.Char("Reference", default="/")
    origin = fields.Char("Source Document")
    partner_id = fields.Many2one("res.partner", "Contact")
    picking_type_id = fields.Many2one("stock.picking.type", "Operation Type", required=True)
    picking_type_code = fields.Selection(
        [("incoming", "Receipt"), ("outgoing", "Delivery"), ("internal", "Internal Transfer")],
        related="picking_type_id.code",
    )
    location_id = fields.Many2one("stock.location", "Source Location")
    location_dest_id = fields.Many2one("stock.location", "Destination Location")
    move_ids = fields.One2many("stock.move", "picking_id", "Stock Moves")
    state = fields.Selection(PICKING_STATES, "Status", default="draft", readonly=True)
    move_type = fields.Selection(
        [("direct", "As soon as possible"), ("one", "When all products are ready")],
        default="direct",
    )
    priority = fields.Selection([("0", "Normal"), ("1", "Urgent")], default="0")
    scheduled_date = fields.Datetime("Scheduled Date", default=lambda env: env.now)
    date_done = fields.Datetime("Date of Transfer", readonly=True)
    sale_id = fields.Many2one("sale.order", "Sales Order")
    backorder_id = fields.Many2one("stock.picking", "Back Order of")
    return_id = fields.Many2one("stock.picking", "Return of", readonly=True)
    carrier_id = fields.Many2one("delivery.carrier", "Carrier")
    carrier_tracking_ref = fields.Char("Tracking Reference")
    carrier_tracking_url = fields.Char("Tracking URL", compute="_compute_carrier_tracking_url")

    @api_model
    def create(self, vals_list: ValsList) -> Any:
        many = vals_list_of(vals_list)
        for vals in many:
            kind = self.env["stock.picking.type"].browse(vals.get("picking_type_id") or [])
            if kind:
                vals.setdefault("location_id", kind.default_location_src_id)
                vals.setdefault("location_dest_id", kind.default_location_dest_id)
                if vals.get("name", "/") == "/":
                    warehouse = self.env["stock.warehouse"].browse(kind.warehouse_id or [])
                    prefix = (
                        f"{warehouse.code}/{kind.sequence_code}"
                        if warehouse
                        else kind.sequence_code
                    )
                    vals["name"] = f"{prefix}/{self.env.next_number(prefix):05d}"
        return super().create(many)

    def action_confirm(self) -> bool:
        moves = self._moves()
        moves._action_confirm()
        moves._action_assign()
        self._update_state()
        return True

    def action_assign(self) -> bool:
        self._moves()._action_assign()
        self._update_state()
        return True

    def action_cancel(self) -> bool:
        self._moves()._action_cancel()
        self._update_state()
        return True

    def button_validate(self) -> Any:
        drafts = self.filtered(lambda p: p.state == "draft")
        drafts.action_confirm()
        # Odoo 18 validates a draft transfer "immediately": its demand becomes its quantity.
        for move in drafts._moves().filtered(lambda m: not m.quantity and m.product_uom_qty):
            move.write({"quantity": move.product_uom_qty})
        for picking in self:
            moves = picking._moves()
            if not any(move.quantity for move in moves):
                raise UserError(NOTHING_TO_DO)
            if not any(move.picked for move in moves):
                Model.write(moves, {"picked": True})
        context = self.env.context
        if not context.get("skip_backorder"):
            short = self.filtered(lambda p: any(m.quantity < m.product_uom_qty for m in p._moves()))
            if short:
                return short._backorder_wizard_action()
        no_backorder = set(context.get("picking_ids_not_to_backorder") or ())
        for picking in self:
            picking._action_done(backorder=picking.id not in no_backorder)
        return True

    def _compute_carrier_tracking_url(self) -> dict[int, Any]:
        urls: dict[int, Any] = {}
        for row in self._values(["carrier_id", "carrier_tracking_ref"]):
            carrier = self.env["delivery.carrier"].browse(row["carrier_id"] or [])
            link, ref = carrier and carrier.tracking_url, row["carrier_tracking_ref"]
            urls[row["id"]] = link.replace(TRACKING_PLACEHOLDER, ref) if link and ref else None
        return urls

    def _moves(self) -> Any:
        return self.env["stock.move"].search([("picking_id", "in", list(self.ids))])

    def _action_done(self, *, backorder: bool) -> None:
        leftovers = []
        for move in self._moves().filtered(lambda m: m.state not in ("done", "cancel")):
            rest = move.product_uom_qty - (move.quantity if move.picked else 0.0)
            if move.picked and move.quantity > 0:
                move._action_done()
            else:
                move._action_cancel()
            if rest > 0:
                leftovers.append((move, rest))
        Model.write(self, {"date_done": self.env.now})
        self._update_state()
        if backorder and leftovers:
            self._create_backorder(leftovers)

    def _create_backorder(self, leftovers: list[tuple[Any, float]]) -> None:
        copied = self._values(
            [
                "origin",
                "partner_id",
                "picking_type_id",
                "location_id",
                "location_dest_id",
                "sale_id",
            ]
        )[0]
        copied.pop("id")
        backorder = self.create({**copied, "backorder_id": self.id})
        for move, rest in leftovers:
            row = move._values(
                ["product_id", "location_id", "location_dest_id", "sale_line_id", "origin"]
            )[0]
            row.pop("id")
            self.env["stock.move"].create(
                {
                    **row,
                    **move._known_vals(name=move.name),
                    "product_uom_qty": rest,
                    "picking_id": backorder.id,
                }
            )
        backorder.action_confirm()

    def _update_state(self) -> None:
        for picking in self:
            states = [move.state for move in picking._moves()]
            open_states = [s for s in states if s not in ("done", "cancel")]
            if not states or "draft" in states:
                state = "draft"
            elif all(s == "cancel" for s in states):
                state = "cancel"
            elif not open_states:
                state = "done"
            elif all(s == "assigned" for s in open_states) or (
                picking.move_type == "direct"
                and any(s in ("assigned", "partially_available") for s in open_states)
            ):
                state = "assigned"
            else:
                state = "confirmed"
            Model.write(picking, {"state": state})

    def _backorder_wizard_action(self) -> dict[str, Any]:
        context = {
            **self.env.context,
            "default_show_transfers": False,
            "default_pick_ids": [[4, id_] for id_ in self.ids],
            "button_validate_picking_ids": list(
                self.env.context.get("button_validate_picking_ids") or self.ids
            ),
        }
        return {
            "name": "Create Backorder?",
            "type": "ir.actions.act_window",
            "view_mode": "form",
            "res_model": "stock.backorder.confirmation",
            "views": [[False, "form"]],
            "view_id": False,
            "target": "new",
            "context": context,
        }
