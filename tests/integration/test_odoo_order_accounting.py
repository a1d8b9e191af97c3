"""odoo-orders' accounting against the real broker and the sandbox Odoo: a capture becomes
a posted invoice paid in the journal mapped from its gateway, exactly once after
re-delivery; a refund becomes a credit note of the refunded line (or of its amount), paid
back, once; a refund larger than what is left paid is dead-lettered naming both amounts; a
paid order cancelled is refunded in full."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import pytest

from consumers.odoo_orders import make_service
from consumers.odoo_orders.settings import OrdersSettings
from retailsync import headers as h
from retailsync.consumer import ConsumerService
from retailsync.events import OrderCancelled, PaymentCaptured, RefundIssued
from retailsync.odoo import OdooClient, OdooSettings
from sandbox.odoo import SandboxOdoo
from tests.integration import test_odoo_orders as orders_tests
from tests.integration.harness import Pipeline
from tests.integration.test_odoo_orders import books_of, created, example, new_skus

pytestmark = pytest.mark.integration

odoo = orders_tests.odoo
client = orders_tests.client
applier = orders_tests.applier
pipeline = orders_tests.pipeline

GATEWAY = "example_gateway"  # the example payment's


@pytest.fixture
def journal(client: OdooClient) -> dict[str, Any]:
    """A bank journal of this test's own, the one its gateway is mapped to."""
    code = uuid.uuid4().hex[:5].upper()
    name = f"Gateway {code}"
    [journal] = client.create("account.journal", [{"name": name, "code": code, "type": "bank"}])
    return {"id": journal, "name": name}


@pytest.fixture
def mapped(odoo: SandboxOdoo, pipeline: Pipeline, journal: dict[str, Any]) -> Any:
    """odoo-orders with the example gateway mapped to ``journal``."""
    settings = OdooSettings(
        odoo_url=odoo.url, odoo_db=odoo.db, odoo_api_key=odoo.api_key, odoo_timeout_s=5
    )
    own = OrdersSettings(odoo_orders_payment_journals={GATEWAY: journal["name"]})
    with OdooClient.from_settings(settings) as odoo_client:
        yield make_service(lambda: odoo_client, name=pipeline.group, settings=lambda: own)


def _payment(ref: str) -> PaymentCaptured:
    paid = example(PaymentCaptured)
    assert isinstance(paid, PaymentCaptured)
    return paid.model_copy(update={"order_ref": ref, "payment_ref": f"capture-{ref}"})


def _refund(ref: str, **changes: Any) -> RefundIssued:
    refunded = example(RefundIssued)
    assert isinstance(refunded, RefundIssued)
    return refunded.model_copy(
        update={"order_ref": ref, "refund_ref": f"refund-{ref}", "payment_ref": f"capture-{ref}"}
        | changes
    )


def _moves(client: OdooClient, ref: str) -> list[dict[str, Any]]:
    [order] = client.search_read("sale.order", [("client_order_ref", "=", ref)], ["invoice_ids"])
    fields = ["move_type", "state", "amount_total", "amount_residual", "payment_state", "ref"]
    return client.read("account.move", order["invoice_ids"], [*fields, "reversed_entry_id"])


def test_a_payment_becomes_a_posted_invoice_paid_in_the_mapped_journal_once(
    pipeline: Pipeline, client: OdooClient, mapped: ConsumerService, journal: dict[str, Any]
) -> None:
    [sku] = new_skus(client, 1)
    ref = f"shop:{uuid.uuid4().hex[:8]}"
    payment = _payment(ref)
    pipeline.publish(created(ref, sku), payment, payment)  # the capture re-delivered
    with pipeline.running(mapped):
        pipeline.wait(
            lambda: pipeline.committed(pipeline.group, pipeline.topic) == 3,
            what="the order and both deliveries of its payment",
        )
    [invoice] = _moves(client, ref)
    assert (invoice["move_type"], invoice["state"]) == ("out_invoice", "posted")
    assert Decimal(str(invoice["amount_total"])) == payment.amount
    assert (invoice["amount_residual"], invoice["payment_state"]) == (0.0, "paid")
    payments = client.search_read(
        "account.payment",
        [("journal_id", "=", journal["id"])],
        ["amount", "state", "reconciled_invoice_ids"],
    )
    assert len(payments) == 1
    assert payments[0]["reconciled_invoice_ids"] == [invoice["id"]]
    assert (Decimal(str(payments[0]["amount"])), payments[0]["state"]) == (payment.amount, "paid")
    assert pipeline.size(f"{pipeline.topic}.{pipeline.group}.dlt") == 0


