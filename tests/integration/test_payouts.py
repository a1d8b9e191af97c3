"""The payout poller against the sandbox storefront and the real broker: paid payouts become
payout_paid events once, in a transaction with the poller's checkpoint."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from confluent_kafka.admin import AdminClient
from pydantic import SecretStr

from producers.payouts import run_shopify_payouts
from producers.payouts.poller import PayoutPoller
from producers.payouts.settings import PayoutSettings
from producers.payouts.source import PayoutSource
from retailsync.channels import Channel, parse_channels
from retailsync.events import PayoutPaid, PayoutTransactionKind
from retailsync.settings import Settings
from retailsync.storefront import StorefrontClient
from sandbox.storefront import SandboxStorefront
from tests.integration.harness import SCHEMAS, Pipeline, make_pipeline
from tests.integration.odoo_changes_support import events, only

pytestmark = pytest.mark.integration

TOPOLOGY = """
namespace: NS
defaults: {partitions: 3}
topics:
  NS.payouts: {}
  NS.payouts.dlt: {partitions: 1}
  NS.checkpoints: {partitions: 1, configs: {cleanup.policy: compact}}
events:
  payout_paid: {topic: NS.payouts, key: "{payout_ref}"}
"""
DAY = datetime(2030, 5, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def pipeline(kafka_settings: Settings, admin: AdminClient, unique: str) -> Pipeline:
    return make_pipeline(kafka_settings, admin, unique, template=TOPOLOGY)


@pytest.fixture
def shop() -> Iterator[SandboxStorefront]:
    with SandboxStorefront.running() as storefront:
        yield storefront


@pytest.fixture
def payouts(unique: str) -> PayoutSettings:
    return PayoutSettings(
        payouts_checkpoint_topic=f"{unique}.checkpoints",
        payouts_dead_letter_topic=f"{unique}.payouts.dlt",
        payouts_producer_id=f"payouts-{unique}",
    )


@contextmanager
def started(
    kafka_settings: Settings, payouts: PayoutSettings, pipeline: Pipeline, shop: SandboxStorefront
) -> Iterator[PayoutPoller]:
    channel = Channel(
        name="shop",
        platform="shopify",
        source="test",
        url=shop.url,
        options={"api_version": "2025-10"},
        secrets={"access_token": SecretStr(shop.access_token)},
    )
    with StorefrontClient.from_channel(channel) as client:
        poller = PayoutPoller(
            kafka_settings,
            payouts,
            [(channel, PayoutSource(client, page=2))],
            topology=pipeline.topology,
            serde=pipeline.serde,
        )
        try:
            poller.start()
            yield poller
        finally:
            poller.close()


def test_a_paid_payout_becomes_one_event_with_its_charges_refunds_and_fees(
    kafka_settings: Settings, payouts: PayoutSettings, pipeline: Pipeline, shop: SandboxStorefront
) -> None:
    order = shop.store.place_order([("MUG", 2, "15.00")])
    payout = shop.store.pay_out(
        [("CHARGE", order, "30.00", "1.17"), ("REFUND", order, "-10.00", "0.00")], issued_at=DAY
    )

    with started(kafka_settings, payouts, pipeline, shop) as poller:
        assert poller.poll().published == 1
        assert poller.poll().published == 0  # read again: nothing new

    [event] = only(PayoutPaid, events(pipeline, "payouts", expect=1))
    assert event.payout_ref == f"shop:{payout.id}"
    assert (event.gateway, event.currency, event.amount) == (
        "shopify_payments",
        "USD",
        Decimal("18.83"),
    )
    assert event.issued_at == DAY
    charge, refund = event.transactions
    assert (charge.kind, charge.order_ref) == (PayoutTransactionKind.CHARGE, f"shop:{order.id}")
    assert (charge.amount, charge.fee, charge.net) == (
        Decimal(30),
        Decimal("1.17"),
        Decimal("28.83"),
    )
    assert charge.payment_ref == str(payout.transactions[0].order_transaction_id)
    assert (refund.kind, refund.amount) == (PayoutTransactionKind.REFUND, Decimal(-10))
    assert event.fees == Decimal("1.17")


def test_a_restarted_poller_publishes_nothing_twice_and_waits_for_scheduled_payouts(
    kafka_settings: Settings, payouts: PayoutSettings, pipeline: Pipeline, shop: SandboxStorefront
) -> None:
    first = shop.store.pay_out([("CHARGE", None, "5.00", "0.20")], issued_at=DAY)
    scheduled = shop.store.pay_out(
        [("CHARGE", None, "7.00", "0.30")], issued_at=DAY + timedelta(days=1), status="SCHEDULED"
    )
    shop.store.pay_out([("CHARGE", None, "9.00", "0.40")], issued_at=DAY + timedelta(days=2))
    with started(kafka_settings, payouts, pipeline, shop) as poller:
        assert poller.poll().published == 2

    scheduled.status = "PAID"  # paid after a newer one was
    with started(kafka_settings, payouts, pipeline, shop) as poller:
        assert poller.poll().published == 1
        assert poller.poll().published == 0

    published = only(PayoutPaid, events(pipeline, "payouts", expect=3))
    assert sorted(e.amount for e in published) == [
        Decimal("4.80"),
        Decimal("6.70"),
        Decimal("8.60"),
    ]
    assert f"shop:{first.id}" in {e.payout_ref for e in published}


def test_a_payout_with_an_impossible_amount_is_a_dead_letter_and_the_rest_flow_on(
    kafka_settings: Settings, payouts: PayoutSettings, pipeline: Pipeline, shop: SandboxStorefront
) -> None:
    # Sub-cent amounts no money field holds; the payout's own net is whole cents.
    broken = shop.store.pay_out(
        [("CHARGE", None, "5.00001", "0"), ("ADJUSTMENT", None, "-0.00001", "0")], issued_at=DAY
    )
    shop.store.pay_out([("CHARGE", None, "9.00", "0.40")], issued_at=DAY + timedelta(days=1))

    with started(kafka_settings, payouts, pipeline, shop) as poller:
        done = poller.poll()

    assert (done.published, done.refused) == (1, 1)
    [dead] = pipeline.records(
        f"{pipeline.topology.namespace}.payouts.dlt", timeout_s=10.0, expect=1
    )
    assert dead.key == f"shop:{broken.id}".encode()
    assert b"amount" in dict(dead.headers)["retailsync.error.message"]
    with started(kafka_settings, payouts, pipeline, shop) as poller:  # refused once only
        again = poller.poll()
    assert (again.published, again.refused) == (0, 0)


def test_the_service_polls_every_shopify_channel_of_the_channels_file(
    payouts: PayoutSettings,
    pipeline: Pipeline,
    shop: SandboxStorefront,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``retailsync serve shopify-payouts --once`` as the CLI wires it."""
    topology_file = tmp_path / "topology.yaml"
    topology_file.write_text(pipeline.text, encoding="utf-8")
    settings = pipeline.settings.model_copy(
        update={"topology_file": topology_file, "schemas_dir": SCHEMAS}
    )
    monkeypatch.setenv("TEST_SHOP_TOKEN", shop.access_token)
    channels = parse_channels(
        f"""
channels:
  eu:
    platform: shopify
    url: '{shop.url}'
    access_token: {{env: TEST_SHOP_TOKEN}}
""",
        "channels.yaml",
    )
    shop.store.pay_out([("CHARGE", None, "12.00", "0.60")], issued_at=DAY)
    said: list[str] = []

    run_shopify_payouts(settings, payouts, channels, once=True, say=said.append)

    assert said == ["1 payout(s) published, 0 refused"]
    [event] = only(PayoutPaid, events(pipeline, "payouts", expect=1))
    assert (event.payout_ref.split(":")[0], event.amount) == ("eu", Decimal("11.40"))
