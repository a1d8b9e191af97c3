"""odoo-orders against the real broker and the sandbox Odoo: orders exactly once (even when
a write commits after its timeout), edits, test orders only when configured, authorizations
in the chatter, cancellations (also before their order, and refunded when paid), unknown
SKUs dead-lettered, and back-pressure when Odoo is down."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from decimal import Decimal

import pytest
from confluent_kafka.admin import AdminClient

from commands.traffic import seed_odoo
from consumers.odoo_orders import make_service
from consumers.odoo_orders.settings import OrdersSettings
from retailsync import headers as h
from retailsync.consumer import ConsumerService
from retailsync.events import (
    OrderCancelled,
    OrderCreated,
    OrderEdited,
    PaymentAuthorized,
    PaymentCaptured,
)
from retailsync.events.examples import AT, SHOP, example_events
from retailsync.odoo import OdooClient, OdooSettings
from retailsync.settings import Settings
from sandbox.odoo import SandboxOdoo
from tests.integration.harness import Pipeline, make_pipeline
from tests.integration.late_commit_proxy import LateCommitProxy

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def odoo() -> Iterator[SandboxOdoo]:
    with SandboxOdoo.running() as sandbox:
        settings = OdooSettings(
            odoo_url=sandbox.url, odoo_db=sandbox.db, odoo_api_key=sandbox.api_key
        )
        with OdooClient.from_settings(settings) as client:
            add_service_products(client)
        yield sandbox


def add_service_products(client: OdooClient) -> None:
    """The products odoo-orders makes shipping lines, fees and discounts of, by default."""
    client.create(
        "product.product",
        [
            {"name": "Standard delivery", "default_code": "DELIVERY", "type": "service"},
            {"name": "Adjustment", "default_code": "ADJUSTMENT", "type": "service"},
        ],
    )


@pytest.fixture
def client(odoo: SandboxOdoo) -> Iterator[OdooClient]:
    settings = OdooSettings(odoo_url=odoo.url, odoo_db=odoo.db, odoo_api_key=odoo.api_key)
    with OdooClient.from_settings(settings) as client:
        yield client


@pytest.fixture
def applier(odoo: SandboxOdoo, pipeline: Pipeline) -> Iterator[ConsumerService]:
    """The odoo-orders service for this test's group, with one client it keeps."""
    settings = OdooSettings(
        odoo_url=odoo.url, odoo_db=odoo.db, odoo_api_key=odoo.api_key, odoo_timeout_s=5
    )
    with OdooClient.from_settings(settings) as client:
        yield make_service(lambda: client, name=pipeline.group)


@pytest.fixture
def pipeline(kafka_settings: Settings, admin: AdminClient, unique: str) -> Pipeline:
    return make_pipeline(kafka_settings, admin, unique)


def example(kind: type) -> object:
    return next(e for e in example_events() if isinstance(e, kind))


def new_skus(client: OdooClient, count: int) -> list[str]:
    skus = [f"SKU-{uuid.uuid4().hex[:10]}" for _ in range(count)]
    client.create(
        "product.product", [{"name": sku, "default_code": sku, "is_storable": True} for sku in skus]
    )
    return skus


def created(ref: str, sku: str, sequence: int = 1) -> OrderCreated:
    template = example(OrderCreated)
    assert isinstance(template, OrderCreated)
    envelope = OrderCreated.new_envelope(
        source=SHOP, source_ref=ref, occurred_at=AT, source_version=sequence
    )
    line = template.lines[0].model_copy(update={"sku": sku})
    return template.model_copy(
        update={
            "envelope": envelope,
            "order_ref": ref,
            "customer_ref": f"{ref}-customer",
            "lines": (line,),
        }
    )


def edited(ref: str, quantities: dict[str, int], sequence: int = 2) -> OrderEdited:
    """The order ``ref`` edited to ``quantities`` by SKU."""
    template = example(OrderEdited)
    assert isinstance(template, OrderEdited)
    envelope = OrderEdited.new_envelope(
        source=SHOP, source_ref=ref, occurred_at=AT, source_version=sequence
    )
    lines = tuple(
        template.lines[0].model_copy(
            update={
                "line_ref": sku,
                "sku": sku,
                "quantity": Decimal(quantity),
                "discount": Decimal(0),
                "total": template.lines[0].unit_price * quantity,
            }
        )
        for sku, quantity in quantities.items()
    )
    return template.model_copy(update={"envelope": envelope, "order_ref": ref, "lines": lines})


