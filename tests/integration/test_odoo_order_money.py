"""odoo-orders' money against the real broker and the sandbox Odoo: each order's Odoo totals
are the channel's to the cent (taxes included and excluded, several rates, discounts,
shipping, a foreign currency, half-cent roundings); a tax or currency Odoo cannot take is
dead-lettered with the reason; an order that does not add up is flagged for finance."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

import pytest

from consumers.odoo_orders import make_service
from consumers.odoo_orders.money import line_taxes_field
from consumers.odoo_orders.settings import OrdersSettings
from retailsync import headers as h
from retailsync.consumer import ConsumerService
from retailsync.events import FeeLine, OrderCreated, OrderEdited, OrderLine, TaxLine
from retailsync.events.examples import AT, SHOP, example_events
from retailsync.odoo import OdooClient, OdooSettings
from sandbox.odoo import SandboxOdoo
from tests.integration import test_odoo_orders as orders_tests
from tests.integration.harness import Pipeline
from tests.integration.test_odoo_orders import new_skus, orders_of

pytestmark = pytest.mark.integration

# The order applier's fixtures: a sandbox Odoo with the shipping and adjustment products.
odoo = orders_tests.odoo
client = orders_tests.client
applier = orders_tests.applier
pipeline = orders_tests.pipeline

D = Decimal
FLAG_TAG = "retailsync: totals differ from the channel"


@dataclass(frozen=True)
class Item:
    """A product line: quantity, unit price, discount (an amount) and its taxes' rates."""

    quantity: int
    unit_price: str
    taxes: Sequence[tuple[str, str, str]] = ()  # (title, rate %, amount)
    discount: str = "0"


@dataclass(frozen=True)
class Placed:
    """An order as a channel states it; ``order`` builds its event from the lines up."""

    currency: str
    included: bool
    items: Sequence[Item]
    shipping: str = "0"
    shipping_taxes: Sequence[tuple[str, str, str]] = ()
    order_discount: str = "0"
    tax_total: str | None = None  # when the order-level discount lowers the tax
    fees: Sequence[FeeLine] = field(default_factory=tuple)
    unexplained: str = "0"  # in the total but nowhere else, like a tip

    def order(self, ref: str, skus: Sequence[str]) -> OrderCreated:
        lines = tuple(
            _line(n, sku, item) for n, (sku, item) in enumerate(zip(skus, self.items, strict=True))
        )
        shipping_tax = sum((D(t[2]) for t in self.shipping_taxes), D(0))
        tax = (
            D(self.tax_total)
            if self.tax_total is not None
            else sum((line.tax for line in lines), D(0)) + shipping_tax
        )
        subtotal = sum((line.total for line in lines), D(0))
        fees = sum((fee.amount for fee in self.fees), D(0))
        stated = subtotal + D(self.shipping) + fees - D(self.order_discount)
        total = stated + (0 if self.included else tax) + D(self.unexplained)
        template = next(e for e in example_events() if isinstance(e, OrderCreated))
        return template.model_copy(
            update={
                "envelope": OrderCreated.new_envelope(
                    source=SHOP, source_ref=ref, occurred_at=AT, source_version=1
                ),
                "order_ref": ref,
                "customer_ref": f"{ref}-customer",
                "currency": self.currency,
                "prices_include_tax": self.included,
                "lines": lines,
                "subtotal": subtotal,
                "shipping_total": D(self.shipping),
                "discount_total": sum((line.discount for line in lines), D(0)),
                "tax_total": tax,
                "total": total,
                "shipping_tax": shipping_tax,
                "shipping_tax_lines": _taxes(self.shipping_taxes),
                "fee_lines": tuple(self.fees),
                "order_discount": D(self.order_discount),
                "mapping_difference": -D(self.unexplained),
            }
        )


def _taxes(taxes: Sequence[tuple[str, str, str]]) -> tuple[TaxLine, ...]:
    return tuple(TaxLine(title=t, rate=D(r), amount=D(a)) for t, r, a in taxes)


def _line(n: int, sku: str, item: Item) -> OrderLine:
    gross = item.quantity * D(item.unit_price)
    taxes = _taxes(item.taxes)
    return OrderLine(
        line_ref=str(n + 1),
        sku=sku,
        title=f"Item {n + 1}",
        quantity=D(item.quantity),
        unit_price=D(item.unit_price),
        discount=D(item.discount),
        tax=sum((t.amount for t in taxes), D(0)),
        total=gross - D(item.discount),
        tax_lines=taxes,
    )


