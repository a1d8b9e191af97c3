"""odoo-payouts against the real broker and the sandbox Odoo: an order paid through
odoo-orders, then its gateway's payout with the charge and a fee, becomes statement lines
in the journal mapped from the gateway, the charge matched to the payment and the fee on
the fee account, once after re-delivery; the finance reconciliation lists no unmatched
payment; a payout whose order has no payment yet is dead-lettered saying so."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from confluent_kafka.admin import AdminClient

from consumers.odoo_orders import make_service as make_orders
from consumers.odoo_orders.finance import reconcile_finance
from consumers.odoo_orders.settings import OrdersSettings
from consumers.odoo_payouts import make_service as make_payouts
from consumers.odoo_payouts.settings import PayoutsSettings
from retailsync import headers as h
from retailsync.consumer import ConsumerService
from retailsync.events import PaymentCaptured, PayoutPaid, PayoutTransaction
from retailsync.events import PayoutTransactionKind as Kind
from retailsync.events.examples import AT, SHOP
from retailsync.odoo import OdooClient, OdooSettings
from retailsync.settings import Settings
from sandbox.odoo import SandboxOdoo
from tests.integration import test_odoo_orders as orders_tests
from tests.integration.harness import TOPOLOGY, Pipeline, make_pipeline
from tests.integration.test_odoo_order_accounting import GATEWAY, _payment, _refund
from tests.integration.test_odoo_orders import created, new_skus

pytestmark = pytest.mark.integration

odoo = orders_tests.odoo
client = orders_tests.client
# Payouts on the test's one topic, beside the orders they settle.
PAYOUTS = TOPOLOGY.replace(
    "events:\n", 'events:\n  payout_paid: {topic: NS.orders, key: "{payout_ref}"}\n'
)


@pytest.fixture
def pipeline(kafka_settings: Settings, admin: AdminClient, unique: str) -> Pipeline:
    return make_pipeline(kafka_settings, admin, unique, template=PAYOUTS)


@pytest.fixture
def journal(client: OdooClient) -> dict[str, Any]:
    """A bank journal of this test's own, the one its gateway is mapped to."""
    code = uuid.uuid4().hex[:5].upper()
    name = f"Gateway {code}"
    [journal] = client.create("account.journal", [{"name": name, "code": code, "type": "bank"}])
    return {"id": journal, "name": name}


@pytest.fixture
def services(
    odoo: SandboxOdoo, pipeline: Pipeline, journal: dict[str, Any]
) -> Iterator[tuple[ConsumerService, ConsumerService]]:
    """odoo-orders and odoo-payouts, the example gateway mapped to ``journal``."""
    settings = OdooSettings(
        odoo_url=odoo.url, odoo_db=odoo.db, odoo_api_key=odoo.api_key, odoo_timeout_s=5
    )
    mapping = OrdersSettings(odoo_orders_payment_journals={GATEWAY: journal["name"]})
    with OdooClient.from_settings(settings) as odoo_client:
        yield (
            make_orders(lambda: odoo_client, name=pipeline.group, settings=lambda: mapping),
            make_payouts(
                lambda: odoo_client,
                name=pipeline.group,
                orders=lambda: mapping,
                settings=PayoutsSettings,
            ),
        )


def _payout(
    ref: str, payment: PaymentCaptured, fee: str, *refunds: PayoutTransaction
) -> PayoutPaid:
    charge = PayoutTransaction(
        transaction_ref=f"tx-{ref}",
        kind=Kind.CHARGE,
        order_ref=payment.order_ref,
        payment_ref=payment.payment_ref,
        amount=payment.amount,
        fee=Decimal(fee),
        net=payment.amount - Decimal(fee),
    )
    return PayoutPaid(
        envelope=PayoutPaid.new_envelope(
            source=SHOP, source_ref=f"payout/{ref}", occurred_at=AT, source_version=1
        ),
        payout_ref=f"shop:payout-{ref}",
        gateway=GATEWAY,
        currency=payment.currency,
        issued_at=AT,
        amount=charge.net + sum((refund.net for refund in refunds), Decimal(0)),
        transactions=(charge, *refunds),
    )


def _statement(client: OdooClient, journal: int) -> list[dict[str, Any]]:
    lines = client.search_read(
        "account.bank.statement.line",
        [("journal_id", "=", journal)],
        ["amount", "is_reconciled", "payment_ref"],
        order="id",
    )
    items = client.search_read(
        "account.move.line",
        [("statement_line_id", "in", [line["id"] for line in lines])],
        ["statement_line_id", "account_id", "reconciled"],
    )
    for line in lines:
        line["counterparts"] = [
            (item["account_id"][0], item["reconciled"])
            for item in items
            if item["statement_line_id"][0] == line["id"]
            and item["account_id"][0] != _own_account(client, journal)
        ]
    return lines


