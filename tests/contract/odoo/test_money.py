"""Sales order amounts as Odoo 18 computes them: taxes included and excluded, several rates,
discounts, rounding per line or globally, currency by pricelist, delivery lines and tags.

Each test makes its own taxes, products and pricelist, so it shows the same numbers on a
real Odoo with ``account`` installed; the rounding tests set the company's method and put
it back.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import pytest

from consumers.odoo_orders.money import line_taxes_field
from retailsync.odoo import OdooClient

from .conftest import Target
from .helpers import new_customer, new_product

pytestmark = pytest.mark.contract

TOTALS = ["amount_untaxed", "amount_tax", "amount_total"]


def _tax(client: OdooClient, unique: str, rate: float, *, included: bool = False) -> int:
    [tax] = client.create(
        "account.tax",
        [
            {
                "name": f"Contract {rate}% {'incl' if included else 'excl'} {unique}",
                "amount": rate,
                "amount_type": "percent",
                "type_tax_use": "sale",
                "price_include_override": "tax_included" if included else "tax_excluded",
            }
        ],
    )
    return tax


def _order(
    client: OdooClient, unique: str, lines: Sequence[dict[str, Any]], **values: Any
) -> dict[str, Any]:
    """A new order with ``lines`` (each gets a new product unless it names one), read back."""
    partner = new_customer(client, unique)
    taxes = line_taxes_field(client)  # the tests say tax_id: Odoo 19 calls it tax_ids
    lines = [{(taxes if key == "tax_id" else key): value for key, value in line.items()}
             for line in lines]  # fmt: skip
    commands = [
        [0, 0, {"product_id": new_product(client, f"{unique}-{i}"), **line}]
        if "product_id" not in line
        else [0, 0, line]
        for i, line in enumerate(lines)
    ]
    [order] = client.create(
        "sale.order", [{"partner_id": partner, "order_line": commands, **values}]
    )
    [row] = client.read("sale.order", [order], [*TOTALS, "currency_id", "order_line"])
    return row


def _totals(row: dict[str, Any]) -> tuple[float, float, float]:
    return (row["amount_untaxed"], row["amount_tax"], row["amount_total"])


@pytest.fixture
def rounding(client: OdooClient) -> Iterator[Any]:
    """Sets the company's tax rounding method for one test, then puts it back."""
    [company] = client.search_read(
        "res.company", [], ["tax_calculation_rounding_method"], order="id", limit=1
    )

    def use(method: str) -> None:
        client.write("res.company", [company["id"]], {"tax_calculation_rounding_method": method})

    yield use
    use(company["tax_calculation_rounding_method"])


def test_an_excluded_tax_comes_on_top(client: OdooClient, unique: str) -> None:
    vat = _tax(client, unique, 19.0)
    row = _order(
        client, unique, [{"product_uom_qty": 3, "price_unit": 9.99, "tax_id": [[6, 0, [vat]]]}]
    )
    # 29.97 x 19 % = 5.6943
    assert _totals(row) == (29.97, 5.69, 35.66)


def test_an_included_tax_is_taken_out_of_the_price(client: OdooClient, unique: str) -> None:
    vat = _tax(client, unique, 20.0, included=True)
    row = _order(
        client, unique, [{"product_uom_qty": 2, "price_unit": 14.95, "tax_id": [[6, 0, [vat]]]}]
    )
    # 29.90 / 1.2 = 24.9166…: the tax is 4.98 and the total stays what the customer saw.
    assert _totals(row) == (24.92, 4.98, 29.90)
    [line] = client.read(
        "sale.order.line", row["order_line"], ["price_subtotal", "price_tax", "price_total"]
    )
    assert (line["price_subtotal"], line["price_total"]) == (24.92, 29.9)
    # Odoo stores the line's tax as total less subtotal, a float left unrounded.
    assert line["price_tax"] == pytest.approx(4.98) and round(line["price_tax"], 2) == 4.98


def test_two_rates_on_one_order_add_up(client: OdooClient, unique: str) -> None:
    full, reduced = _tax(client, unique, 19.0), _tax(client, unique, 7.0)
    row = _order(
        client,
        unique,
        [
            {"product_uom_qty": 1, "price_unit": 10.0, "tax_id": [[6, 0, [full]]]},
            {"product_uom_qty": 1, "price_unit": 5.0, "tax_id": [[6, 0, [reduced]]]},
        ],
    )
    assert _totals(row) == (15.0, 2.25, 17.25)


def test_a_percent_discount_lowers_base_and_tax(client: OdooClient, unique: str) -> None:
    vat = _tax(client, unique, 19.0)
    row = _order(
        client,
        unique,
        [{"product_uom_qty": 4, "price_unit": 12.5, "discount": 10.0, "tax_id": [[6, 0, [vat]]]}],
    )
    assert _totals(row) == (45.0, 8.55, 53.55)


def test_a_discount_keeps_two_decimals(client: OdooClient, unique: str) -> None:
    row = _order(
        client,
        unique,
        [{"product_uom_qty": 1, "price_unit": 29.97, "discount": 3.3367, "tax_id": [[6, 0, []]]}],
    )
    [line] = client.read("sale.order.line", row["order_line"], ["discount", "price_subtotal"])
    # Odoo's "Discount" precision: 3.3367 % is kept as 3.34 %, so 29.97 less it is 28.97.
    assert (line["discount"], line["price_subtotal"]) == (3.34, 28.97)


