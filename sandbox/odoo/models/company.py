"""The company: its currency and how it computes taxes (Odoo's ``res.company`` settings)."""

from __future__ import annotations

from typing import Any

from sandbox.odoo.orm import Env, Model, fields

ROUNDING_METHODS = [("round_per_line", "Round per Line"), ("round_globally", "Round Globally")]
PRICE_INCLUDE = [("tax_included", "Tax Included"), ("tax_excluded", "Tax Excluded")]


class Company(Model):
    _name = "res.company"
    _description = "Companies"

    name = fields.Char("Company Name", required=True)
    partner_id = fields.Many2one("res.partner", "Partner", required=True)
    currency_id = fields.Many2one("res.currency", "Currency", required=True)
    tax_calculation_rounding_method = fields.Selection(
        ROUNDING_METHODS, "Tax Calculation Rounding Method", default="round_per_line"
    )
    account_price_include = fields.Selection(
        PRICE_INCLUDE, "Default Sales Price Include", default="tax_excluded"
    )
    account_sale_tax_id = fields.Many2one("account.tax", "Default Sale Tax")


def the_company(env: Env) -> Any:
    """The sandbox's one company (``env.company`` in Odoo)."""
    return env["res.company"].search([], limit=1)
