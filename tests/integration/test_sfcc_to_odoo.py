"""SFCC orders into Odoo: the order_created the SFCC export maps (net and gross taxation,
line and order promotions, shipping) becomes an Odoo order whose totals are SFCC's to the
cent, with nothing flagged for finance."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from producers.sfcc.mapping import order_events, site_source
from retailsync.consumer import ConsumerService
from retailsync.events import OrderCreated
from retailsync.odoo import OdooClient
from sandbox.sfcc import Item, order_document
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
SOURCE = site_source("f_ecom_test_001", "RefArch")


@pytest.mark.parametrize(
    ("taxation", "currency", "rate"), [("net", "USD", "0.19"), ("gross", "EUR", "0.20")]
)
def test_an_sfcc_order_reaches_odoo_with_its_totals_to_the_cent(
    taxation: str,
    currency: str,
    rate: str,
    pipeline: Pipeline,
    client: OdooClient,
    applier: ConsumerService,
) -> None:
    mug, tee = new_skus(client, 2)
    number = f"{taxation}-{mug[-6:]}"
    document = order_document(
        number,
        (Item(mug, 2, D("12.50"), item_discount=D("2.50")), Item(tee, 1, D("20.00"))),
        currency=currency,
        taxation=taxation,  # type: ignore[arg-type]
        tax_rate=D(rate),
        shipping=D("5.00"),
        order_discount=D("3.00"),
        payment_status="not_paid",
    )
    (event,) = order_events(json.dumps(document).encode(), source=SOURCE, channel="sfcc")
    assert isinstance(event, OrderCreated)
    assert event.mapping_difference == 0
    pipeline.publish(event)
    with pipeline.running(applier):
        pipeline.wait(lambda: orders_of(client, [event.order_ref]) == {event.order_ref: ["sale"]})
    [row] = client.search_read(
        "sale.order",
        [("client_order_ref", "=", event.order_ref)],
        ["amount_untaxed", "amount_tax", "amount_total", "tag_ids"],
    )
    odoo_totals = tuple(
        D(str(row[name])) for name in ("amount_untaxed", "amount_tax", "amount_total")
    )
    assert odoo_totals == (event.total - event.tax_total, event.tax_total, event.total)
    assert event.total == D(str(document["orderTotal"]))
    assert row["tag_ids"] == []  # nothing for finance to look at
