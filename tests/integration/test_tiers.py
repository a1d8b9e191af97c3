"""Tiers: a full catalog pass of 10,000 products does not slow the order path. Orders and
the catalog are separate topics read by separate groups, so an order never waits behind a
catalog backlog; measured on the real broker with odoo-orders applying orders to the sandbox
Odoo while storefront-catalog works through the pass on the sandbox storefront."""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Iterator

import pytest
from confluent_kafka.admin import AdminClient

from consumers.odoo_orders import make_service
from consumers.odoo_orders.settings import OrdersSettings
from consumers.storefront_catalog.applier import CatalogApplier
from producers.odoo import full_sync
from retailsync.consumer import ConsumerService
from retailsync.events import Source, SourceSystem
from retailsync.odoo import OdooClient, OdooSettings
from retailsync.operate.audit import AuditRecord
from retailsync.operate.writer import ChangeWriter
from retailsync.publisher import Publisher
from retailsync.settings import Settings
from retailsync.storefront import TARGET, StorefrontClient, StorefrontSettings
from sandbox.odoo import SandboxOdoo
from sandbox.storefront import LeakyBucket, SandboxStorefront
from tests.integration.harness import Pipeline, make_pipeline
from tests.integration.test_odoo_orders import add_service_products, created, new_skus

# Compares order latencies with and without a catalog pass: on a quiet machine.
pytestmark = [pytest.mark.integration, pytest.mark.alone]

PRODUCTS = 10_000
ORDERS = 15
ORDER_EVERY_S = 0.2

TIERS_TOPOLOGY = """
namespace: NS
defaults: {partitions: 3}
topics:
  NS.orders: {}
  NS.catalog: {configs: {cleanup.policy: compact}}
  NS.audit: {partitions: 1}
events:
  order_created: {topic: NS.orders, key: "{order_ref}"}
  payment_captured: {topic: NS.orders, key: "{order_ref}"}
  product_upserted: {topic: NS.catalog, key: "{sku}"}
  price_changed: {topic: NS.catalog, key: "{sku}"}
consumers:
  GROUP-orders:
    subscriptions: [NS.orders]
    retry: {in_process_attempts: 2, delays: [1s], ordering: key}
  GROUP-catalog:
    subscriptions: [NS.catalog]
    retry: {in_process_attempts: 2, delays: [1s], ordering: key}
"""


@pytest.fixture
def pipeline(kafka_settings: Settings, admin: AdminClient, unique: str) -> Pipeline:
    return make_pipeline(kafka_settings, admin, unique, template=TIERS_TOPOLOGY)


@pytest.fixture
def odoo_settings() -> Iterator[OdooSettings]:
    with SandboxOdoo.running(version="19.0") as sandbox:
        yield OdooSettings(odoo_url=sandbox.url, odoo_db=sandbox.db, odoo_api_key=sandbox.api_key)


def catalog_rows(prefix: str) -> list[dict[str, object]]:
    """``PRODUCTS`` sellable products, SKUs ``prefix-N``, at a few list prices."""
    return [
        {"name": f"Product {n}", "default_code": f"{prefix}-{n}", "list_price": 10.0 + n % 7}
        for n in range(PRODUCTS)
    ]


def order_latencies(pipeline: Pipeline, client: OdooClient, sku: str, prefix: str) -> list[float]:
    """Publish ``ORDERS`` orders, one every ``ORDER_EVERY_S``; the seconds from each one's
    publishing (acknowledged) to its sale order in Odoo."""
    published: dict[str, float] = {}
    landed: dict[str, float] = {}

    def look() -> bool:
        """Note the orders in Odoo now; whether all are."""
        waiting = sorted(set(published) - set(landed))
        found = client.search_read(
            "sale.order", [("client_order_ref", "in", waiting)], ["client_order_ref"]
        )
        now = time.monotonic()
        for row in found:
            landed[row["client_order_ref"]] = now
        return len(landed) == ORDERS

    with Publisher(pipeline.settings, pipeline.topology, pipeline.serde) as publisher:
        for n in range(ORDERS):
            ref = f"{prefix}-{n}"
            publisher.publish(created(ref, sku))
            published[ref] = time.monotonic()
            while time.monotonic() < published[ref] + ORDER_EVERY_S:
                look()
                time.sleep(0.02)
    pipeline.wait(look, timeout_s=120, what="the orders")
    return [landed[ref] - published[ref] for ref in published]


