"""Pricelists and their rules, priced as Odoo 18 and 19 price a product.

``product.pricelist`` gives a sales order its currency; its ``product.pricelist.item`` rules
(fixed price, percentage discount, or a formula on the sales price, the cost or another
pricelist) apply to a variant, a product, a category or everything, from a minimum quantity
and within a date window. The first applicable rule in the items' order wins, as in
``product.pricelist._compute_price_rule`` and ``product.pricelist.item._compute_price``;
no applicable rule means the sales price. Prices are floats, unrounded, as Odoo's are.
A pricelist in another currency than the company's converts at rate 1: a fresh database
has no rates.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sandbox.odoo.exceptions import ValidationError
from sandbox.odoo.models.units import company_currency
from sandbox.odoo.orm import Model, ValsList, api_model, fields, vals_list_of
from sandbox.odoo.orm.fields import DATETIME_FORMAT

APPLIED_ON = [
    ("3_global", "All Products"),
    ("2_product_category", "Product Category"),
    ("1_product", "Product"),
    ("0_product_variant", "Product Variant"),
]
BASES = [
    ("list_price", "Sales Price"),
    ("standard_price", "Cost"),
    ("pricelist", "Other Pricelist"),
]
COMPUTE = [("percentage", "Discount"), ("formula", "Formula"), ("fixed", "Fixed Price")]
# What each scope leaves out, as Odoo's create and write keep an item consistent.
_CLEARED = {
    "3_global": ("product_id", "product_tmpl_id", "categ_id"),
    "2_product_category": ("product_id", "product_tmpl_id"),
    "1_product": ("product_id", "categ_id"),
    "0_product_variant": ("categ_id",),
}


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
    item_ids = fields.One2many("product.pricelist.item", "pricelist_id", "Pricelist Rules")

    def _get_product_price(self, template: Any, quantity: float) -> float:
        """The unit price of ``template`` for ``quantity`` now; the sales price without a
        pricelist or an applicable rule."""
        if not self:
            return float(template.list_price)
        self.ensure_one()
        now = datetime.now(UTC).strftime(DATETIME_FORMAT)
        rules = self.env["product.pricelist.item"].search([("pricelist_id", "=", self.id)])
        for rule in rules:
            if rule._is_applicable_for(template, quantity, now):
                return float(rule._compute_price(template, quantity))
        return float(template.list_price)


class PricelistItem(Model):
    _name = "product.pricelist.item"
    _description = "Pricelist Rule"
    _order = "applied_on, min_quantity desc, categ_id desc, id desc"

    pricelist_id = fields.Many2one("product.pricelist", "Pricelist", required=True)
    currency_id = fields.Many2one("res.currency", "Currency", related="pricelist_id.currency_id")
    date_start = fields.Datetime("Start Date")
    date_end = fields.Datetime("End Date")
    min_quantity = fields.Float("Min. Quantity", default=0.0)
    applied_on = fields.Selection(APPLIED_ON, "Apply On", required=True, default="3_global")
    categ_id = fields.Many2one("product.category", "Category")
    product_tmpl_id = fields.Many2one("product.template", "Product")
    product_id = fields.Many2one("product.product", "Variant")
    base = fields.Selection(BASES, "Based on", required=True, default="list_price")
    base_pricelist_id = fields.Many2one("product.pricelist", "Other Pricelist")
    compute_price = fields.Selection(COMPUTE, required=True, default="fixed")
    fixed_price = fields.Float("Fixed Price", default=0.0)
    percent_price = fields.Float("Percentage Price", default=0.0)
    price_discount = fields.Float("Price Discount", default=0.0)
    price_round = fields.Float("Price Rounding", default=0.0)
    price_surcharge = fields.Float("Extra Fee", default=0.0)
    price_min_margin = fields.Float("Min. Price Margin", default=0.0)
    price_max_margin = fields.Float("Max. Price Margin", default=0.0)

    @api_model
    def create(self, vals_list: ValsList) -> Any:
        many = vals_list_of(vals_list)
        for vals in many:
            if vals.get("product_id") and not vals.get("product_tmpl_id"):
                variant = self.env["product.product"].browse(vals["product_id"])
                vals["product_tmpl_id"] = variant.product_tmpl_id
            if not vals.get("applied_on"):
                vals["applied_on"] = (
                    "0_product_variant"
                    if vals.get("product_id")
                    else "1_product"
                    if vals.get("product_tmpl_id")
                    else "2_product_category"
                    if vals.get("categ_id")
                    else "3_global"
                )
            vals.update(dict.fromkeys(_CLEARED.get(vals["applied_on"], ()), False))
        items = super().create(many)
        items._check_rules()
        return items

    def write(self, vals: Mapping[str, Any]) -> bool:
        scope = vals.get("applied_on")
        cleared = dict.fromkeys(_CLEARED.get(scope, ()), False) if scope else {}
        super().write({**vals, **cleared})
        self._check_rules()
        return True

    def _check_rules(self) -> None:
        """Odoo's constraints on a rule: its margins, its dates, and what it applies to."""
        needs = {
            "2_product_category": ("categ_id", "category"),
            "1_product": ("product_tmpl_id", "product"),
            "0_product_variant": ("product_id", "product variant"),
        }
        for item in self:
            if item.price_min_margin > item.price_max_margin:
                raise ValidationError("The minimum margin should be lower than the maximum margin.")
            if item.date_start and item.date_end and item.date_start >= item.date_end:
                raise ValidationError(
                    f"{item.display_name}: end date ({item.date_end[:19]}) should be after "
                    f"start date ({item.date_start[:19]})"
                )
            if item.base == "pricelist" and item.base_pricelist_id == item.pricelist_id:
                raise ValidationError(
                    "You cannot assign the Main Pricelist as Other Pricelist in PriceList Item"
                )
            field, what = needs.get(item.applied_on, ("", ""))
            if field and not getattr(item, field):
                raise ValidationError(
                    f"Please specify the {what} for which this rule should be applied"
                )

    def _is_applicable_for(self, template: Any, quantity: float, now: str) -> bool:
        """Whether this rule prices ``template`` for ``quantity`` at ``now`` (Odoo's domain
        of applicable rules and ``_is_applicable_for``, on a template)."""
        if (self.date_start and self.date_start > now) or (self.date_end and self.date_end < now):
            return False
        if self.min_quantity and quantity < self.min_quantity:
            return False
        if self.applied_on == "2_product_category":
            return self.categ_id in template._categories()
        if self.applied_on == "1_product":
            return bool(self.product_tmpl_id == template.id)
        if self.applied_on == "0_product_variant":
            # A variant's rule prices its template when that has this one variant only.
            return list(template.product_variant_ids) == [self.product_id]
        return True

    def _compute_price(self, template: Any, quantity: float) -> float:
        if self.compute_price == "fixed":
            return float(self.fixed_price)
        base = self._base_price(template, quantity)
        if self.compute_price == "percentage":
            return float(base - base * (self.percent_price / 100))
        price = base - base * (self.price_discount / 100)
        if self.price_round:
            price = _round_to_multiple(price, self.price_round)
        price += self.price_surcharge
        if self.price_min_margin:
            price = max(price, base + self.price_min_margin)
        if self.price_max_margin:
            price = min(price, base + self.price_max_margin)
        return float(price)

    def _base_price(self, template: Any, quantity: float) -> float:
        if self.base == "pricelist" and self.base_pricelist_id:
            other = self.env["product.pricelist"].browse(self.base_pricelist_id)
            return float(other._get_product_price(template, quantity))
        if self.base == "standard_price":
            return float(template.standard_price)
        return float(template.list_price)


def _round_to_multiple(value: float, step: float) -> float:
    """Odoo's ``float_round(value, precision_rounding=step)``: the nearest multiple of
    ``step`` (0.05, 1.0, 10.0), half away from zero."""
    exact = Decimal(repr(step))
    return float((Decimal(repr(value)) / exact).quantize(Decimal(1), ROUND_HALF_UP) * exact)
