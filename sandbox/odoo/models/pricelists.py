"""Pricelists: what gives a sales order its currency (``product.pricelist``)."""

from __future__ import annotations

from sandbox.odoo.models.units import company_currency
from sandbox.odoo.orm import Model, fields


class Pricelist(Model):
    _name = "product.pricelist"
    _description = "Pricelist"
    _order = "sequence, id"

    name = fields.Char("Pricelist Name", required=True)
    currency_id = fields.Many2one(
        "res.currency", "Currency", required=True, default=company_currency
    )
    sequence = fields.Integer(default=16)
    active = fields.Boolean(default=True)
