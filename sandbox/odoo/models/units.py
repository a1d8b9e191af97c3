"""Units of measure and currencies: the reference data products, quants and orders name."""

from __future__ import annotations

from typing import Any

from sandbox.odoo.orm import Env, Model, fields


class Uom(Model):
    _name = "uom.uom"
    _description = "Product Unit of Measure"
    _order = "name, id"

    name = fields.Char("Unit Name", required=True)
    active = fields.Boolean(default=True)


class Currency(Model):
    """A currency; ``rounding`` is the smallest amount it counts (0.01)."""

    _name = "res.currency"
    _description = "Currency"
    _order = "active desc, name, id"

    name = fields.Char("Currency", required=True)
    symbol = fields.Char(required=True)
    rounding = fields.Float("Rounding Factor", default=0.01)
    active = fields.Boolean(default=True)


def default_uom(env: Env) -> Any:
    """What Odoo's ``uom.product_uom_unit`` is: the first unit, ``Units``."""
    return env["uom.uom"].search([], limit=1).id or None


def company_currency(env: Env) -> Any:
    """The company's currency (the sandbox has one company)."""
    company = env["res.company"].search([], limit=1)
    return company.currency_id if company else None
