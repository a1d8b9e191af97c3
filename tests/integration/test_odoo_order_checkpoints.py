"""An order's allocation and invoicing in Odoo, captured by the change capture from the
sandbox Odoo onto the real broker, and folded into the order's lifecycle."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from confluent_kafka.admin import AdminClient

from consumers.order_lifecycle import projection_service
from consumers.order_lifecycle.store import LifecycleStore
from retailsync.events import OrderAllocated, OrderCreated, OrderInvoiced
from retailsync.events.examples import SHOP, example_events
from retailsync.odoo import OdooClient
from retailsync.settings import Settings
from sandbox.odoo import SandboxOdoo
from tests.contract.odoo.helpers import (
    count_stock,
    main_warehouse,
    new_customer,
    new_order,
    new_product,
)
from tests.integration.harness import Pipeline, make_pipeline
from tests.integration.odoo_changes_support import (
    TOPOLOGY,
    CaptureSettings,
    events,
    odoo_settings,
    started_poller,
)

pytestmark = pytest.mark.integration

# The lifecycle group reads the orders the change capture publishes to.
LIFECYCLE_GROUP = """consumers:
  GROUP:
    subscriptions: [NS.orders, NS.shipments, NS.returns]
    retry: {in_process_attempts: 3, delays: [], ordering: none}
"""
REF = "shop:2001"


@pytest.fixture(params=["18.0", "19.0"])
def odoo(request: pytest.FixtureRequest) -> Iterator[SandboxOdoo]:
    # Each Odoo version over its own API: JSON-RPC to 18, JSON-2 to 19.
    with SandboxOdoo.running(version=request.param) as sandbox:
        yield sandbox


@pytest.fixture
def pipeline(kafka_settings: Settings, admin: AdminClient, unique: str) -> Pipeline:
    return make_pipeline(kafka_settings, admin, unique, template=TOPOLOGY + LIFECYCLE_GROUP)


@pytest.fixture
def settings(kafka_settings: Settings, odoo: SandboxOdoo, unique: str) -> CaptureSettings:
    return odoo_settings(
        kafka_settings,
        odoo,
        unique,
        jsonrpc=odoo.major_version < 19,
        odoo_models=["stock.picking.assigned", "account.move"],
    )


@pytest.fixture
def client(settings: CaptureSettings) -> Iterator[OdooClient]:
    with OdooClient.from_settings(settings.odoo) as odoo:
        yield odoo


def confirmed_order(client: OdooClient, sku: str, ref: str | None) -> tuple[int, int]:
    """A confirmed order of 3 units of a new product with 10 in stock (so its delivery is
    Ready), of the storefront order ``ref`` (None: an order made in Odoo); and its delivery."""
    product = new_product(client, sku)
    count_stock(client, product, main_warehouse(client).stock_id, 10)
    order = new_order(client, new_customer(client, sku), product, 3, sku)
    client.write("sale.order", [order], {"client_order_ref": ref or False})
    client.call("sale.order", "action_confirm", [order])
    [row] = client.read("sale.order", [order], ["picking_ids"])
    return order, row["picking_ids"][0]


def posted_invoice(client: OdooClient, order: int) -> int:
    """The order invoiced through the Create Invoice wizard, as odoo-orders does, and posted."""
    [wizard] = client.create(
        "sale.advance.payment.inv",
        [{"advance_payment_method": "delivered", "sale_order_ids": [[6, 0, [order]]]}],
    )
    client.call("sale.advance.payment.inv", "create_invoices", [wizard])
    [row] = client.read("sale.order", [order], ["invoice_ids"])
    [invoice] = row["invoice_ids"]
    client.call("account.move", "action_post", [invoice])
    return invoice


def created(order_ref: str) -> OrderCreated:
    """The channel's order_created, which the lifecycle reads as accepted."""
    example = next(e for e in example_events() if isinstance(e, OrderCreated))
    envelope = OrderCreated.new_envelope(
        source=SHOP,
        source_ref=f"order/{order_ref}",
        occurred_at=datetime.now(UTC),
        source_version=1,
        channel="shop",
    )
    return example.model_copy(update={"envelope": envelope, "order_ref": order_ref})


