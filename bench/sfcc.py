"""``python -m bench.sfcc``: SFCC order ingestion, order ready in SFCC to order_created on
Kafka and the order marked exported.

Starts a one-node Kafka on free loopback ports and the sandbox SFCC in this process, applies
topology.yaml, and seeds ORDERS orders of two lines each. Then it times ``SiteExport``
rounds: each page of ready orders is read over HTTP (SCAPI getOrders), mapped, Avro-encoded,
published and flushed, then every order is marked exported (one PUT each, as the Orders API
has no bulk export status update). Figures per page size.
"""

from __future__ import annotations

import tempfile
import time
from decimal import Decimal
from pathlib import Path

from confluent_kafka.admin import AdminClient
from pydantic import SecretStr

from producers.sfcc import SiteExport
from retailsync.broker import LocalCluster, free_port_block
from retailsync.channels import Channel
from retailsync.kafka.producer import KafkaProducer
from retailsync.publisher import Publisher
from retailsync.settings import Settings, load_settings
from retailsync.sfcc import SfccClient
from retailsync.topology import load_topology
from retailsync.topology.apply import apply_plan
from retailsync.topology.plan import make_plan, read_cluster
from sandbox.sfcc import Item, SandboxSfcc, order_document

ORDERS = 2_000
PAGE_SIZES = (50, 200)
TOPOLOGY = Path(__file__).parents[1] / "topology.yaml"
ITEMS = (Item("MUG", 2, Decimal("9.50"), Decimal("1.00")), Item("TEE", 1, Decimal("20.00")))


def _channel(sfcc: SandboxSfcc) -> Channel:
    return Channel(
        name="bench",
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


def _round(settings: Settings, sfcc: SandboxSfcc, page_size: int, run: int) -> None:
    for n in range(ORDERS):
        sfcc.add_order(order_document(f"{run}{n:06d}", ITEMS, order_discount=Decimal("2.00")))
    channel = _channel(sfcc)
    with (
        SfccClient.from_channel(channel) as client,
        Publisher.from_settings(settings) as publisher,
        KafkaProducer(settings, name="bench-dead-letters") as dead_letters,
    ):
        export = SiteExport(
            channel, client, publisher, dead_letters,
            dead_letter_topic="retail.orders.sfcc-orders.dlt", page_size=page_size,
        )  # fmt: skip
        calls_before = sfcc.store.api_calls
        began = time.perf_counter()
        done = export.run_once()
        took = time.perf_counter() - began
    calls = sfcc.store.api_calls - calls_before
    print(
        f"  page size {page_size:3d}: {done.exported} orders in {took:6.2f} s = "
        f"{done.exported / took:6.0f} orders/s ({calls / done.exported:.2f} API calls/order)"
    )


def main() -> None:
    base = load_settings()
    print(f"SFCC order ingestion ({ORDERS} orders per run, sandbox SFCC, one-node Kafka):")
    with tempfile.TemporaryDirectory(prefix="retailsync-bench-") as scratch:
        cluster = LocalCluster(Path(scratch), cache_dir=base.cache_dir, port=free_port_block(2))
        with cluster.running(), SandboxSfcc.running() as sfcc:
            settings = Settings(bootstrap_servers=cluster.bootstrap_servers, topology_file=TOPOLOGY)
            topology = load_topology(TOPOLOGY)
            admin = AdminClient(settings.admin_config())
            apply_plan(admin, topology, make_plan(topology, read_cluster(admin, "retail")))
            for run, page_size in enumerate(PAGE_SIZES):
                _round(settings, sfcc, page_size, run)


if __name__ == "__main__":
    main()