def lines_of(client: OdooClient, ref: str) -> dict[str, float]:
    """The order's quantity per SKU of its product lines, lines of no quantity left out."""
    [order] = client.search_read("sale.order", [("client_order_ref", "=", ref)], ["id"])
    lines = client.search_read(
        "sale.order.line",
        [("order_id", "=", order["id"]), ("is_delivery", "=", False)],
        ["product_id", "product_uom_qty"],
    )
    products = client.search_read(
        "product.product",
        [("id", "in", [line["product_id"][0] for line in lines])],
        ["default_code"],
    )
    skus = {product["id"]: product["default_code"] for product in products}
    quantities: dict[str, float] = {}
    for line in lines:
        sku = skus[line["product_id"][0]]
        quantities[sku] = quantities.get(sku, 0.0) + line["product_uom_qty"]
    return {sku: quantity for sku, quantity in quantities.items() if quantity}


def books_of(client: OdooClient, ref: str) -> list[tuple[str, str]]:
    """The kind and payment state of the order's invoices and credit notes."""
    orders = client.search_read("sale.order", [("client_order_ref", "=", ref)], ["invoice_ids"])
    if not orders:
        return []
    moves = client.read("account.move", orders[0]["invoice_ids"], ["move_type", "payment_state"])
    return sorted((str(m["move_type"]), str(m["payment_state"])) for m in moves)


def orders_of(client: OdooClient, refs: list[str]) -> dict[str, list[str]]:
    rows = client.search_read(
        "sale.order", [("client_order_ref", "in", refs)], ["client_order_ref", "state"]
    )
    found: dict[str, list[str]] = {}
    for row in rows:
        found.setdefault(str(row["client_order_ref"]), []).append(str(row["state"]))
    return found


def test_orders_become_confirmed_odoo_orders_exactly_once(
    pipeline: Pipeline, odoo: SandboxOdoo, client: OdooClient, applier: ConsumerService
) -> None:
    skus = new_skus(client, 3)
    refs = [f"shop:{uuid.uuid4().hex[:8]}" for _ in range(30)]
    events = [created(ref, skus[n % 3]) for n, ref in enumerate(refs)]
    pipeline.publish(*events)
    pipeline.publish(*events[:10])  # re-delivered by the storefront
    with pipeline.running(applier):
        pipeline.wait(lambda: len(orders_of(client, refs)) == 30, what="30 orders")
        pipeline.wait(
            lambda: pipeline.committed(pipeline.group, pipeline.topic) == 40, what="all handled"
        )
    assert orders_of(client, refs) == {ref: ["sale"] for ref in refs}
    partners = client.search_count(
        "res.partner", [("ref", "in", [f"{ref}-customer" for ref in refs])]
    )
    assert partners == 30
    assert pipeline.size(f"{pipeline.topic}.{pipeline.group}.dlt") == 0


def test_an_unknown_sku_is_dead_lettered_and_the_rest_goes_through(
    pipeline: Pipeline, odoo: SandboxOdoo, client: OdooClient, applier: ConsumerService
) -> None:
    [sku] = new_skus(client, 1)
    good, bad = f"shop:{uuid.uuid4().hex[:8]}", f"shop:{uuid.uuid4().hex[:8]}"
    pipeline.publish(created(bad, "SKU-NOT-IN-ODOO"), created(good, sku))
    with pipeline.running(applier):
        (dead,) = pipeline.records(f"{pipeline.topic}.{pipeline.group}.dlt", timeout_s=20, expect=1)
        pipeline.wait(lambda: good in orders_of(client, [good]), what="the good order")
    assert "SKU-NOT-IN-ODOO" in (h.text_header(dead.headers, h.ERROR_MESSAGE) or "")
    assert orders_of(client, [bad]) == {}


def test_authorizations_are_noted_once_and_cancellations_cancel(
    pipeline: Pipeline, odoo: SandboxOdoo, client: OdooClient, applier: ConsumerService
) -> None:
    [sku] = new_skus(client, 1)
    ref = f"shop:{uuid.uuid4().hex[:8]}"
    authorized = example(PaymentAuthorized)
    cancelled = example(OrderCancelled)
    assert isinstance(authorized, PaymentAuthorized) and isinstance(cancelled, OrderCancelled)
    authorization = authorized.model_copy(update={"order_ref": ref})
    cancellation = cancelled.model_copy(update={"order_ref": ref})
    pipeline.publish(created(ref, sku), authorization, authorization, cancellation)
    with pipeline.running(applier):
        pipeline.wait(
            lambda: orders_of(client, [ref]) == {ref: ["cancel"]}, what="the cancelled order"
        )
    [order] = client.search_read(
        "sale.order", [("client_order_ref", "=", ref)], ["id", "invoice_ids"]
    )
    notes = client.search_read(
        "mail.message", [("model", "=", "sale.order"), ("res_id", "=", order["id"])], ["body"]
    )
    assert len(notes) == 1
    assert str(authorization.envelope.event_id) in str(notes[0]["body"])
    assert authorization.payment_ref in str(notes[0]["body"])
    assert order["invoice_ids"] == []  # an authorization books nothing


