"""Sales taxes and how Odoo 18 computes them on a line (``account.tax``, percent taxes).

As Odoo 18's ``_add_tax_details_in_base_line`` and ``_round_base_lines_tax_details`` do for
percent taxes that do not affect each other's base: price-included taxes are extracted from
the discounted price (base = price / (1 + sum of their rates)), excluded ones come on top
of the base. With the company's ``round_per_line`` each line's base and each tax amount are
rounded to the currency; with ``round_globally`` the order's untaxed amount and each tax's
total over the lines are rounded once (the lines show their own amounts rounded).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sandbox.odoo.models.company import PRICE_INCLUDE, the_company
from sandbox.odoo.orm import Model, ValsList, api_model, fields, vals_list_of
from sandbox.odoo.orm.fields import float_round

TAX_USES = [("sale", "Sales"), ("purchase", "Purchases"), ("none", "None")]
AMOUNT_TYPES = [("percent", "Percentage of Price")]


class Tax(Model):
    """A percent tax; ``price_include`` follows ``price_include_override``, else the company."""

    _name = "account.tax"
    _description = "Tax"
    _order = "sequence, id"

    name = fields.Char("Tax Name", required=True)
    amount = fields.Float(digits=4, required=True, default=0.0)
    amount_type = fields.Selection(AMOUNT_TYPES, "Tax Computation", default="percent")
    type_tax_use = fields.Selection(TAX_USES, "Tax Type", default="sale")
    price_include_override = fields.Selection(PRICE_INCLUDE, "Included in Price")
    # Computed and stored in Odoo (searchable); written here whenever the override is.
    price_include = fields.Boolean("Included in Price", readonly=True)
    sequence = fields.Integer(default=1)
    active = fields.Boolean(default=True)

    @api_model
    def create(self, vals_list: ValsList) -> Any:
        many = vals_list_of(vals_list)
        for vals in many:
            vals["price_include"] = self._included(vals.get("price_include_override"))
        return super().create(many)

    def write(self, vals: Mapping[str, Any]) -> bool:
        vals = {k: v for k, v in vals.items() if k != "price_include"}
        if "price_include_override" in vals:
            vals["price_include"] = self._included(vals["price_include_override"])
        return super().write(vals)

    def _included(self, override: str | None) -> bool:
        if override:
            return override == "tax_included"
        return bool(the_company(self.env).account_price_include == "tax_included")


@dataclass(frozen=True)
class LineTaxes:
    """One line's amounts before rounding: its discounted price, its base and each tax's
    amount by tax id; ``included`` names the taxes the price includes."""

    price: float
    base: float
    taxes: dict[int, float]
    included: frozenset[int]


def line_taxes(
    taxes: Sequence[Mapping[str, Any]], price_unit: float, quantity: float, discount: float
) -> LineTaxes:
    """The unrounded base and tax amounts of one line (rows of ``amount``, ``price_include``)."""
    price = price_unit * quantity * (1 - discount / 100)
    included = sum(tax["amount"] for tax in taxes if tax["price_include"])
    base = price / (1 + included / 100)
    amounts = {tax["id"]: base * tax["amount"] / 100 for tax in taxes}
    return LineTaxes(price, base, amounts, frozenset(t["id"] for t in taxes if t["price_include"]))


def rounded_line(line: LineTaxes, rounding: float) -> tuple[float, float, float]:
    """``round_per_line``: the line's base, tax and total, each tax rounded, the base what
    is left of a tax-included price once its rounded taxes are taken out."""
    taxes = {tax: float_round(amount, rounding) for tax, amount in line.taxes.items()}
    base = line.price - sum(taxes[tax] for tax in line.included) if line.included else line.base
    base, tax = float_round(base, rounding), float_round(sum(taxes.values()), rounding)
    return base, tax, float_round(base + tax, rounding)


def order_amounts(
    lines: Sequence[LineTaxes], rounding: float, *, per_line: bool
) -> tuple[float, float, float]:
    """The order's untaxed amount, tax and total by the company's rounding method."""
    if per_line:
        rounded = [rounded_line(line, rounding) for line in lines]
        untaxed = sum(amounts[0] for amounts in rounded)
        tax = sum(amounts[1] for amounts in rounded)
    else:
        by_tax: dict[int, float] = {}
        for line in lines:
            for tax_id, amount in line.taxes.items():
                by_tax[tax_id] = by_tax.get(tax_id, 0.0) + amount
        untaxed = sum(line.base for line in lines)
        tax = sum(float_round(amount, rounding) for amount in by_tax.values())
    untaxed, tax = float_round(untaxed, rounding), float_round(tax, rounding)
    return untaxed, tax, float_round(untaxed + tax, rounding)
