"""The price a channel shows for a product under an Odoo pricelist: pure, from records read.

Odoo has no public method that prices many products under many pricelists at once (its
``product.pricelist._compute_price_rule`` is private; ``product.template``
``get_contextual_price`` is public but prices one template per call). So the change capture
reads the pricelists' rules once per page and prices here as Odoo 18 and 19 do
(``product.pricelist._compute_price_rule`` and ``product.pricelist.item._compute_price``):
the rules in Odoo's order (the model's ``_order``, as the server answers a search), the first
one that applies to the variant for one unit now wins; a fixed price, a percentage off the
base, or a formula (discount, rounding to a multiple, surcharge, minimum and maximum margin)
on the sales price, the cost or another pricelist's price; no rule, the sales price. The
contract tests check this against Odoo's own ``get_contextual_price``.

Odoo converts a base price in another currency at the day's rate; rates are not read here,
so a price that would need one is not given (None).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from producers.odoo.mapping import ref_id
from retailsync.odoo import Record

# Items' fields that pricing needs (those of Odoo 18 and 19 alike).
ITEM_FIELDS = (
    "pricelist_id",
    "applied_on",
    "categ_id",
    "product_tmpl_id",
    "product_id",
    "min_quantity",
    "date_start",
    "date_end",
    "base",
    "base_pricelist_id",
    "compute_price",
    "fixed_price",
    "percent_price",
    "price_discount",
    "price_round",
    "price_surcharge",
    "price_min_margin",
    "price_max_margin",
    "write_date",
)
# Variants' fields that pricing needs.
VARIANT_FIELDS = (
    "product_tmpl_id",
    "categ_id",
    "list_price",
    "standard_price",
    "currency_id",
)


class _NeedsRateError(Exception):
    """A base price is in another currency than its pricelist's."""


@dataclass(frozen=True, slots=True)
class Price:
    """What a pricelist gives one variant: the price, the list price it discounts (when the
    rule is a discount on it), and the rule that applied (None: the sales price)."""

    price: Decimal
    compare_at: Decimal | None
    rule: Record | None


@dataclass(frozen=True, slots=True)
class Rules:
    """Every rule of the pricelists read, in Odoo's order, and the category tree."""

    by_pricelist: Mapping[int, Sequence[Record]]
    currency_of: Mapping[int, int]  # pricelist id -> currency id
    category_parent: Mapping[int, int | None]

    def price(self, variant: Record, pricelist: int, now: str) -> Price | None:
        """``variant``'s price under ``pricelist`` for one unit at ``now`` (Odoo's
        ``YYYY-MM-DD HH:MM:SS``, UTC), unrounded; None when it needs a currency rate."""
        try:
            return self._price(variant, pricelist, now)
        except _NeedsRateError:
            return None

    def _price(self, variant: Record, pricelist: int, now: str) -> Price:
        rule = self._rule(variant, pricelist, now)
        if rule is None:
            return Price(self._in(variant, pricelist, dec(variant["list_price"])), None, None)
        price = self._apply(rule, variant, pricelist, now)
        if rule["compute_price"] == "fixed" or (rule["base"] or "list_price") != "list_price":
            return Price(price, None, rule)
        # A discount on the sales price: the channel shows the sales price struck through.
        list_price = self._in(variant, pricelist, dec(variant["list_price"]))
        return Price(price, list_price if price < list_price else None, rule)

    def _rule(self, variant: Record, pricelist: int, now: str) -> Record | None:
        categories = self._lineage(ref_id(variant.get("categ_id")))
        for rule in self.by_pricelist.get(pricelist, ()):
            if _applies(rule, variant, categories, now):
                return rule
        return None

    def _apply(self, rule: Record, variant: Record, pricelist: int, now: str) -> Decimal:
        if rule["compute_price"] == "fixed":
            return dec(rule["fixed_price"])
        base = self._base(rule, variant, pricelist, now)
        if rule["compute_price"] == "percentage":
            return base - base * dec(rule["percent_price"]) / 100
        price = base - base * dec(rule["price_discount"]) / 100
        if rule["price_round"]:
            step = dec(rule["price_round"])
            price = (price / step).quantize(Decimal(1), ROUND_HALF_UP) * step
        price += dec(rule["price_surcharge"])
        if rule["price_min_margin"]:
            price = max(price, base + dec(rule["price_min_margin"]))
        if rule["price_max_margin"]:
            price = min(price, base + dec(rule["price_max_margin"]))
        return price

    def _base(self, rule: Record, variant: Record, pricelist: int, now: str) -> Decimal:
        other = ref_id(rule.get("base_pricelist_id"))
        if rule["base"] == "pricelist" and other is not None:
            if self.currency_of.get(other) != self.currency_of.get(pricelist):
                raise _NeedsRateError
            return self._price(variant, other, now).price
        field = "standard_price" if rule["base"] == "standard_price" else "list_price"
        return self._in(variant, pricelist, dec(variant[field]))

    def _in(self, variant: Record, pricelist: int, amount: Decimal) -> Decimal:
        if ref_id(variant.get("currency_id")) != self.currency_of.get(pricelist):
            raise _NeedsRateError
        return amount

    def _lineage(self, category: int | None) -> set[int]:
        found: set[int] = set()
        while category is not None and category not in found:
            found.add(category)
            category = self.category_parent.get(category)
        return found


def _applies(rule: Record, variant: Record, categories: set[int], now: str) -> bool:
    """Odoo's domain of applicable rules and ``_is_applicable_for``, for one unit."""
    if (rule["date_start"] and rule["date_start"] > now) or (
        rule["date_end"] and rule["date_end"] < now
    ):
        return False
    if (rule["min_quantity"] or 0) > 1:
        return False
    scope = rule["applied_on"]
    if scope == "2_product_category":
        return ref_id(rule["categ_id"]) in categories
    if scope == "1_product":
        return ref_id(rule["product_tmpl_id"]) == ref_id(variant["product_tmpl_id"])
    if scope == "0_product_variant":
        return ref_id(rule["product_id"]) == int(variant["id"])
    return True


def round_to(amount: Decimal, rounding: float) -> Decimal:
    """``amount`` at the currency's rounding (0.01), half up as Odoo's ``float_round``."""
    step = dec(rounding)
    return (amount / step).quantize(Decimal(1), ROUND_HALF_UP) * step


def dec(value: float | int | None) -> Decimal:
    """An Odoo float as the decimal it was written as."""
    # repr: the decimal the float was written as (19.99, not 19.989999…)
    return Decimal(repr(float(value or 0)))
