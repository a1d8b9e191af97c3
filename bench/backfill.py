"""``python -m bench.backfill [ORDERS]``: the go-live backfill, a channel's orders read
through its API and published.

Starts a one-node Kafka on free loopback ports, the sandbox storefront and the sandbox SFCC
in this process, applies topology.yaml, and places ORDERS orders of two lines each on both
(half of them before the backfill's date). Per platform it times reading the orders since
the date through the order source (Shopify: Admin GraphQL ``orders``, 5 per call; SFCC:
SCAPI ``getOrders`` by creation date, 200 per call), mapped, and then publishing them as
``retailsync backfill orders --execute`` does (100 orders per Kafka transaction, audited).
Reading from Shopify is bound by its cost bucket (the sandbox's: 1,000 points, 50 restored a
second, as a standard plan), which the figure states.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from confluent_kafka.admin import AdminClient
from pydantic import SecretStr

from producers.backfill import AUDIT_ACTION, BackfillPlan, OrderSource, publish, writer_name
from producers.backfill.sfcc import SfccOrders
from producers.backfill.shopify import ShopifyOrders
from retailsync.broker import LocalCluster, free_port_block
from retailsync.channels import Channel
from retailsync.operate.audit import AuditRecord
from retailsync.operate.settings import OperateSettings
from retailsync.operate.writer import ChangeWriter
from retailsync.serde import event_serde
from retailsync.settings import Settings, load_settings
from retailsync.sfcc import SfccClient
from retailsync.storefront import StorefrontClient
from retailsync.topology import Topology, load_topology
from retailsync.topology.apply import apply_plan
from retailsync.topology.plan import make_plan, read_cluster
from sandbox.sfcc import Item, SandboxSfcc, order_document
from sandbox.storefront import SandboxStorefront

TOPOLOGY = Path(__file__).parents[1] / "topology.yaml"
SINCE = datetime(2026, 11, 1, tzinfo=UTC)
ITEMS = (Item("MUG", 2, Decimal("9.50")), Item("TEE", 1, Decimal("20.00")))


def _seed(shop: SandboxStorefront, sfcc: SandboxSfcc, orders: int) -> None:
    for n in range(orders):
        # Every other order before the date: read past, never published.
        placed = SINCE + timedelta(minutes=n - orders // 2)
        shop.store.place_order([("MUG", 2, "9.50"), ("TEE", 1, "20.00")], created_at=placed)
        sfcc.add_order(order_document(f"{n:08d}", ITEMS, created=placed))


def _sfcc_channel(sfcc: SandboxSfcc) -> Channel:
    return Channel(
        name="bench-sfcc",
        platform="sfcc",
        source="bench",
        url=sfcc.url,
        options={
            "token_url": sfcc.token_url,
            "organization_id": sfcc.organization_id,
            "site_id": sfcc.site_id,
        },
        secrets={
            "client_id": SecretStr(sfcc.client_id),
            "client_secret": SecretStr(sfcc.client_secret),
        },
    )


def _shopify_channel(shop: SandboxStorefront) -> Channel:
    return Channel(
        name="bench-shop",
        platform="shopify",
        source="bench",
        url=shop.url,
        options={"api_version": "2025-01"},
        secrets={"access_token": SecretStr(shop.access_token)},
    )


def _run(
    name: str,
    source: OrderSource,
    settings: Settings,
    topology: Topology,
    calls: Callable[[BackfillPlan], str],
) -> None:
    began = time.perf_counter()
    plan = BackfillPlan(name, SINCE, list(source.orders(SINCE)))
    read_s = time.perf_counter() - began
    audit = AuditRecord.new(AUDIT_ACTION, ["bench"], {"channel": name}, "bench")
    began = time.perf_counter()
    with ChangeWriter(settings, writer_name(name), OperateSettings().audit_topic) as writer:
        published = publish(
            plan.orders,
            writer=writer,
            topology=topology,
            serde=event_serde(settings, topology),
            audit=audit,
        )
    publish_s = time.perf_counter() - began
    taken = len(plan.taken)
    print(
        f"  {name:7s}: read {taken} orders in {read_s:6.2f} s = {taken / read_s:5.0f} orders/s "
        f"({calls(plan)}); published {sum(published.values())} events in "
        f"{publish_s:5.2f} s = {taken / publish_s:5.0f} orders/s"
    )


def main() -> None:
    orders = int(sys.argv[1]) if len(sys.argv) > 1 else 2_000
    base = load_settings()
    print(f"Go-live backfill ({orders} orders per channel, half since the date, one-node Kafka):")
    with tempfile.TemporaryDirectory(prefix="retailsync-bench-") as scratch:
        cluster = LocalCluster(Path(scratch), cache_dir=base.cache_dir, port=free_port_block(2))
        with (
            cluster.running(),
            SandboxStorefront.running() as shop,
            SandboxSfcc.running() as sfcc,
        ):
            settings = Settings(bootstrap_servers=cluster.bootstrap_servers, topology_file=TOPOLOGY)
            topology = load_topology(TOPOLOGY)
            admin = AdminClient(settings.admin_config())
            apply_plan(admin, topology, make_plan(topology, read_cluster(admin, "retail")))
            _seed(shop, sfcc, orders)
            with StorefrontClient.from_channel(_shopify_channel(shop)) as shopify:
                pages = ShopifyOrders(shopify, "bench-shop")
                # One call per page of 5 (the sandbox counts none), throttled by the bucket.
                _run("shopify", pages, settings, topology,
                     lambda p: f"{-(-len(p.orders) // 5)} API calls, "
                               f"{shopify.throttled_s:.1f} s of them throttled")  # fmt: skip
            channel = _sfcc_channel(sfcc)
            with SfccClient.from_channel(channel) as client:
                before = sfcc.store.api_calls
                sites = SfccOrders(client, channel)
                _run("sfcc", sites, settings, topology,
                     lambda _: f"{sfcc.store.api_calls - before} API calls")  # fmt: skip


if __name__ == "__main__":
    main()