def test_odoo_down_pauses_instead_of_dead_lettering(
    pipeline: Pipeline, odoo: SandboxOdoo, client: OdooClient, applier: ConsumerService
) -> None:
    [sku] = new_skus(client, 1)
    refs = [f"shop:{uuid.uuid4().hex[:8]}" for _ in range(10)]
    odoo.faults.down()
    try:
        pipeline.publish(*[created(ref, sku) for ref in refs])
        with pipeline.running(applier) as runner:
            pipeline.wait(lambda: "odoo" in runner.paused_by, what="the service to pause")
            assert pipeline.committed(pipeline.group, pipeline.topic) == 0
            odoo.faults.up()
            pipeline.wait(
                lambda: len(orders_of(client, refs)) == 10, timeout_s=60, what="the backlog"
            )
    finally:
        odoo.faults.up()
    assert pipeline.size(f"{pipeline.topic}.{pipeline.group}.dlt") == 0
    assert pipeline.size(f"{pipeline.topic}.{pipeline.group}.retry.1s") == 0


def test_an_order_write_that_commits_after_the_timeout_makes_no_second_order(
    pipeline: Pipeline, odoo: SandboxOdoo, client: OdooClient
) -> None:
    [sku] = new_skus(client, 1)
    ref = f"shop:{uuid.uuid4().hex[:8]}"
    with LateCommitProxy.running(odoo.url) as proxy:
        settings = OdooSettings(
            odoo_url=proxy.url, odoo_db=odoo.db, odoo_api_key=odoo.api_key, odoo_timeout_s=2
        )
        with OdooClient.from_settings(settings) as through_proxy:
            pipeline.publish(created(ref, sku))
            with pipeline.running(make_service(lambda: through_proxy, name=pipeline.group)):
                pipeline.wait(
                    proxy.late_write_done.is_set, timeout_s=60, what="the late write to commit"
                )
                pipeline.wait(
                    lambda: pipeline.committed(pipeline.group, pipeline.topic) == 1,
                    what="the order handled",
                )
    # The first write timed out, the retry wrote the order, and then the first write
    # reached Odoo and was applied (not refused): still one order, confirmed.
    assert proxy.retried.is_set()
    assert proxy.late_status == 200
    assert orders_of(client, [ref]) == {ref: ["sale"]}
    assert pipeline.size(f"{pipeline.topic}.{pipeline.group}.dlt") == 0


def test_a_cancellation_and_payment_before_their_order_wait_for_it(
    pipeline: Pipeline, odoo: SandboxOdoo, client: OdooClient, applier: ConsumerService
) -> None:
    [sku] = new_skus(client, 1)
    ref = f"shop:{uuid.uuid4().hex[:8]}"
    paid, cancelled = example(PaymentCaptured), example(OrderCancelled)
    assert isinstance(paid, PaymentCaptured) and isinstance(cancelled, OrderCancelled)
    payment = paid.model_copy(update={"order_ref": ref, "payment_ref": f"capture-{ref}"})
    cancellation = cancelled.model_copy(update={"order_ref": ref})
    # Published before their order, as webhooks delivered out of order are.
    pipeline.publish(payment, cancellation, created(ref, sku))
    with pipeline.running(applier):
        pipeline.wait(
            lambda: orders_of(client, [ref]) == {ref: ["cancel"]},
            timeout_s=60,
            what="the order created, then cancelled",
        )
        # Paid, then cancelled: the invoice and its credit note, both settled.
        pipeline.wait(
            lambda: books_of(client, ref) == [("out_invoice", "paid"), ("out_refund", "paid")],
            timeout_s=60,
            what="the payment booked, then refunded",
        )
    assert pipeline.size(f"{pipeline.topic}.{pipeline.group}.dlt") == 0


def test_an_edit_changes_the_lines_of_an_order_not_delivered_yet(
    pipeline: Pipeline, odoo: SandboxOdoo, client: OdooClient, applier: ConsumerService
) -> None:
    first, second = new_skus(client, 2)
    ref = f"shop:{uuid.uuid4().hex[:8]}"
    edit = edited(ref, {first: 1, second: 3})
    # The edit once more, as a re-delivery: it finds nothing left to change.
    pipeline.publish(created(ref, first), edit, edit)
    with pipeline.running(applier):
        pipeline.wait(
            lambda: pipeline.committed(pipeline.group, pipeline.topic) == 3, what="all handled"
        )
    assert orders_of(client, [ref]) == {ref: ["sale"]}
    assert lines_of(client, ref) == {first: 1.0, second: 3.0}
    assert pipeline.size(f"{pipeline.topic}.{pipeline.group}.dlt") == 0


