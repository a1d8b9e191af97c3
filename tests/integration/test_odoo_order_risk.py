"""odoo-orders and fraud risk, against the real broker and the sandbox Odoo: an order
assessed at a held level stays a quotation for a person, tagged and noted, and its capture
waits (dead-lettered naming the hold) until a person confirmed it; a confirmed order
assessed later goes back to a quotation with its delivery cancelled, unless it was
invoiced; a level the rule does not name is only noted; a hold cut short between its two
calls is finished by the re-delivered assessment."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from consumers.odoo_orders.orders import HOLD_TAG, tag_id
from retailsync import headers as h
from retailsync.consumer import ConsumerService
from retailsync.events import OrderRiskAssessed, PaymentCaptured, RiskLevel
from retailsync.events.examples import AT, SHOP
from retailsync.odoo import OdooClient
from retailsync.odoo.tags import REVIEW_PENDING
from tests.integration import test_odoo_orders as orders_tests
from tests.integration.harness import Pipeline
from tests.integration.test_odoo_orders import books_of, created, example, new_skus, orders_of

pytestmark = pytest.mark.integration

odoo = orders_tests.odoo
client = orders_tests.client
applier = orders_tests.applier
pipeline = orders_tests.pipeline


def _assessed(ref: str, level: RiskLevel, sequence: int = 1) -> OrderRiskAssessed:
    return OrderRiskAssessed(
        envelope=OrderRiskAssessed.new_envelope(
            source=SHOP, source_ref=f"risk/{ref}", occurred_at=AT, source_version=sequence
        ),
        order_ref=ref,
        risk_level=level,
        provider="Example Fraud Filter",
        facts=("Card declined twice before this payment",),
    )


def _payment(ref: str) -> PaymentCaptured:
    paid = example(PaymentCaptured)
    assert isinstance(paid, PaymentCaptured)
    return paid.model_copy(update={"order_ref": ref, "payment_ref": f"capture-{ref}"})


def _order(client: OdooClient, ref: str) -> dict[str, Any]:
    [row] = client.search_read(
        "sale.order", [("client_order_ref", "=", ref)], ["state", "tag_ids", "picking_ids"]
    )
    tags = client.read("crm.tag", row["tag_ids"], ["name"]) if row["tag_ids"] else []
    notes = client.search_read(
        "mail.message", [("model", "=", "sale.order"), ("res_id", "=", row["id"])], ["body"]
    )
    pickings = client.read("stock.picking", row["picking_ids"], ["state"])
    return {
        "id": row["id"],
        "state": row["state"],
        "tags": [tag["name"] for tag in tags],
        "notes": [str(note["body"]) for note in notes],
        "pickings": sorted(str(p["state"]) for p in pickings),
    }


def test_a_high_risk_order_stays_a_quotation_and_its_capture_waits_for_a_person(
    pipeline: Pipeline, client: OdooClient, applier: ConsumerService
) -> None:
    [sku] = new_skus(client, 1)
    ref = f"shop:{uuid.uuid4().hex[:8]}"
    order, payment = created(ref, sku), _payment(ref)
    # Assessed before the order reached Odoo; the order re-delivered.
    pipeline.publish(_assessed(ref, RiskLevel.HIGH), order, payment, order)
    dlt = f"{pipeline.topic}.{pipeline.group}.dlt"
    with pipeline.running(applier):
        (dead,) = pipeline.records(dlt, timeout_s=60, expect=1)
    held = _order(client, ref)
    assert (held["state"], held["tags"], held["pickings"]) == ("draft", [HOLD_TAG], [])
    [note] = held["notes"]
    assert "Fraud risk HIGH by Example Fraud Filter" in note
    assert "Card declined twice" in note
    assert "confirm or cancel" in note
    assert books_of(client, ref) == []
    reason = h.text_header(dead.headers, h.ERROR_MESSAGE) or ""
    assert f"the order {ref} is a quotation" in reason and "fraud review" in reason

    # A person confirms it; the capture, redriven, is booked.
    client.call("sale.order", "action_confirm", [held["id"]])
    pipeline.publish(payment)
    with pipeline.running(applier):
        pipeline.wait(
            lambda: books_of(client, ref) == [("out_invoice", "paid")], what="the capture booked"
        )
    assert orders_of(client, [ref]) == {ref: ["sale"]}


def test_a_confirmed_order_assessed_high_goes_back_to_a_quotation_unless_invoiced(
    pipeline: Pipeline, client: OdooClient, applier: ConsumerService
) -> None:
    [sku] = new_skus(client, 1)
    stock_ref, paid_ref, low_ref = (f"shop:{uuid.uuid4().hex[:8]}" for _ in range(3))
    pipeline.publish(
        created(stock_ref, sku), created(paid_ref, sku), _payment(paid_ref), created(low_ref, sku)
    )
    with pipeline.running(applier):
        pipeline.wait(
            lambda: books_of(client, paid_ref) == [("out_invoice", "paid")],
            what="the orders confirmed, one paid",
        )
        assessments = [
            _assessed(stock_ref, RiskLevel.HIGH),
            _assessed(paid_ref, RiskLevel.HIGH),
            _assessed(low_ref, RiskLevel.LOW),
        ]
        pipeline.publish(*assessments, *assessments)  # each re-delivered
        pipeline.wait(
            lambda: (
                all(len(_order(client, ref)["notes"]) == 1 for ref in (paid_ref, low_ref))
                and _order(client, stock_ref)["state"] == "draft"
            ),
            what="the assessments applied",
        )
    unshipped = _order(client, stock_ref)
    assert (unshipped["tags"], unshipped["pickings"]) == ([HOLD_TAG], ["cancel"])
    assert "held as a quotation" in unshipped["notes"][0]
    invoiced = _order(client, paid_ref)
    assert (invoiced["state"], invoiced["tags"]) == ("sale", [HOLD_TAG])
    assert "already invoiced or shipped" in invoiced["notes"][0]
    low = _order(client, low_ref)
    # Its delivery still waits for stock (the SKU has none), not cancelled.
    assert (low["state"], low["tags"], low["pickings"]) == ("sale", [], ["confirmed"])
    assert "Fraud risk LOW" in low["notes"][0]
    assert pipeline.size(f"{pipeline.topic}.{pipeline.group}.dlt") == 0


def test_a_hold_cut_short_between_cancel_and_quotation_is_finished_by_the_redelivery(
    pipeline: Pipeline, client: OdooClient, applier: ConsumerService
) -> None:
    [sku] = new_skus(client, 1)
    cut_ref, cancelled_ref = (f"shop:{uuid.uuid4().hex[:8]}" for _ in range(2))
    pipeline.publish(created(cut_ref, sku), created(cancelled_ref, sku))
    with pipeline.running(applier):
        pipeline.wait(
            lambda: (
                orders_of(client, [cut_ref, cancelled_ref])
                == {cut_ref: ["sale"], cancelled_ref: ["sale"]}
            ),
            what="the orders confirmed",
        )
    # What a crash between the hold's two calls leaves: cancelled, marked as being held.
    pending = tag_id(client, REVIEW_PENDING)
    cut, cancelled = _order(client, cut_ref)["id"], _order(client, cancelled_ref)["id"]
    client.write("sale.order", [cut], {"tag_ids": [[4, pending]]})
    for order in (cut, cancelled):  # the other one a person cancelled
        client.call(
            "sale.order", "action_cancel", [order], context={"disable_cancel_warning": True}
        )
    pipeline.publish(_assessed(cut_ref, RiskLevel.HIGH), _assessed(cancelled_ref, RiskLevel.HIGH))
    with pipeline.running(applier):
        pipeline.wait(
            lambda: all(len(_order(client, ref)["notes"]) == 1 for ref in (cut_ref, cancelled_ref)),
            what="the assessments applied",
        )
    held = _order(client, cut_ref)
    assert (held["state"], held["tags"], held["pickings"]) == ("draft", [HOLD_TAG], ["cancel"])
    assert "held as a quotation" in held["notes"][0]
    left = _order(client, cancelled_ref)
    assert (left["state"], left["tags"]) == ("cancel", [])
