"""``retailsync backfill orders`` against the real broker, the sandbox storefront and the
sandbox Odoo: the plan lists exactly the orders placed since the date and publishes
nothing; --execute publishes them, audited; a second run and the live webhooks of one of
the same orders still give exactly one Odoo order each."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from confluent_kafka.admin import AdminClient

from consumers.odoo_orders import make_service
from consumers.odoo_orders.settings import OrdersSettings
from producers.commerce.channels import ShopifyChannel
from producers.sfcc.mapping import order_events, site_source
from retailsync import headers as h
from retailsync.consumer.record import ConsumedRecord
from retailsync.odoo import OdooClient, OdooSettings
from retailsync.settings import Settings
from sandbox.odoo import SandboxOdoo
from sandbox.sfcc import Item, SandboxSfcc, order_document
from sandbox.storefront import SandboxStorefront, shopify_delivery
from sandbox.storefront.payloads import order_payload
from tests.integration import test_odoo_orders as orders_tests
from tests.integration.operator_support import Operated, make_operated
from tests.integration.test_odoo_orders import new_skus, orders_of

pytestmark = pytest.mark.integration

odoo = orders_tests.odoo
client = orders_tests.client
SECRET = "backfill-test-secret"  # a test value, not a secret
SINCE = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.fixture
def shop() -> Iterator[SandboxStorefront]:
    with SandboxStorefront.running() as storefront:
        yield storefront


# getOrders' window (offset + limit, 10,000 on SCAPI), small enough to read past here.
SFCC_WINDOW = 400


@pytest.fixture
def sfcc() -> Iterator[SandboxSfcc]:
    with SandboxSfcc.running(max_window=SFCC_WINDOW) as sandbox:
        yield sandbox


@pytest.fixture
def operated(
    kafka_settings: Settings,
    admin: AdminClient,
    unique: str,
    tmp_path: Path,
    shop: SandboxStorefront,
    sfcc: SandboxSfcc,
) -> Operated:
    operated = make_operated(kafka_settings, admin, unique, tmp_path)
    channels = tmp_path / "channels.yaml"
    channels.write_text(
        "channels:\n"
        "  shop:\n"
        "    platform: shopify\n"
        f"    url: {shop.url}\n"
        "    access_token: {env: BACKFILL_SHOP_TOKEN}\n"
        "  woo:\n"
        "    platform: woocommerce\n"
        "    url: https://woo.example.com\n"
        "    consumer_key: {env: WOO_KEY}\n"
        "    consumer_secret: {env: WOO_SECRET}\n"
        "  us-site:\n"
        + "".join(f"    {key}: {value}\n" for key, value in sfcc.channel_entry().items())
        + "    client_id: {env: BACKFILL_SFCC_ID}\n"
        "    client_secret: {env: BACKFILL_SFCC_SECRET}\n",
        encoding="utf-8",
    )
    operated.variables.update(
        RETAILSYNC_CHANNELS_FILE=str(channels),
        BACKFILL_SHOP_TOKEN=shop.access_token,
        BACKFILL_SFCC_ID=sfcc.client_id,
        BACKFILL_SFCC_SECRET=sfcc.client_secret,
    )
    return operated


def test_backfill_publishes_the_orders_since_the_date_once_into_odoo(
    operated: Operated, shop: SandboxStorefront, odoo: SandboxOdoo, client: OdooClient
) -> None:
    pipeline = operated.pipeline
    mug, tee = new_skus(client, 2)
    before = [
        shop.store.place_order([(mug, 1, "9.90")], created_at=SINCE - timedelta(days=d))
        for d in (30, 1)
    ]
    since = [
        shop.store.place_order([(mug, 1 + n, "12.90"), (tee, 1, "20.00")], created_at=at)
        for n, at in enumerate((SINCE, SINCE + timedelta(hours=5), SINCE + timedelta(days=3)))
    ]
    refs = [f"shop:{order.id}" for order in since]
    arguments = ("backfill", "orders", "--channel", "shop", "--since", "2026-11-01")

    plan = operated.cli(*arguments)
    for order in since:
        assert f"shop:{order.id} (test)" in plan.stdout
    for order in before:
        assert f"shop:{order.id}" not in plan.stdout
    assert "3 orders of shop placed since 2026-11-01T00:00:00+00:00: 3 to publish " in plan.stdout
    assert "(3 order_created, 3 payment_captured), 3 of them test orders" in plan.stdout
    assert "Plan only: nothing published" in plan.stdout
    assert pipeline.size(pipeline.topic) == 0

    done = operated.cli(*arguments, "--execute", "--actor", "go-live")
    assert "Published 3 order_created, 3 payment_captured of 3 orders" in done.stdout
    first = operated.committed_records(pipeline.topic)
    assert sorted(r.key.decode() for r in first if r.key) == sorted(refs * 2)
    [audit] = operated.json("audit", "--action", "backfill orders")
    assert audit["actor"] == "go-live"
    assert audit["selection"] == {"channel": "shop", "since": SINCE.isoformat(), "orders": 3}
    assert audit["changes"] == [
        {"orders": 3, "events": {"order_created": 3, "payment_captured": 3}, "refused": []}
    ]

    # A second run, and the live webhooks of one of the orders arriving meanwhile.
    operated.cli(*arguments, "--execute")
    both = Counter(event_ids(operated.committed_records(pipeline.topic)))
    # The second run repeated each event id of the first, which consumers drop.
    assert both == {event_id: 2 for event_id in event_ids(first)}
    webhook = ShopifyChannel((SECRET.encode(),), "shop")
    for topic in ("orders/create", "orders/paid"):
        delivery = shopify_delivery(
            topic, order_payload(since[1]), secret=SECRET, shop_domain=shop.shop_domain
        )
        headers = {name.lower(): value for name, value in delivery.headers.items()}
        pipeline.publish(*webhook.events(headers, delivery.body))

    settings = OdooSettings(odoo_url=odoo.url, odoo_db=odoo.db, odoo_api_key=odoo.api_key)
    own = OrdersSettings(odoo_orders_apply_test_orders=True)  # the sandbox's are test orders
    with OdooClient.from_settings(settings) as applying:
        applier = make_service(lambda: applying, name=pipeline.group, settings=lambda: own)
        with pipeline.running(applier):
            pipeline.wait(
                lambda: orders_of(client, refs) == {ref: ["sale"] for ref in refs},
                timeout_s=120,
                what="the orders in Odoo",
            )
            # Transaction markers take offsets too: lag counts records only.
            pipeline.wait(
                lambda: operated.json("lag", pipeline.group)[0]["lag"] == 0,
                timeout_s=120,
                what="odoo-orders to take every record",
            )
    assert orders_of(client, refs) == {ref: ["sale"] for ref in refs}
    assert orders_of(client, [f"shop:{order.id}" for order in before]) == {}
    dead_letters = f"{pipeline.topic}.{pipeline.group}.dlt"
    assert pipeline.size(dead_letters) == 0  # every capture applied, once


def test_an_sfcc_backfill_leaves_export_statuses_and_shares_the_exports_event_ids(
    operated: Operated, sfcc: SandboxSfcc, odoo: SandboxOdoo, client: OdooClient
) -> None:
    pipeline = operated.pipeline
    (mug,) = new_skus(client, 1)
    before, exported, ready = (
        sfcc.add_order(
            order_document(
                f"{mug[-6:]}{n}",
                (Item(mug, 1 + n, Decimal("12.50")),),
                tax_rate=Decimal("0.19"),  # a rate the sandbox Odoo has a tax of
                created=at,
            )
        )
        for n, at in enumerate((SINCE - timedelta(seconds=1), SINCE, SINCE + timedelta(days=2)))
    )
    sfcc.store.set_export_status(exported, "exported")  # taken by an earlier integration
    refs = [f"us-site:{order.order_no}" for order in (exported, ready)]
    arguments = ("backfill", "orders", "--channel", "us-site", "--since", "2026-11-01T00:00Z")

    plan = operated.cli(*arguments)
    assert "2 orders of us-site placed since 2026-11-01T00:00:00+00:00: 2 to publish" in plan.stdout
    assert f"us-site:{before.order_no}" not in plan.stdout
    operated.cli(*arguments, "--execute")
    operated.cli(*arguments, "--execute")  # again: the same event ids

    # The backfill only read: what the export takes and marks is as it was.
    assert (exported.export_status, ready.export_status) == ("exported", "ready")
    assert (exported.export_updates, ready.export_updates) == (["exported"], [])  # the test's
    published = Counter(event_ids(operated.committed_records(pipeline.topic)))
    source = site_source(sfcc.organization_id, sfcc.site_id)
    exports = [
        order_events(json.dumps(order.document).encode(), source=source, channel="us-site")
        for order in (exported, ready)
    ]
    # The export of the ready order would publish these very ids: consumers drop them.
    assert published == {str(e.envelope.event_id): 2 for events in exports for e in events}
    pipeline.publish(*exports[1])  # and it does, meanwhile

    settings = OdooSettings(odoo_url=odoo.url, odoo_db=odoo.db, odoo_api_key=odoo.api_key)
    with OdooClient.from_settings(settings) as applying:
        applier = make_service(lambda: applying, name=pipeline.group, settings=OrdersSettings)
        with pipeline.running(applier):
            pipeline.wait(
                lambda: operated.json("lag", pipeline.group)[0]["lag"] == 0,
                timeout_s=120,
                what="odoo-orders to take every record",
            )
    assert orders_of(client, refs) == {ref: ["sale"] for ref in refs}
    assert pipeline.size(f"{pipeline.topic}.{pipeline.group}.dlt") == 0


def test_an_sfcc_backfill_past_the_listing_window_publishes_every_order_once(
    operated: Operated, sfcc: SandboxSfcc
) -> None:
    # 450 orders, more than the window; 210 created in one millisecond (more than a page of
    # 200), the rest three per millisecond.
    stamps = [SINCE] * 210 + [SINCE + timedelta(milliseconds=1 + n // 3) for n in range(240)]
    refs = []
    for n, created in enumerate(stamps):
        order = sfcc.add_order(
            order_document(f"W{n:04d}", (Item("MUG", 1, Decimal("9.50")),), created=created)
        )
        refs.append(f"us-site:{order.order_no}")
    arguments = ("backfill", "orders", "--channel", "us-site", "--since", "2026-11-01T00:00Z")

    plan = operated.cli(*arguments)
    assert f"{len(refs)} orders of us-site placed since" in plan.stdout
    operated.cli(*arguments, "--execute")

    records = operated.committed_records(operated.pipeline.topic)
    assert Counter(r.key.decode() for r in records if r.key) == {ref: 2 for ref in refs}
    assert len(set(event_ids(records))) == len(records) == 2 * len(refs)


def test_an_unknown_channel_is_refused_naming_the_known_ones(operated: Operated) -> None:
    unknown = operated.cli(
        "backfill", "orders", "--channel", "nope", "--since", "2026-11-01", check=False
    )
    assert unknown.returncode == 2
    assert "nope: no such channel (shop, woo, us-site)" in unknown.stderr
    assert operated.pipeline.size(operated.audit_topic) == 0


def event_ids(records: list[ConsumedRecord]) -> list[str]:
    return [h.text_header(record.headers, h.EVENT_ID) or "" for record in records]