def test_a_capture_waits_for_an_edit_parked_before_it_and_invoices_the_edited_lines(
    pipeline: Pipeline, odoo: SandboxOdoo, client: OdooClient, applier: ConsumerService
) -> None:
    first, second = new_skus(client, 2)
    ref = f"shop:{uuid.uuid4().hex[:8]}"
    paid = example(PaymentCaptured)
    assert isinstance(paid, PaymentCaptured)
    capture = paid.model_copy(update={"order_ref": ref, "payment_ref": f"capture-{ref}"})
    # The edit arrives before its order and is parked until the order exists; the order
    # passes it, the capture must not.
    pipeline.publish(edited(ref, {first: 1, second: 3}), created(ref, first), capture)
    with pipeline.running(applier):
        pipeline.wait(
            lambda: (
                pipeline.committed(pipeline.group, pipeline.topic) == 3
                and len(books_of(client, ref)) == 1
            ),
            timeout_s=60,
            what="the edit, the order and the capture handled",
        )
    [order] = client.search_read("sale.order", [("client_order_ref", "=", ref)], ["invoice_ids"])
    invoiced = client.search_read(
        "account.move.line",
        [("move_id", "in", order["invoice_ids"]), ("display_type", "=", "product")],
        ["product_id", "quantity"],
    )
    skus = {
        row["id"]: row["default_code"]
        for row in client.search_read(
            "product.product", [("default_code", "in", [first, second])], ["default_code"]
        )
    }
    quantities = {skus.get(row["product_id"][0]): row["quantity"] for row in invoiced}
    assert {sku: quantities.get(sku) for sku in (first, second)} == {first: 1.0, second: 3.0}


def test_an_edit_after_a_delivery_is_posted_for_a_person_not_applied(
    pipeline: Pipeline, odoo: SandboxOdoo, client: OdooClient, applier: ConsumerService
) -> None:
    [sku] = new_skus(client, 1)
    seed_odoo(client, skus=(f"{sku}-stocked",), on_hand=10)
    stocked = f"{sku}-stocked"
    ref = f"shop:{uuid.uuid4().hex[:8]}"
    pipeline.publish(created(ref, stocked))
    with pipeline.running(applier):
        pipeline.wait(lambda: orders_of(client, [ref]) == {ref: ["sale"]}, what="the order")
        [order] = client.search_read("sale.order", [("client_order_ref", "=", ref)], ["id"])
        [picking] = client.search_read(
            "stock.picking", [("sale_id", "=", order["id"]), ("state", "=", "assigned")], ["id"]
        )
        client.call("stock.picking", "button_validate", [picking["id"]], context={"skip_sms": True})
        edit = edited(ref, {stocked: 1})
        pipeline.publish(edit)
        pipeline.wait(
            lambda: (
                client.search_count(
                    "mail.message",
                    [
                        ("model", "=", "sale.order"),
                        ("res_id", "=", order["id"]),
                        ("body", "ilike", str(edit.envelope.event_id)),
                    ],
                )
                == 1
            ),
            what="the edit noted on the order",
        )
    assert lines_of(client, ref) == {stocked: 2.0}
    assert pipeline.size(f"{pipeline.topic}.{pipeline.group}.dlt") == 0


def test_a_test_order_is_applied_only_when_configured(
    pipeline: Pipeline, odoo: SandboxOdoo, client: OdooClient, applier: ConsumerService
) -> None:
    [sku] = new_skus(client, 1)
    test, real, allowed = (f"shop:{uuid.uuid4().hex[:8]}" for _ in range(3))
    pipeline.publish(created(test, sku).model_copy(update={"test": True}), created(real, sku))
    with pipeline.running(applier):
        pipeline.wait(
            lambda: pipeline.committed(pipeline.group, pipeline.topic) == 2, what="both handled"
        )
    assert orders_of(client, [test, real]) == {real: ["sale"]}
    settings = OdooSettings(odoo_url=odoo.url, odoo_db=odoo.db, odoo_api_key=odoo.api_key)
    with OdooClient.from_settings(settings) as own:
        configured = make_service(
            lambda: own,
            name=pipeline.group,
            settings=lambda: OrdersSettings(odoo_orders_apply_test_orders=True),
        )
        pipeline.publish(created(allowed, sku).model_copy(update={"test": True}))
        with pipeline.running(configured):
            pipeline.wait(lambda: allowed in orders_of(client, [allowed]), what="the test order")
