"""The wizard ``button_validate`` opens when a transfer is short: keep or drop the rest."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sandbox.odoo.orm import Model, fields


class BackorderConfirmation(Model):
    _name = "stock.backorder.confirmation"
    _description = "Backorder Confirmation"

    pick_ids = fields.Many2many("stock.picking", "Transfers")
    show_transfers = fields.Boolean(default=False)

    def process(self) -> Any:
        """Validate and keep what is left in a backorder."""
        return self._validate(self.env.context)

    def process_cancel_backorder(self) -> Any:
        """Validate and drop what is left."""
        return self._validate(
            {**self.env.context, "picking_ids_not_to_backorder": list(self.pick_ids)}
        )

    def _validate(self, context: Mapping[str, Any]) -> Any:
        ids = context.get("button_validate_picking_ids") or list(self.pick_ids)
        pickings = (
            self.env["stock.picking"].browse(ids).with_context({**context, "skip_backorder": True})
        )
        return pickings.button_validate()
