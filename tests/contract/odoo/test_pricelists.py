"""Pricelist rules: the price Odoo computes for a product under a pricelist.

``product.template`` ``get_contextual_price`` (public in Odoo 18 and 19; the pricelist's own
``_get_product_price`` is private) prices a product under the context's ``pricelist`` and
``quantity``. Each test makes its own pricelist, category and product (sales price 20.00,
cost 8.00), pins the price Odoo gives, and checks that the change capture's own pricing
(:mod:`producers.odoo.pricing`, from the rules it reads) gives the same.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from producers.odoo.feeds import pricing_rules
from producers.odoo.pricing import VARIANT_FIELDS, round_to
from retailsync.odoo import OdooClient
from retailsync.odoo.errors import OdooUserError

pytestmark = pytest.mark.contract

LIST_PRICE = 20.0
COST = 8.0


class Catalogue:
    """One test's pricelist, category and product."""

    def __init__(self, client: OdooClient, unique: str) -> None:
        self.client = client
        [self.pricelist] = client.create("product.pricelist", [{"name": f"Contract {unique}"}])
        self.bases: list[int] = []  # pricelists the rules are based on
        [self.category] = client.create("product.category", [{"name": f"Contract {unique}"}])
        [self.variant] = client.create(
            "product.product",
            [
                {
                    "name": f"Priced widget {unique}",
                    "default_code": f"PRICE-{unique}",
                    "type": "consu",
                    "list_price": LIST_PRICE,
                    "standard_price": COST,
                    "categ_id": self.category,
                }
            ],
        )
        [row] = client.read("product.product", [self.variant], ["product_tmpl_id"])
        self.template = row["product_tmpl_id"][0]

    def rule(self, **vals: Any) -> int:
        [item] = self.client.create(
            "product.pricelist.item", [{"pricelist_id": self.pricelist, **vals}]
        )
        return int(item)

    def odoo_price(self, quantity: float = 1.0) -> float:
        context = {"pricelist": self.pricelist, "quantity": quantity}
        price = self.client.call(
            "product.template", "get_contextual_price", [self.template], context=context
        )
        return float(price)

    def our_price(self) -> Decimal:
        pricelists = self.client.read(
            "product.pricelist", [self.pricelist, *self.bases], ["currency_id"]
        )
        [variant] = self.client.read("product.product", [self.variant], VARIANT_FIELDS)
        now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")
        price = pricing_rules(self.client, pricelists).price(variant, self.pricelist, now)
        assert price is not None
        return price.price


@pytest.fixture
def catalogue(client: OdooClient, unique: str) -> Catalogue:
    return Catalogue(client, unique)


def _odoo_time(delta: timedelta) -> str:
    return (datetime.now(UTC) + delta).strftime("%Y-%m-%d %H:%M:%S")


def _agree(catalogue: Catalogue, expected: str) -> None:
    odoo = catalogue.odoo_price()
    assert odoo == pytest.approx(float(expected))
    assert round_to(catalogue.our_price(), 0.01) == Decimal(expected)


def test_without_a_rule_the_price_is_the_sales_price(catalogue: Catalogue) -> None:
    _agree(catalogue, "20.00")


def test_a_fixed_price_on_the_product(catalogue: Catalogue) -> None:
    catalogue.rule(applied_on="1_product", product_tmpl_id=catalogue.template, fixed_price=17.5)
    _agree(catalogue, "17.50")


def test_a_percentage_off_the_sales_price_on_the_variant(catalogue: Catalogue) -> None:
    catalogue.rule(
        applied_on="0_product_variant",
        product_id=catalogue.variant,
        compute_price="percentage",
        percent_price=15,
    )
    _agree(catalogue, "17.00")


def test_a_formula_discounts_rounds_then_adds_the_surcharge(catalogue: Catalogue) -> None:
    # 20 - 12 % = 17.6, rounded to a multiple of 1.00 is 18, minus 0.01: 17.99
    catalogue.rule(
        applied_on="1_product",
        product_tmpl_id=catalogue.template,
        compute_price="formula",
        base="list_price",
        price_discount=12,
        price_round=1.0,
        price_surcharge=-0.01,
    )
    _agree(catalogue, "17.99")


