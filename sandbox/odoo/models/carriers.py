"""Shipping methods (``stock_delivery``): a carrier's name and its tracking link."""

from __future__ import annotations

from sandbox.odoo.orm import Model, fields

# Odoo replaces this placeholder of ``tracking_url`` with the picking's tracking reference.
TRACKING_PLACEHOLDER = "<shipmenttrackingnumber>"


class Carrier(Model):
    _name = "delivery.carrier"
    _description = "Shipping Methods"
    _order = "sequence, id"

    name = fields.Char("Delivery Method", required=True)
    sequence = fields.Integer(default=10)
    tracking_url = fields.Char("Tracking Link")
    active = fields.Boolean(default=True)
