"""Where stock lives: locations (a tree), warehouses and their operation types."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sandbox.odoo.orm import Model, ValsList, api_model, fields

USAGES = [
    ("supplier", "Vendor Location"),
    ("view", "View"),
    ("internal", "Internal Location"),
    ("customer", "Customer Location"),
    ("inventory", "Inventory Loss"),
    ("production", "Production"),
    ("transit", "Transit Location"),
]
OPERATION_CODES = [
    ("incoming", "Receipt"),
    ("outgoing", "Delivery"),
    ("internal", "Internal Transfer"),
]


class Location(Model):
    _name = "stock.location"
    _description = "Inventory Locations"
    _order = "complete_name, id"
    _rec_name = "complete_name"
    _parent_name = "location_id"

    name = fields.Char("Location Name", required=True)
    complete_name = fields.Char("Full Location Name")
    location_id = fields.Many2one("stock.location", "Parent Location", ondelete="cascade")
    child_ids = fields.One2many("stock.location", "location_id", "Contains")
    usage = fields.Selection(USAGES, "Location Type", required=True, default="internal")
    warehouse_id = fields.Many2one("stock.warehouse", "Warehouse", compute="_compute_warehouse_id")
    active = fields.Boolean(default=True)

    @api_model
    def create(self, vals_list: ValsList) -> Any:
        locations = super().create(vals_list)
        locations._update_complete_name()
        return locations

    def write(self, vals: Mapping[str, Any]) -> bool:
        super().write(vals)
        if {"name", "location_id", "usage"} & set(vals):
            self._update_complete_name()
        return True

    def _update_complete_name(self) -> None:
        # As Odoo: a view location's name stands alone, others follow their parent's path.
        for row in self._values(["name", "location_id", "usage"]):
            name = row["name"]
            if row["location_id"] and row["usage"] != "view":
                parent = self.browse(row["location_id"]).complete_name
                name = f"{parent}/{name}"
            Model.write(self.browse(row["id"]), {"complete_name": name})

    def _compute_warehouse_id(self) -> dict[int, Any]:
        # As Odoo: the warehouse whose view location is this location or one of its parents.
        views = {
            row["view_location_id"]: row["id"]
            for row in self.env["stock.warehouse"].search([])._values(["view_location_id"])
        }
        found: dict[int, Any] = {}
        for row in self._values(["location_id"]):
            here, parent = row["id"], row["location_id"]
            while here not in views and parent:
                here, parent = parent, self.browse(parent).location_id
            found[row["id"]] = views.get(here)
        return found


class PickingType(Model):
    _name = "stock.picking.type"
    _description = "Picking Type"
    _order = "sequence, id"

    name = fields.Char("Operation Type", required=True)
    code = fields.Selection(OPERATION_CODES, "Type of Operation", required=True)
    sequence = fields.Integer(default=10)
    sequence_code = fields.Char("Sequence Prefix", required=True)
    warehouse_id = fields.Many2one("stock.warehouse", "Warehouse")
    default_location_src_id = fields.Many2one("stock.location", "Default Source Location")
    default_location_dest_id = fields.Many2one("stock.location", "Default Destination Location")
    active = fields.Boolean(default=True)

    def _compute_display_name(self) -> dict[int, Any]:
        rows = self._values(["name", "warehouse_id"])
        names = {}
        for row in rows:
            warehouse = (
                row["warehouse_id"] and self.env["stock.warehouse"].browse(row["warehouse_id"]).name
            )
            names[row["id"]] = f"{warehouse}: {row['name']}" if warehouse else row["name"]
        return names


class Warehouse(Model):
    _name = "stock.warehouse"
    _description = "Warehouse"

    name = fields.Char("Warehouse", required=True)
    code = fields.Char("Short Name", required=True)
    view_location_id = fields.Many2one("stock.location", "View Location")
    lot_stock_id = fields.Many2one("stock.location", "Location Stock")
    in_type_id = fields.Many2one("stock.picking.type", "In Type")
    out_type_id = fields.Many2one("stock.picking.type", "Out Type")
    active = fields.Boolean(default=True)
