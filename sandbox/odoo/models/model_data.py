"""External identifiers (``ir.model.data``): ``module.name`` keys for records, unique.

Odoo keeps ``(module, name)`` unique with the index ``ir_model_data_module_name_uniq_index``
and refuses names with spaces; ``load`` (``orm/imports.py``) creates and reads them.
"""

from __future__ import annotations

from typing import Any, ClassVar

from sandbox.odoo.exceptions import ValidationError
from sandbox.odoo.orm import Model, ValsList, api_model, fields, vals_list_of


class IrModelData(Model):
    _name = "ir.model.data"
    _description = "Model Data"
    _order = "module, model, name"
    _unique: ClassVar[dict[str, tuple[str, ...]]] = {
        "ir_model_data_module_name_uniq_index": ("module", "name")
    }

    name = fields.Char("External Identifier", required=True)
    complete_name = fields.Char("Complete ID", compute="_compute_complete_name")
    model = fields.Char("Model Name", required=True)
    # Odoo's column is NOT NULL with '' as default, which the sandbox's required check
    # would refuse: left optional here.
    module = fields.Char(default="")
    res_id = fields.Integer("Record ID")
    noupdate = fields.Boolean("Non Updatable", default=False)

    @api_model
    def create(self, vals_list: ValsList) -> Any:
        many = vals_list_of(vals_list)
        for vals in many:
            _check_name(vals)
        return super().create(many)

    def write(self, vals: Any) -> bool:
        _check_name(vals)
        return super().write(vals)

    def _compute_complete_name(self) -> dict[int, Any]:
        return {
            row["id"]: ".".join(part for part in (row["module"], row["name"]) if part)
            for row in self._values(["module", "name"])
        }


def _check_name(vals: dict[str, Any]) -> None:
    # PostgreSQL's CHECK (name NOT LIKE '% %'), as Odoo words its violation.
    if " " in str(vals.get("name") or ""):
        raise ValidationError(
            "The operation cannot be completed: External IDs cannot contain spaces"
        )
