"""One trace from a storefront's webhook through Kafka to the Odoo call that applies it, and
from an Odoo change poll to the storefront call that applies the change."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from confluent_kafka.admin import AdminClient
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from commands.traffic import SKUS, seed_odoo
from consumers.odoo_orders import make_service
from consumers.odoo_orders.settings import OrdersSettings
from consumers.storefront_inventory.applier import InventoryApplier
from producers.commerce import WebhookSettings
from producers.commerce.app import receiver_app
from retailsync import telemetry
from retailsync.consumer import ConsumerService
from retailsync.health import ok, with_endpoints
from retailsync.odoo import OdooClient, OdooSettings
from retailsync.settings import Settings
from retailsync.storefront import TARGET, StorefrontClient, StorefrontSettings
from sandbox.http import LoopbackServer
from sandbox.odoo import SandboxOdoo
from sandbox.storefront import SandboxStorefront, shopify_delivery
from sandbox.storefront.payloads import order_payload
from tests.commerce import SHOPIFY_SECRET, receiver_settings
from tests.integration.harness import make_pipeline
from tests.integration.odoo_changes_support import TOPOLOGY as CAPTURE_TOPOLOGY
from tests.integration.odoo_changes_support import odoo_settings, started_poller

pytestmark = pytest.mark.integration

TOPOLOGY = """
namespace: NS
defaults: {partitions: 3}
topics:
  NS.orders: {}
  NS.customers: {}
events:
  order_created: {topic: NS.orders, key: "{order_ref}"}
  customer_upserted: {topic: NS.customers, key: "{customer_ref}"}
consumers:
  GROUP:
    subscriptions: [NS.orders]
    retry: {in_process_attempts: 2, delays: [1s], ordering: key}
"""

INVENTORY_GROUP = """consumers:
  GROUP:
    subscriptions: [NS.inventory]
    retry: {in_process_attempts: 2, delays: [1s], ordering: none}
"""


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    telemetry.configure("trace-test", span_processor=SimpleSpanProcessor(exporter))
    httpx_spans = HTTPXClientInstrumentor()
    if not httpx_spans.is_instrumented_by_opentelemetry:
        httpx_spans.instrument()  # configure did it once; an earlier test's teardown undid it
    yield exporter
    exporter.shutdown()
    # The tracer provider stays (OpenTelemetry sets it once per process), but later tests'
    # HTTP calls go uninstrumented again: some of them count real time between calls.
    httpx_spans.uninstrument()


def test_one_trace_runs_from_the_webhook_to_the_odoo_write(
    spans: InMemorySpanExporter, kafka_settings: Settings, admin: AdminClient, unique: str
) -> None:
    pipeline = make_pipeline(kafka_settings, admin, unique, template=TOPOLOGY)
    receiver = with_endpoints(
        receiver_app(
            kafka_settings,
            WebhookSettings(**receiver_settings()),
            pipeline.topology,
            pipeline.serde,
        ),
        routes=["/webhooks/shopify"],
        live=ok,
    )
    with (
        SandboxOdoo.running() as odoo,
        SandboxStorefront.running(skus=SKUS) as shop,
        OdooClient.from_settings(
            OdooSettings(odoo_url=odoo.url, odoo_db=odoo.db, odoo_api_key=odoo.api_key)
        ) as client,
        LoopbackServer(receiver, name="receiver", lifespan="on").running() as server,
        pipeline.running(
            make_service(
                lambda: client,
                name=pipeline.group,
                # The sandbox storefront's orders are test orders.
                settings=lambda: OrdersSettings(odoo_orders_apply_test_orders=True),
            )
        ),
    ):
        seed_odoo(client)
        order = shop.store.place_order([(SKUS[0], 1, "19.90")])
        delivery = shopify_delivery(
            "orders/create",
            order_payload(order),
            secret=SHOPIFY_SECRET,
            shop_domain=shop.shop_domain,
        )
        reply = httpx.post(
            f"{server.url}/webhooks/shopify", content=delivery.body, headers=dict(delivery.headers)
        )
        assert reply.status_code == 200, reply.text
        ref = f"shopify:{order.id}"
        pipeline.wait(
            lambda: bool(
                client.search_read("sale.order", [("client_order_ref", "=", ref)], ["id"])
            ),
            timeout_s=60,
            what=f"{ref} in Odoo",
        )

    finished = spans.get_finished_spans()
    [request] = [s for s in finished if s.name == "POST /webhooks/shopify"]
    assert request.kind is SpanKind.SERVER
    trace_id = request.context.trace_id
    in_trace = [s for s in finished if s.context.trace_id == trace_id]
    [handled] = [s for s in in_trace if s.kind is SpanKind.CONSUMER]
    assert handled.attributes is not None
    assert handled.attributes["messaging.destination.name"] == f"{unique}.orders"
    calls = [
        str(attributes.get("url.full") or attributes.get("http.url"))
        for s in in_trace
        if s.kind is SpanKind.CLIENT and (attributes := s.attributes or {})
    ]
    # New orders are written with Odoo's import (load), under their external id.
    assert any(url.endswith("/json/2/sale.order/load") for url in calls), calls
    # One root: the test's own webhook POST, whose traceparent the receiver continued.
    [root] = [s for s in in_trace if s.parent is None]
    assert root.kind is SpanKind.CLIENT
    assert request.parent is not None and request.parent.span_id == root.context.span_id


def test_one_trace_runs_from_the_odoo_poll_to_the_storefront_call(
    spans: InMemorySpanExporter, kafka_settings: Settings, admin: AdminClient, unique: str
) -> None:
    pipeline = make_pipeline(
        kafka_settings, admin, unique, template=CAPTURE_TOPOLOGY + INVENTORY_GROUP
    )
    with (
        SandboxOdoo.running() as odoo,
        SandboxStorefront.running(skus=SKUS) as shop,
        StorefrontClient.from_settings(
            StorefrontSettings(storefront_url=shop.url, storefront_access_token=shop.access_token)
        ) as storefront,
    ):
        with OdooClient.from_settings(
            OdooSettings(odoo_url=odoo.url, odoo_db=odoo.db, odoo_api_key=odoo.api_key)
        ) as client:
            seed_odoo(client, skus=SKUS[:1])
        applier = InventoryApplier(storefront, shop.locations, {})
        service = ConsumerService(pipeline.group)
        service.batch_handler("inventory_adjusted", target=TARGET)(applier.apply)
        capture = odoo_settings(kafka_settings, odoo, unique)
        with started_poller(capture, pipeline) as poller, pipeline.running(service):
            assert poller.poll() > 0
            pipeline.wait(lambda: applier.counts.sent > 0, timeout_s=60, what="a level sent")

    finished = spans.get_finished_spans()
    polls = {s.context.trace_id for s in finished if s.name == "poll stock.quant"}
    assert polls
    storefront_calls = [
        s
        for s in finished
        if s.kind is SpanKind.CLIENT
        and str((s.attributes or {}).get("http.url", "")).endswith("/graphql.json")
        and s.context.trace_id in polls
    ]
    # The level's mutation to the storefront is in the trace of the poll that read it.
    assert storefront_calls
