"""storefront-catalog under a backlog: SKUs/s published to the sandbox storefront, and
storefront calls per SKU.

Starts its own Kafka (retailsync's launcher, free loopback ports) and sandbox storefront,
publishes a backlog of product_upserted for new SKUs, runs the service (with the shipped
topology's publishing rules) until every product is listed, then a backlog of
price_changed (10 % off each, within the rules) until every price is shown. Shopify charges
10 points per mutation field and refills its bucket at a fixed rate, which bounds any
client: the sandbox's bucket is Shopify Plus's (20,000 points, 1,000 a second) unless
BENCH_RESTORE_RATE says otherwise; the time spent waiting for it is printed.
Run: python -m bench.catalog [SKUS] (default 10000)
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from confluent_kafka.admin import AdminClient

from consumers.storefront_catalog.applier import CatalogApplier
from retailsync.broker import LocalCluster, free_port_block
from retailsync.consumer import ConsumerService, RunnerOptions, ServiceRunner
from retailsync.events import Event, PriceChanged, ProductUpserted, load_catalogue
from retailsync.events.examples import ODOO
from retailsync.publisher import Publisher
from retailsync.serde import EventSerde, SingleObjectSerde
from retailsync.settings import Settings, load_settings
from retailsync.storefront import TARGET, StorefrontClient, StorefrontSettings
from retailsync.topology import Topology, parse_topology
from retailsync.topology.apply import apply_plan
from retailsync.topology.plan import make_plan, read_cluster
from sandbox.storefront import LeakyBucket, SandboxStorefront

ROOT = Path(__file__).parents[1]


def products(count: int) -> list[ProductUpserted]:
    return [
        ProductUpserted(
            envelope=ProductUpserted.new_envelope(
                source=ODOO,
                source_ref=f"product.product/{n}",
                occurred_at=datetime.now(UTC),
                source_version=1,
            ),
            sku=f"BENCH-{n}",
            name=f"Bench product {n}",
            barcode=f"{4006381000000 + n}",
            unit_of_measure="Units",
            weight_kg=Decimal("0.5"),
            currency="USD",
            list_price=Decimal(20),
            active=True,
        )
        for n in range(count)
    ]


def prices(count: int) -> list[PriceChanged]:
    return [
        PriceChanged(
            envelope=PriceChanged.new_envelope(
                source=ODOO,
                source_ref=f"product.product/{n}",
                occurred_at=datetime.now(UTC),
                source_version=2,
            ),
            sku=f"BENCH-{n}",
            currency="USD",
            price=Decimal(18),
            compare_at_price=Decimal(20),
        )
        for n in range(count)
    ]


def phase(
    name: str,
    events: list[Event],
    *,
    done: Callable[[], bool],
    applier: CatalogApplier,
    run: Callable[[], ServiceRunner],
    publish: Callable[[list[Event]], None],
) -> None:
    publish(events)
    calls, throttled = applier.counts.calls, applier.client.throttled_s
    runner = run()
    thread = threading.Thread(target=runner.run)
    began = time.perf_counter()
    thread.start()
    while not done():
        time.sleep(0.2)
    elapsed = time.perf_counter() - began
    runner.stop()
    thread.join()
    made = applier.counts.calls - calls
    count = len(events)
    waited = applier.client.throttled_s - throttled
    print(f"  {name}: {count / elapsed:,.1f} SKUs/s ({elapsed:.1f} s), "
          f"{made} storefront calls = {made / count:.3f} per SKU, "
          f"{waited:.1f} s waiting for Shopify's bucket")  # fmt: skip


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    restore = float(os.environ.get("BENCH_RESTORE_RATE", "1000"))
    bucket = LeakyBucket(maximum=20 * restore, restore_rate=restore)
    with (
        tempfile.TemporaryDirectory(prefix="retailsync-bench-") as scratch,
        SandboxStorefront.running(bucket=bucket) as shop,
    ):
        cluster = LocalCluster(
            Path(scratch) / "kafka", cache_dir=load_settings().cache_dir, port=free_port_block(2)
        )
        with cluster.running():
            namespace = f"b{uuid.uuid4().hex[:8]}"
            text = (ROOT / "topology.yaml").read_text().replace("retail", namespace)
            topology = parse_topology(text, "topology.yaml")
            settings = load_settings(bootstrap_servers=cluster.bootstrap_servers)
            admin = AdminClient(settings.admin_config())
            apply_plan(admin, topology, make_plan(topology, read_cluster(admin, namespace)))
            serde = EventSerde(SingleObjectSerde(load_catalogue(ROOT / "schemas")))
            group = topology.consumer("storefront-catalog")
            with StorefrontClient.from_settings(StorefrontSettings(**shop.settings())) as client:
                applier = CatalogApplier(client, pricelist=None, rules=group.publishing)
                run = _runner(applier, settings, topology, serde)

                def publish(events: list[Event]) -> None:
                    with Publisher(settings, topology, serde) as publisher:
                        for event in events:
                            publisher.publish(event)

                def listed() -> bool:
                    return len(shop.store.products) >= count

                def repriced() -> bool:
                    with shop.store.locked():
                        return all(
                            p.variants[0].price == "18.00" for p in shop.store.products.values()
                        )

                print(f"storefront-catalog: a backlog of {count} SKUs into the sandbox "
                      f"storefront (bucket {bucket.maximum:g} points, {restore:g}/s)")  # fmt: skip
                phase("create (productSet)", list(products(count)), done=listed,
                      applier=applier, run=run, publish=publish)  # fmt: skip
                phase("reprice (productVariantsBulkUpdate)", list(prices(count)), done=repriced,
                      applier=applier, run=run, publish=publish)  # fmt: skip


def _runner(
    applier: CatalogApplier, settings: Settings, topology: Topology, serde: EventSerde
) -> Callable[[], ServiceRunner]:
    def make() -> ServiceRunner:
        service = ConsumerService("storefront-catalog")
        service.batch_handler("product_upserted", "price_changed", target=TARGET, max_items=50)(
            applier.apply
        )
        return ServiceRunner(
            service, settings, topology, serde, options=RunnerOptions(poll_timeout_s=0.05)
        )

    return make


if __name__ == "__main__":
    main()