def test_a_formula_on_the_cost_keeps_within_its_margins(catalogue: Catalogue) -> None:
    # cost 8 + 25 % markup = 10, but at least 3.00 over the cost (and at most 5.00): 11
    catalogue.rule(
        applied_on="1_product",
        product_tmpl_id=catalogue.template,
        compute_price="formula",
        base="standard_price",
        price_discount=-25,
        price_min_margin=3.0,
        price_max_margin=5.0,
    )
    _agree(catalogue, "11.00")


def test_a_minimum_margin_over_the_maximum_is_refused(catalogue: Catalogue) -> None:
    with pytest.raises(OdooUserError, match="minimum margin should be lower") as refused:
        catalogue.rule(compute_price="formula", price_min_margin=3.0)
    assert refused.value.odoo_name == "odoo.exceptions.ValidationError"


def test_a_product_rule_without_its_product_is_refused(catalogue: Catalogue) -> None:
    with pytest.raises(OdooUserError, match="specify the product for which") as refused:
        catalogue.rule(applied_on="1_product", fixed_price=1)
    assert refused.value.odoo_name == "odoo.exceptions.ValidationError"


def test_a_category_rule_prices_the_products_in_it(catalogue: Catalogue) -> None:
    catalogue.rule(
        applied_on="2_product_category",
        categ_id=catalogue.category,
        compute_price="percentage",
        percent_price=10,
    )
    _agree(catalogue, "18.00")


def test_the_narrowest_rule_wins(catalogue: Catalogue) -> None:
    catalogue.rule(applied_on="3_global", compute_price="percentage", percent_price=50)
    catalogue.rule(applied_on="2_product_category", categ_id=catalogue.category, fixed_price=15)
    catalogue.rule(applied_on="1_product", product_tmpl_id=catalogue.template, fixed_price=14)
    catalogue.rule(applied_on="0_product_variant", product_id=catalogue.variant, fixed_price=13)
    _agree(catalogue, "13.00")


def test_a_minimum_quantity_rule_waits_for_its_quantity(catalogue: Catalogue) -> None:
    catalogue.rule(
        applied_on="1_product", product_tmpl_id=catalogue.template, min_quantity=5, fixed_price=16
    )
    _agree(catalogue, "20.00")
    assert catalogue.odoo_price(quantity=5) == pytest.approx(16.0)


def test_a_rule_applies_within_its_dates_only(catalogue: Catalogue) -> None:
    catalogue.rule(
        applied_on="1_product",
        product_tmpl_id=catalogue.template,
        fixed_price=12,
        date_start=_odoo_time(timedelta(days=-10)),
        date_end=_odoo_time(timedelta(days=-1)),
    )
    catalogue.rule(
        applied_on="1_product",
        product_tmpl_id=catalogue.template,
        fixed_price=11,
        date_start=_odoo_time(timedelta(days=1)),
    )
    _agree(catalogue, "20.00")
    catalogue.rule(
        applied_on="1_product",
        product_tmpl_id=catalogue.template,
        fixed_price=19,
        date_start=_odoo_time(timedelta(days=-1)),
        date_end=_odoo_time(timedelta(days=1)),
    )
    _agree(catalogue, "19.00")


def test_a_rule_on_another_pricelist_takes_its_price(
    catalogue: Catalogue, client: OdooClient, unique: str
) -> None:
    [other] = client.create("product.pricelist", [{"name": f"Contract base {unique}"}])
    catalogue.bases.append(other)
    client.create(
        "product.pricelist.item",
        [
            {
                "pricelist_id": other,
                "applied_on": "1_product",
                "product_tmpl_id": catalogue.template,
                "fixed_price": 18,
            }
        ],
    )
    catalogue.rule(
        applied_on="3_global",
        compute_price="formula",
        base="pricelist",
        base_pricelist_id=other,
        price_discount=50,
    )
    _agree(catalogue, "9.00")


def test_archiving_a_product_archives_its_variant_and_restoring_restores_it(
    catalogue: Catalogue, client: OdooClient
) -> None:
    everything = {"active_test": False}
    client.write("product.template", [catalogue.template], {"active": False})
    [row] = client.read("product.product", [catalogue.variant], ["active"], context=everything)
    assert row["active"] is False
    client.write("product.template", [catalogue.template], {"active": True})
    [row] = client.read("product.product", [catalogue.variant], ["active"], context=everything)
    assert row["active"] is True