PLACED = {
    "tax included": Placed(
        "EUR", True, [Item(2, "14.95", [("VAT", "20", "4.98")])],
        shipping="4.90", shipping_taxes=[("VAT", "20", "0.82")],
    ),
    "tax excluded": Placed(
        "USD", False, [Item(3, "9.99", [("State tax", "19", "5.69")])],
        shipping="5.00", shipping_taxes=[("State tax", "19", "0.95")],
    ),
    "several rates": Placed(
        "USD", False,
        [
            Item(1, "10.00", [("Standard", "19", "1.90")]),
            Item(2, "2.50", [("Reduced", "7", "0.35")]),
        ],
    ),
    "line discounts": Placed(
        "USD", False,
        [
            # 10 %, a percent Odoo keeps; 1.00 of 1234.56 is no 2-decimal percent: a line.
            Item(4, "12.50", [("VAT", "19", "8.55")], discount="5.00"),
            Item(1, "1234.56", [("VAT", "19", "234.38")], discount="1.00"),
        ],
    ),
    "order discount": Placed(
        "USD", False, [Item(1, "50.00", [("VAT", "19", "9.50")])],
        order_discount="5.00", tax_total="8.55",
    ),
    "fees": Placed(
        "USD", False, [Item(1, "20.00", [("VAT", "19", "3.80")])],
        fees=[FeeLine(title="Cash on delivery", amount=D("2.00"), tax=D(0))],
    ),
    "foreign currency": Placed("GBP", True, [Item(1, "24.00", [("VAT", "20", "4.00")])]),
    "half cents": Placed(
        # 0.50 x 7 % = 0.035 on each line: 0.04 each, as Odoo rounds per line.
        "USD", False, [Item(1, "0.50", [("Reduced", "7", "0.04")])] * 3,
    ),
    "half a cent of included tax": Placed(
        # 0.03 includes 0.005 of 20 % tax: 0.01, rounded half up.
        "EUR", True, [Item(1, "0.03", [("VAT", "20", "0.01")])],
    ),
}  # fmt: skip


def _totals(client: OdooClient, ref: str) -> tuple[float, float, float, str, list[int]]:
    [row] = client.search_read(
        "sale.order",
        [("client_order_ref", "=", ref)],
        ["amount_untaxed", "amount_tax", "amount_total", "currency_id", "tag_ids"],
    )
    return (
        row["amount_untaxed"],
        row["amount_tax"],
        row["amount_total"],
        row["currency_id"][1],
        row["tag_ids"],
    )


@pytest.mark.parametrize("case", sorted(PLACED))
def test_odoo_totals_are_the_channels_to_the_cent(
    case: str, pipeline: Pipeline, client: OdooClient, applier: ConsumerService
) -> None:
    placed = PLACED[case]
    skus = new_skus(client, len(placed.items))
    ref = f"shop:{uuid.uuid4().hex[:8]}"
    event = placed.order(ref, skus)
    assert event.mapping_difference == 0
    pipeline.publish(event)
    with pipeline.running(applier):
        pipeline.wait(lambda: orders_of(client, [ref]) == {ref: ["sale"]}, what="the order")
    untaxed, tax, total, currency, tags = _totals(client, ref)
    expected = (event.total - event.tax_total, event.tax_total, event.total)
    assert (D(str(untaxed)), D(str(tax)), D(str(total))) == expected
    assert currency == placed.currency
    assert tags == []  # nothing for finance to look at
    assert pipeline.size(f"{pipeline.topic}.{pipeline.group}.dlt") == 0


@pytest.mark.parametrize(
    ("placed", "reason"),
    [
        (
            Placed("USD", False, [Item(1, "10.00", [("Odd tax", "13.5", "1.35")])]),
            "'Odd tax' at 13.5",
        ),
        (Placed("JPY", True, [Item(1, "1000", [("VAT", "10", "91")])]), "no pricelist in JPY"),
        (Placed("CAD", False, [Item(1, "10.00")]), "no pricelist in CAD"),
    ],
    ids=["unknown tax", "unknown currency", "currency without pricelist"],
)  # fmt: skip
def test_a_tax_or_currency_odoo_cannot_take_is_dead_lettered_with_the_reason(
    placed: Placed,
    reason: str,
    pipeline: Pipeline,
    client: OdooClient,
    applier: ConsumerService,
) -> None:
    [sku] = new_skus(client, 1)
    bad, good = f"shop:{uuid.uuid4().hex[:8]}", f"shop:{uuid.uuid4().hex[:8]}"
    pipeline.publish(placed.order(bad, [sku]), PLACED["tax excluded"].order(good, [sku]))
    with pipeline.running(applier):
        (dead,) = pipeline.records(f"{pipeline.topic}.{pipeline.group}.dlt", timeout_s=20, expect=1)
        pipeline.wait(lambda: good in orders_of(client, [good]), what="the good order")
    assert reason in (h.text_header(dead.headers, h.ERROR_MESSAGE) or "")
    assert orders_of(client, [bad]) == {}