@pytest.mark.parametrize(
    ("method", "expected"),
    [("round_per_line", (1.5, 0.12, 1.62)), ("round_globally", (1.5, 0.11, 1.61))],
)
def test_half_cents_round_per_line_or_once_per_order(
    client: OdooClient, unique: str, rounding: Any, method: str, expected: tuple[float, ...]
) -> None:
    rounding(method)
    vat = _tax(client, unique, 7.0)
    # 0.50 x 7 % = 0.035 on each line: 0.04 three times, or 0.105 once, which is 0.11.
    line = {"product_uom_qty": 1, "price_unit": 0.5, "tax_id": [[6, 0, [vat]]]}
    row = _order(client, unique, [line, line, line])
    assert _totals(row) == expected


def test_a_line_without_taxes_takes_the_products_default_tax(
    client: OdooClient, unique: str
) -> None:
    [company] = client.search_read("res.company", [], ["account_sale_tax_id"], order="id", limit=1)
    row = _order(client, unique, [{"product_uom_qty": 1, "price_unit": 10.0}])
    taxes = line_taxes_field(client)
    [line] = client.read("sale.order.line", row["order_line"], [taxes])
    assert line[taxes] == [company["account_sale_tax_id"][0]]
    assert row["amount_tax"] > 0  # a fresh database's 15 %: never a tax-free order by default


def test_an_empty_tax_set_is_kept(client: OdooClient, unique: str) -> None:
    row = _order(
        client, unique, [{"product_uom_qty": 1, "price_unit": 10.0, "tax_id": [[6, 0, []]]}]
    )
    assert _totals(row) == (10.0, 0.0, 10.0)


def test_the_pricelist_gives_the_order_its_currency(
    client: OdooClient, odoo_target: Target, unique: str
) -> None:
    [euro] = client.search_read(
        "res.currency", [("name", "=", "EUR")], ["id"], context={"active_test": False}
    )
    [pricelist] = client.create(
        "product.pricelist", [{"name": f"Contract EUR {unique}", "currency_id": euro["id"]}]
    )
    row = _order(
        client,
        unique,
        [{"product_uom_qty": 1, "price_unit": 10.0, "tax_id": [[6, 0, []]]}],
        pricelist_id=pricelist,
    )
    assert row["currency_id"][0] == euro["id"]
    # Without one, Odoo 18 gives the order the partner's pricelist: by default the first,
    # whatever its currency (on a fresh database, the EUR one just made); Odoo 19 gives it
    # none, so the company's currency. Either way the order applier names the pricelist.
    [first] = client.search_read("product.pricelist", [], ["currency_id"], order="sequence, id",
                                 limit=1)  # fmt: skip
    [company] = client.search_read("res.company", [], ["currency_id"], order="id", limit=1)
    plain = _order(client, f"{unique}-plain", [{"product_uom_qty": 1, "price_unit": 10.0}])
    expected = first if odoo_target.major_version < 19 else company
    assert plain["currency_id"] == expected["currency_id"]


def test_a_delivery_line_counts_with_its_tax(client: OdooClient, unique: str) -> None:
    vat = _tax(client, unique, 19.0)
    [delivery] = client.create(
        "product.product",
        [{"name": f"Contract delivery {unique}", "type": "service", "list_price": 0.0}],
    )
    row = _order(
        client,
        unique,
        [
            {"product_uom_qty": 1, "price_unit": 20.0, "tax_id": [[6, 0, [vat]]]},
            {
                "product_id": delivery,
                "product_uom_qty": 1,
                "price_unit": 4.9,
                "is_delivery": True,
                "tax_id": [[6, 0, [vat]]],
            },
        ],
    )
    # 24.90 x 19 % = 4.731
    assert _totals(row) == (24.9, 4.73, 29.63)
    found = client.search_read(
        "sale.order.line",
        [("id", "in", row["order_line"]), ("is_delivery", "=", True)],
        ["price_unit"],
    )
    assert [line["price_unit"] for line in found] == [4.9]


def test_a_tag_on_an_order_is_there_for_people_to_find(client: OdooClient, unique: str) -> None:
    [tag] = client.create("crm.tag", [{"name": f"Contract check {unique}"}])
    row = _order(client, unique, [{"product_uom_qty": 1, "price_unit": 10.0}])
    client.write("sale.order", [row["id"]], {"tag_ids": [[4, tag]]})
    [found] = client.read("sale.order", [row["id"]], ["tag_ids"])
    assert found["tag_ids"] == [tag]


def test_taxes_are_found_by_rate_and_inclusion(client: OdooClient, unique: str) -> None:
    included = _tax(client, unique, 17.5, included=True)
    _tax(client, unique, 17.5)
    found = client.search_read(
        "account.tax",
        [
            ("amount", "=", 17.5),
            ("price_include", "=", True),
            ("type_tax_use", "=", "sale"),
            ("name", "like", unique),
        ],
        ["name", "amount", "price_include"],
    )
    assert [tax["id"] for tax in found] == [included]


def test_load_sets_a_lines_taxes_from_comma_separated_ids(client: OdooClient, unique: str) -> None:
    full, reduced = _tax(client, unique, 19.0), _tax(client, unique, 7.0)
    product = new_product(client, unique)
    result = client.load(
        "sale.order",
        ["id", "partner_id/.id", "client_order_ref", "order_line/product_id/.id",
         "order_line/product_uom_qty", "order_line/price_unit",
         f"order_line/{line_taxes_field(client)}/.id"],
        [[f"retailsync_contract.money_{unique}", str(new_customer(client, unique)),
          f"money-{unique}", str(product), "1", "10.0", f"{full},{reduced}"]],
    )  # fmt: skip
    [row] = client.read("sale.order", result, TOTALS)
    assert _totals(row) == (10.0, 2.6, 12.6)
