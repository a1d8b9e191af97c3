"""``python -m bench.sfcc``: SFCC order ingestion, order ready in SFCC to order_created on
Kafka and the order marked exported.

Starts a one-node Kafka on free loopback ports and the sandbox SFCC in this process, applies
topology.yaml, and seeds ORDERS orders of two lines each. Then it times ``SiteExport``
rounds: each page of ready orders is read over HTTP (SCAPI getOrders), mapped, Avro-encoded,
published and flushed, then every order is marked exported (one PUT each, as the Orders API
has no bulk export status update). Then every one of those orders is cancelled in SFCC and
a ``SiteChanges`` round is timed: the exported orders modified since its watermark are read
over HTTP (getOrders by lastModified), their order_cancelled events published and flushed,
the watermark written. Figures per page size.
"""

from __future__ import annotations

import tempfile
import time
from decimal import Decimal
from pathlib import Path

from confluent_kafka.admin import AdminClient
from pydantic import SecretStr

from producers.sfcc import SiteChanges, SiteExport, Watermarks
from producers.sfcc.published import PublishedIds
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
    numbers = [f"{run}{n:06d}" for n in range(ORDERS)]
    for number in numbers:
        sfcc.add_order(order_document(number, ITEMS, order_discount=Decimal("2.00")))
    channel = _channel(sfcc)
    published = PublishedIds()  # shared, as in the service
    with (
        SfccClient.from_channel(channel) as client,
        Publisher.from_settings(settings) as publisher,
        KafkaProducer(settings, name="bench-sfcc-orders") as records,
    ):
        export = SiteExport(
            channel, client, publisher, records,
            dead_letter_topic="retail.orders.sfcc-orders.dlt", page_size=page_size,
            published=published,
        )  # fmt: skip
        calls_before = sfcc.store.api_calls
        began = time.perf_counter()
        done = export.run_once()
        took = time.perf_counter() - began
        calls = sfcc.store.api_calls - calls_before
        print(
            f"  page size {page_size:3d}: {done.exported} orders exported in {took:6.2f} s = "
            f"{done.exported / took:6.0f} orders/s ({calls / done.exported:.2f} API calls/order)"
        )
        watermarks = Watermarks(settings, records, "retail.sfcc-orders.watermarks")
        watermarks.load()
        changes = SiteChanges(
            channel, client, publisher, records, watermarks,
            dead_letter_topic="retail.orders.sfcc-orders.dlt", page_size=page_size,
            settle_s=0, published=published,
        )  # fmt: skip
        changes.run_once()  # the watermark past the export's own marks
        for number in numbers:
            stored = sfcc.store.order(sfcc.site_id, number)
            assert stored is not None
            sfcc.store.set_order_status(stored, "cancelled")
        calls_before = sfcc.store.api_calls
        began = time.perf_counter()
        done = changes.run_once()
        took = time.perf_counter() - began
        calls = sfcc.store.api_calls - calls_before
        print(
            f"  page size {page_size:3d}: {done.changed} cancellations in {took:6.2f} s = "
            f"{done.changed / took:6.0f} changes/s ({calls / done.changed:.3f} API calls/change)"
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
