"""How odoo-orders puts a channel's discounts into Odoo's terms and compares its totals."""

from __future__ import annotations

from decimal import Decimal

import pytest

from consumers.odoo_orders.money import differences, discount_percent
from retailsync.events import OrderCreated, OrderLine
from retailsync.events.examples import example_events

pytestmark = pytest.mark.unit

D = Decimal


def _line(quantity: int, unit_price: str, discount: str) -> OrderLine:
    gross = quantity * D(unit_price)
    return OrderLine(
        line_ref="1", sku="SKU", title="Item", quantity=D(quantity), unit_price=D(unit_price),
        discount=D(discount), tax=D(0), total=gross - D(discount),
    )  # fmt: skip


@pytest.mark.parametrize(
    ("line", "percent"),
    [
        (_line(4, "12.50", "0"), D(0)),
        (_line(4, "12.50", "5.00"), D("10.00")),
        # 1.00 of 29.97 is 3.3367 %: Odoo keeps 3.34 %, which still leaves 28.97.
        (_line(1, "29.97", "1.00"), D("3.34")),
        # 1.00 of 1234.56 is 0.081 %: 0.08 % leaves 1233.57, not 1233.56.
        (_line(1, "1234.56", "1.00"), None),
        (_line(1, "0", "0.00"), D(0)),
    ],
)
def test_a_discount_is_a_two_decimal_percent_only_when_that_gives_the_cent(
    line: OrderLine, percent: Decimal | None
) -> None:
    assert discount_percent(line) == percent


def _order() -> OrderCreated:
    order = next(e for e in example_events() if isinstance(e, OrderCreated))
    return order  # total 28.12 of which tax 4.49


def test_totals_within_the_currencys_rounding_are_the_channels() -> None:
    odoo = {"amount_untaxed": 23.63, "amount_tax": 4.49, "amount_total": 28.12}
    assert differences(_order(), odoo, D("0.01")) == []
    a_cent_off = {**odoo, "amount_tax": 4.50, "amount_untaxed": 23.62}
    assert differences(_order(), a_cent_off, D("0.01")) == []


def test_totals_further_off_are_named_with_both_amounts() -> None:
    odoo = {"amount_untaxed": 23.22, "amount_tax": 3.48, "amount_total": 26.70}
    found = differences(_order(), odoo, D("0.01"))
    assert found == [
        "amount_untaxed 23.22 in Odoo, 23.63 at the channel",
        "amount_tax 3.48 in Odoo, 4.49 at the channel",
        "amount_total 26.70 in Odoo, 28.12 at the channel",
    ]


def test_an_event_that_did_not_add_up_is_a_difference_even_when_odoo_agrees() -> None:
    order = _order().model_copy(update={"mapping_difference": D("-2.00")})
    odoo = {"amount_untaxed": 23.63, "amount_tax": 4.49, "amount_total": 28.12}
    assert differences(order, odoo, D("0.01")) == [
        "the channel's amounts do not add up to its total (difference -2.00 EUR)"
    ]