def test_an_order_that_does_not_add_up_is_flagged_for_finance(
    pipeline: Pipeline, client: OdooClient, applier: ConsumerService
) -> None:
    [sku] = new_skus(client, 1)
    ref = f"shop:{uuid.uuid4().hex[:8]}"
    tipped = Placed("USD", False, [Item(1, "10.00", [("VAT", "19", "1.90")])], unexplained="2.00")
    pipeline.publish(tipped.order(ref, [sku]))
    with pipeline.running(applier):
        pipeline.wait(lambda: orders_of(client, [ref]) == {ref: ["sale"]}, what="the order")
    untaxed, tax, total, _currency, tags = _totals(client, ref)
    assert (untaxed, tax, total) == (10.0, 1.9, 11.9)  # what Odoo can know: not the tip
    [tag] = client.read("crm.tag", tags, ["name"])
    assert tag["name"] == FLAG_TAG
    [order] = client.search_read("sale.order", [("client_order_ref", "=", ref)], ["id"])
    [note] = client.search_read(
        "mail.message", [("model", "=", "sale.order"), ("res_id", "=", order["id"])], ["body"]
    )
    assert "amount_total 11.90 in Odoo, 13.90 at the channel" in note["body"]
    assert "do not add up" in note["body"]


def test_configured_taxes_and_pricelists_win_over_the_default_lookup(
    pipeline: Pipeline, odoo: SandboxOdoo, client: OdooClient
) -> None:
    [sku] = new_skus(client, 1)
    ref, unique = f"shop:{uuid.uuid4().hex[:8]}", uuid.uuid4().hex[:8]
    [euro] = client.search_read("res.currency", [("name", "=", "EUR")], ["id"])
    [pricelist] = client.create(
        "product.pricelist",
        [{"name": f"Promo {unique}", "currency_id": euro["id"], "sequence": 99}],
    )
    [tax] = client.create(
        "account.tax",
        [{"name": f"MwSt 19 {unique}", "amount": 19.0, "price_include_override": "tax_included"}],
    )
    settings = OrdersSettings(
        odoo_orders_taxes={"MwSt": f"MwSt 19 {unique}"},
        odoo_orders_pricelists={"EUR": f"Promo {unique}"},
    )
    placed = Placed("EUR", True, [Item(1, "11.90", [("MwSt", "19", "1.90")])])
    pipeline.publish(placed.order(ref, [sku]))
    connection = OdooSettings(odoo_url=odoo.url, odoo_db=odoo.db, odoo_api_key=odoo.api_key)
    with OdooClient.from_settings(connection) as own:
        service = make_service(lambda: own, name=pipeline.group, settings=lambda: settings)
        with pipeline.running(service):
            pipeline.wait(lambda: orders_of(client, [ref]) == {ref: ["sale"]}, what="the order")
    [order] = client.search_read(
        "sale.order", [("client_order_ref", "=", ref)], ["pricelist_id", "order_line", "amount_tax"]
    )
    taxes = line_taxes_field(client)
    [line] = client.read("sale.order.line", order["order_line"], [taxes])
    assert (order["pricelist_id"][0], line[taxes], order["amount_tax"]) == (
        pricelist,
        [tax],
        1.9,
    )


def test_a_line_an_edit_adds_gets_the_taxes_of_its_tax_lines(
    pipeline: Pipeline, client: OdooClient, applier: ConsumerService
) -> None:
    first, second = new_skus(client, 2)
    ref = f"shop:{uuid.uuid4().hex[:8]}"
    placed = Placed("USD", False, [Item(1, "10.00", [("State tax", "19", "1.90")])])
    order = placed.order(ref, [first])
    [line] = order.lines
    added = line.model_copy(update={"line_ref": "2", "sku": second})
    template = next(e for e in example_events() if isinstance(e, OrderEdited))
    edit = template.model_copy(
        update={
            "envelope": OrderEdited.new_envelope(
                source=SHOP, source_ref=ref, occurred_at=AT, source_version=2
            ),
            "order_ref": ref,
            "currency": "USD",
            "prices_include_tax": False,
            "lines": (line, added),
        }
    )
    pipeline.publish(order, edit)
    with pipeline.running(applier):
        pipeline.wait(
            lambda: pipeline.committed(pipeline.group, pipeline.topic) == 2, what="both handled"
        )
    [row] = client.search_read(
        "sale.order", [("client_order_ref", "=", ref)], ["amount_untaxed", "amount_tax"]
    )
    # 19 % on each line, not the product's default 15 % on the new one.
    assert (row["amount_untaxed"], row["amount_tax"]) == (20.0, 3.8)


def test_free_shipping_makes_no_delivery_line(
    pipeline: Pipeline, client: OdooClient, applier: ConsumerService
) -> None:
    [sku] = new_skus(client, 1)
    ref = f"shop:{uuid.uuid4().hex[:8]}"
    free = Placed(
        "EUR", True, [Item(1, "11.90", [("MwSt", "19", "1.90")])],
        shipping="0", shipping_taxes=[("MwSt", "19", "0.00")],
    )  # fmt: skip
    pipeline.publish(free.order(ref, [sku]))
    with pipeline.running(applier):
        pipeline.wait(lambda: orders_of(client, [ref]) == {ref: ["sale"]}, what="the order")
    [order] = client.search_read(
        "sale.order", [("client_order_ref", "=", ref)], ["order_line", "amount_total"]
    )
    lines = client.read("sale.order.line", order["order_line"], ["is_delivery"])
    assert [line["is_delivery"] for line in lines] == [False]
    assert order["amount_total"] == 11.9