def test_a_reserved_delivery_and_a_posted_invoice_reach_the_orders_checkpoints(
    client: OdooClient, settings: CaptureSettings, pipeline: Pipeline, tmp_path: Path
) -> None:
    order, picking = confirmed_order(client, "kettle", REF)
    odoo_only, _ = confirmed_order(client, "teapot", None)  # no storefront's: no events
    pipeline.publish(created(REF))

    with started_poller(settings, pipeline) as poller:
        assert poller.poll() == 1  # the Ready delivery of the storefront order
        invoice = posted_invoice(client, order)
        posted_invoice(client, odoo_only)
        assert poller.poll() == 1  # its posted invoice
        assert poller.poll() == 0  # a re-poll publishes nothing again

    found = events(pipeline, "orders")
    [allocated] = [e for e in found if isinstance(e, OrderAllocated)]
    [invoiced] = [e for e in found if isinstance(e, OrderInvoiced)]
    assert len(found) == 3  # and the order_created
    [delivery] = client.read("stock.picking", [picking], ["name", "state"])
    assert delivery["state"] == "assigned"
    assert (allocated.order_ref, allocated.delivery_ref, allocated.warehouse) == (
        REF,
        delivery["name"],
        "WH",
    )
    assert [(line.sku, line.quantity) for line in allocated.lines] == [("SKU-kettle", Decimal(3))]
    [bill] = client.read(
        "account.move",
        [invoice],
        ["name", "currency_id", "amount_untaxed", "amount_tax", "amount_total"],
    )
    assert (invoiced.order_ref, invoiced.invoice_ref, invoiced.currency) == (
        REF,
        bill["name"],
        bill["currency_id"][1],
    )
    assert (invoiced.amount_untaxed, invoiced.amount_tax, invoiced.amount_total) == tuple(
        Decimal(repr(bill[f])) for f in ("amount_untaxed", "amount_tax", "amount_total")
    )
    assert invoiced.amount_untaxed + invoiced.amount_tax == invoiced.amount_total
    assert invoiced.amount_total > 0

    store = LifecycleStore.connect(tmp_path / "lifecycle.sqlite3")
    service = projection_service(pipeline.group, lambda: store)
    try:
        with pipeline.running(service):
            pipeline.wait(lambda: len(store.contents()["events"]) == 3, 60, "the lifecycle's fold")
        projected = store.order(REF)
    finally:
        store.close()
    assert projected is not None
    ms = lambda event: int(event.envelope.occurred_at.timestamp() * 1000)  # noqa: E731
    assert projected.reached_ms == {
        "accepted": projected.reached_ms["accepted"],
        "allocated": ms(allocated),
        "invoiced": ms(invoiced),
    }


def test_an_invoice_of_several_storefront_orders_or_of_none_is_no_orders_invoice(
    client: OdooClient, settings: CaptureSettings, pipeline: Pipeline
) -> None:
    first, _ = confirmed_order(client, "cup", "shop:2002")
    second, _ = confirmed_order(client, "saucer", "shop:2003")
    names = [row["name"] for row in client.read("sale.order", [first, second], ["name"])]
    [partner] = client.read("sale.order", [first], ["partner_id"])
    line = {"name": "goods", "quantity": 1, "price_unit": 10.0}
    invoices = client.create(
        "account.move",
        [
            # Both orders on one invoice: its amounts are not any one order's.
            {"move_type": "out_invoice", "partner_id": partner["partner_id"][0],
             "invoice_origin": ", ".join(names), "invoice_line_ids": [[0, 0, line]]},
            # Made by hand, of no order.
            {"move_type": "out_invoice", "partner_id": partner["partner_id"][0],
             "invoice_line_ids": [[0, 0, line]]},
        ],
    )  # fmt: skip
    client.call("account.move", "action_post", invoices)

    with started_poller(settings, pipeline) as poller:
        poller.poll()

    found = events(pipeline, "orders")
    assert [e for e in found if isinstance(e, OrderInvoiced)] == []
    assert sorted(e.order_ref for e in found if isinstance(e, OrderAllocated)) == [
        "shop:2002",
        "shop:2003",
    ]