def test_a_partial_capture_paid_before_a_crash_kept_its_id_is_not_paid_again(
    pipeline: Pipeline, client: OdooClient, mapped: ConsumerService, journal: dict[str, Any]
) -> None:
    [sku] = new_skus(client, 1)
    ref = f"shop:{uuid.uuid4().hex[:8]}"
    half = _payment(ref).model_copy(update={"amount": Decimal("14.06")})  # of 28.12
    pipeline.publish(created(ref, sku), half)
    with pipeline.running(mapped):
        pipeline.wait(
            lambda: books_of(client, ref) == [("out_invoice", "partial")], what="half paid"
        )
    # A crash between the payment and its external id: the id was never written.
    kept = [("module", "=", "retailsync"), ("name", "=", f"account_payment_{half.payment_ref}")]
    [row] = client.search_read("ir.model.data", kept, ["id"])
    client.call("ir.model.data", "unlink", [row["id"]])
    pipeline.publish(half)  # re-delivered after the restart
    with pipeline.running(mapped):
        pipeline.wait(
            lambda: pipeline.committed(pipeline.group, pipeline.topic) == 3,
            what="the re-delivered capture",
        )
    payments = client.search_read(
        "account.payment", [("journal_id", "=", journal["id"])], ["amount", "memo"]
    )
    assert [(Decimal(str(p["amount"])), p["memo"]) for p in payments] == [
        (half.amount, f"retailsync payment {half.payment_ref}")
    ]
    assert books_of(client, ref) == [("out_invoice", "partial")]
    assert client.search_count("ir.model.data", kept) == 1


def test_a_refund_becomes_a_credit_note_of_its_line_paid_back(
    pipeline: Pipeline, client: OdooClient, applier: ConsumerService
) -> None:
    [sku] = new_skus(client, 1)
    ref = f"shop:{uuid.uuid4().hex[:8]}"
    refund = _refund(ref)  # one of the two units: 11.61 of 28.12
    pipeline.publish(created(ref, sku), _payment(ref), refund, refund)
    with pipeline.running(applier):
        pipeline.wait(
            lambda: books_of(client, ref) == [("out_invoice", "paid"), ("out_refund", "paid")],
            what="the credit note paid back",
        )
        pipeline.wait(
            lambda: pipeline.committed(pipeline.group, pipeline.topic) == 4,
            what="the re-delivered refund",
        )
    moves = _moves(client, ref)
    assert len(moves) == 2
    [invoice] = [move for move in moves if move["move_type"] == "out_invoice"]
    [note] = [move for move in moves if move["move_type"] == "out_refund"]
    assert note["reversed_entry_id"][0] == invoice["id"]
    assert note["ref"] == f"retailsync refund {refund.refund_ref}"
    assert Decimal(str(note["amount_total"])) == refund.amount
    [back] = client.search_read(
        "account.payment",
        [("payment_type", "=", "outbound")],
        ["reconciled_invoice_ids", "amount"],
        order="id desc",
        limit=1,
    )
    assert back["reconciled_invoice_ids"] == [note["id"]]
    assert Decimal(str(back["amount"])) == refund.amount


def test_a_refund_above_what_is_left_paid_is_dead_lettered_naming_both_amounts(
    pipeline: Pipeline, client: OdooClient, applier: ConsumerService
) -> None:
    [sku] = new_skus(client, 1)
    ref = f"shop:{uuid.uuid4().hex[:8]}"
    goodwill = _refund(ref, amount=Decimal("20.00"), lines=(), refund_ref=f"goodwill-{ref}")
    too_much = _refund(ref, amount=Decimal("10.00"), lines=())  # 8.12 is left of 28.12
    pipeline.publish(created(ref, sku), _payment(ref), goodwill, goodwill, too_much)
    with pipeline.running(applier):
        (dead,) = pipeline.records(f"{pipeline.topic}.{pipeline.group}.dlt", timeout_s=30, expect=1)
    reason = h.text_header(dead.headers, h.ERROR_MESSAGE) or ""
    assert "10.00" in reason
    assert "8.12" in reason
    # The goodwill refund, re-delivered, is one credit note of no line, paid back.
    [note] = client.search_read(
        "account.move",
        [("move_type", "=", "out_refund"), ("ref", "=", f"retailsync refund goodwill-{ref}")],
        ["amount_total", "payment_state"],
    )
    assert (note["amount_total"], note["payment_state"]) == (20.0, "paid")


def test_a_paid_order_cancelled_is_refunded_in_full(
    pipeline: Pipeline, client: OdooClient, applier: ConsumerService
) -> None:
    [sku] = new_skus(client, 1)
    ref = f"shop:{uuid.uuid4().hex[:8]}"
    cancelled = example(OrderCancelled)
    assert isinstance(cancelled, OrderCancelled)
    pipeline.publish(
        created(ref, sku), _payment(ref), cancelled.model_copy(update={"order_ref": ref})
    )
    with pipeline.running(applier):
        pipeline.wait(
            lambda: books_of(client, ref) == [("out_invoice", "paid"), ("out_refund", "paid")],
            what="the paid order refunded",
        )
    [note] = [move for move in _moves(client, ref) if move["move_type"] == "out_refund"]
    assert note["amount_total"] == 28.12
    [order] = client.search_read("sale.order", [("client_order_ref", "=", ref)], ["state"])
    assert order["state"] == "cancel"