def _own_account(client: OdooClient, journal: int) -> int:
    [row] = client.read("account.journal", [journal], ["default_account_id"])
    return int(row["default_account_id"][0])


def _account(client: OdooClient, code: str) -> int:
    [row] = client.search_read("account.account", [("code", "=", code)], ["id"])
    return int(row["id"])


def test_a_payout_becomes_statement_lines_matched_to_the_payment_once(
    pipeline: Pipeline,
    client: OdooClient,
    services: tuple[ConsumerService, ConsumerService],
    journal: dict[str, Any],
) -> None:
    orders, payouts = services
    [sku] = new_skus(client, 1)
    ref = f"shop:{uuid.uuid4().hex[:8]}"
    payment = _payment(ref)
    pipeline.publish(created(ref, sku), payment)
    with pipeline.running(orders):
        pipeline.wait(
            lambda: pipeline.committed(pipeline.group, pipeline.topic) == 2,
            what="the order and its payment",
        )
    payout = _payout(ref.split(":")[1], payment, fee="1.17")
    pipeline.publish(payout, payout)  # re-delivered
    with pipeline.running(payouts):
        pipeline.wait(
            lambda: pipeline.committed(pipeline.group, pipeline.topic) == 4,
            what="both deliveries of the payout",
        )

    charge, fees = _statement(client, journal["id"])
    assert (Decimal(str(charge["amount"])), Decimal(str(fees["amount"]))) == (
        payment.amount, Decimal("-1.17"),
    )  # fmt: skip
    assert sum(Decimal(str(line["amount"])) for line in (charge, fees)) == payout.amount
    assert charge["counterparts"] == [(_account(client, "101403"), True)]
    assert fees["counterparts"] == [(_account(client, "620000"), False)]
    assert charge["is_reconciled"] and fees["is_reconciled"]
    [paid] = client.search_read(
        "account.payment", [("journal_id", "=", journal["id"])], ["is_matched", "state", "name"]
    )
    assert (paid["is_matched"], paid["state"]) == (True, "paid")
    assert pipeline.size(f"{pipeline.topic}.{pipeline.group}.dlt") == 0
    unmatched = reconcile_finance(client, date(2000, 1, 1)).unmatched_payments
    assert paid["name"] not in {finding.document for finding in unmatched}


def test_a_refund_in_a_payout_is_matched_to_the_refund_payment(
    pipeline: Pipeline,
    client: OdooClient,
    services: tuple[ConsumerService, ConsumerService],
    journal: dict[str, Any],
) -> None:
    orders, payouts = services
    [sku] = new_skus(client, 1)
    ref = f"shop:{uuid.uuid4().hex[:8]}"
    payment, refund = _payment(ref), _refund(ref)  # 11.61 of 28.12 paid back
    pipeline.publish(created(ref, sku), payment, refund)
    with pipeline.running(orders):
        pipeline.wait(
            lambda: pipeline.committed(pipeline.group, pipeline.topic) == 3,
            what="the order, its payment and its refund",
        )
    refunded = PayoutTransaction(
        transaction_ref=f"tx-{refund.refund_ref}",
        kind=Kind.REFUND,
        order_ref=ref,
        payment_ref=refund.refund_ref,
        amount=-refund.amount,
        fee=Decimal(0),
        net=-refund.amount,
    )
    pipeline.publish(_payout(ref.split(":")[1], payment, "1.17", refunded))
    with pipeline.running(payouts):
        pipeline.wait(
            lambda: pipeline.committed(pipeline.group, pipeline.topic) == 4, what="the payout"
        )

    _, back, _ = _statement(client, journal["id"])
    assert Decimal(str(back["amount"])) == -refund.amount
    assert back["counterparts"] == [(_account(client, "101404"), True)]
    matched = client.search_read(
        "account.payment", [("journal_id", "=", journal["id"])], ["payment_type", "is_matched"]
    )
    assert sorted((p["payment_type"], p["is_matched"]) for p in matched) == [
        ("inbound", True), ("outbound", True),
    ]  # fmt: skip


def test_a_payout_of_an_order_with_no_payment_is_dead_lettered_saying_so(
    pipeline: Pipeline,
    client: OdooClient,
    services: tuple[ConsumerService, ConsumerService],
    journal: dict[str, Any],
) -> None:
    _, payouts = services
    ref = f"shop:{uuid.uuid4().hex[:8]}"
    pipeline.publish(_payout(ref.split(":")[1], _payment(ref), fee="0.50"))
    dead = f"{pipeline.topic}.{pipeline.group}.dlt"
    with pipeline.running(payouts):
        pipeline.wait(lambda: pipeline.size(dead) == 1, what="the payout dead-lettered")

    [record] = pipeline.records(dead, timeout_s=10.0, expect=1)
    assert b"has no payment in Odoo yet" in dict(record.headers)[h.ERROR_MESSAGE]
    assert _statement(client, journal["id"]) == []