def test_a_10000_product_catalog_pass_does_not_slow_orders(
    pipeline: Pipeline, odoo_settings: OdooSettings, unique: str
) -> None:
    [orders_group, catalog_group] = pipeline.topology.consumers
    with (
        OdooClient.from_settings(odoo_settings) as client,
        OdooClient.from_settings(odoo_settings) as applier_odoo,
        OdooClient.from_settings(odoo_settings) as pass_odoo,
        # Shopify Plus's bucket, as bench.catalog: the catalog's calls are not throttled.
        SandboxStorefront.running(bucket=LeakyBucket(maximum=20_000, restore_rate=1_000)) as shop,
        StorefrontClient.from_settings(StorefrontSettings(**shop.settings())) as storefront,
    ):
        add_service_products(client)
        [sku] = new_skus(client, 1)
        client.create("product.product", catalog_rows(unique))
        orders = make_service(
            lambda: applier_odoo,
            name=orders_group,
            settings=lambda: OrdersSettings(odoo_orders_apply_test_orders=True),
        )
        catalog_service = ConsumerService(catalog_group)
        catalog_service.batch_handler(
            "product_upserted", "price_changed", target=TARGET, max_items=50
        )(CatalogApplier(storefront, pricelist=None).apply)

        with pipeline.running(orders), pipeline.running(catalog_service):
            quiet = order_latencies(pipeline, client, sku, f"{unique}-quiet")

            plan = full_sync.plan(pass_odoo)
            assert len(plan.product_ids) >= PRODUCTS
            started = threading.Event()
            failures: list[BaseException] = []

            def full_pass() -> None:
                audit = AuditRecord.new(full_sync.AUDIT_ACTION, ["test"], {}, "test")
                try:
                    with ChangeWriter(pipeline.settings, f"{unique}-sync", f"{unique}.audit") as w:
                        full_sync.full_pass(
                            pass_odoo,
                            Source(system=SourceSystem.ODOO, instance=odoo_settings.instance),
                            plan,
                            writer=w,
                            topology=pipeline.topology,
                            serde=pipeline.serde,
                            audit=audit,
                            advanced=lambda _products: started.set(),
                        )
                except BaseException as exc:
                    failures.append(exc)
                    started.set()

            publishing = threading.Thread(target=full_pass)
            publishing.start()
            assert started.wait(60), "the full pass did not publish a page"
            busy = order_latencies(pipeline, client, sku, f"{unique}-busy")
            publishing.join(120)
            assert not failures, failures
            catalog_topic = f"{pipeline.topology.namespace}.catalog"
            behind = pipeline.size(catalog_topic) - pipeline.committed(catalog_group, catalog_topic)
    print(f"order latency quiet: median {statistics.median(quiet):.3f} s, "
          f"max {max(quiet):.3f} s; during a {PRODUCTS}-product pass: median "
          f"{statistics.median(busy):.3f} s, max {max(busy):.3f} s; "
          f"catalog records still behind after the orders: {behind}")  # fmt: skip
    # The catalog still had thousands of records to go: the orders did not wait for them.
    assert behind > 1_000
    # Generous, for a shared machine (every sandbox and service runs in this process): a
    # queue behind the catalog would take minutes, not a few times the quiet latency.
    assert statistics.median(busy) < 3 * statistics.median(quiet) + 2.0
    assert max(busy) < 3 * max(quiet) + 5.0
