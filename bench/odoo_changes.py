"""``python -m bench.odoo_changes``: change-capture throughput, Odoo change to committed event.

Starts a one-node Kafka on free loopback ports and the sandbox Odoo in this process (they
share the interpreter with the poller, as the sandbox's SQLite work does with its HTTP
server), applies topology.yaml, and makes PRODUCTS storable products with stock. Then it
times ``Poller.poll`` rounds, each page of changes being read from Odoo over JSON-2, mapped,
Avro-encoded and committed with its checkpoint in one Kafka transaction:

- snapshot: the first round of a new producer, every stock level and product;
- changes: a round after every stock level changed once more;
- idle: a round with nothing new (the overlap window is re-read and dropped).
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from confluent_kafka.admin import AdminClient
from pydantic import SecretStr

from commands.traffic import count_stock
from producers.odoo import ChangeCaptureSettings, Poller
from retailsync.broker import LocalCluster, free_port_block
from retailsync.events import default_schemas_dir, load_catalogue
from retailsync.odoo import OdooClient, OdooSettings
from retailsync.serde import EventSerde, serde_for
from retailsync.settings import Settings, load_settings
from retailsync.topology import load_topology
from retailsync.topology.apply import apply_plan
from retailsync.topology.plan import make_plan, read_cluster
from sandbox.odoo import SandboxOdoo

PRODUCTS = 2_000
BATCH = 200
TOPOLOGY = Path(__file__).parents[1] / "topology.yaml"


def _products(odoo: OdooClient) -> list[int]:
    made: list[int] = []
    for start in range(0, PRODUCTS, BATCH):
        made += odoo.create(
            "product.product",
            [
                {"name": f"Bench {n}", "default_code": f"BENCH-{n}", "is_storable": True}
                for n in range(start, min(start + BATCH, PRODUCTS))
            ],
        )
    return made


def _round(name: str, poll: Callable[[], int]) -> None:
    began = time.perf_counter()
    published = poll()
    took = time.perf_counter() - began
    rate = f"{published / took:8.0f} events/s" if published else "       - events/s"
    print(f"  {name:9} {published:6d} events in {took:6.2f} s = {rate}")


def main() -> None:
    base = load_settings()
    with tempfile.TemporaryDirectory(prefix="retailsync-bench-") as scratch:
        cluster = LocalCluster(Path(scratch), cache_dir=base.cache_dir, port=free_port_block(2))
        with cluster.running(), SandboxOdoo.running() as sandbox:
            settings = Settings(bootstrap_servers=cluster.bootstrap_servers, topology_file=TOPOLOGY)
            odoo_settings = OdooSettings(
                odoo_url=sandbox.url, odoo_db=sandbox.db, odoo_api_key=SecretStr(sandbox.api_key)
            )
            capture = ChangeCaptureSettings()
            topology = load_topology(TOPOLOGY)
            admin = AdminClient(settings.admin_config())
            apply_plan(admin, topology, make_plan(topology, read_cluster(admin, "retail")))
            catalogue = load_catalogue(default_schemas_dir(TOPOLOGY))
            serde = EventSerde(serde_for(settings, catalogue, topology))
            with OdooClient.from_settings(odoo_settings) as odoo:
                [warehouse] = odoo.search_read("stock.warehouse", [], ["lot_stock_id"], limit=1)
                stock = warehouse["lot_stock_id"][0]
                products = _products(odoo)
                count_stock(odoo, products, stock, 10)
                poller = Poller(
                    settings,
                    capture,
                    odoo=odoo,
                    instance=odoo_settings.instance,
                    topology=topology,
                    serde=serde,
                )
                poller.start()
                print(
                    f"odoo-changes: {PRODUCTS} products with stock, page size "
                    f"{capture.odoo_page_size}, overlap {capture.odoo_overlap_s:.0f} s, "
                    "sandbox Odoo over JSON-2 and Kafka in this process/on loopback"
                )
                _round("snapshot", poller.poll)
                count_stock(odoo, products, stock, 20)
                _round("changes", poller.poll)
                _round("idle", poller.poll)
                print(f"  lag after the last round: {poller.lag.seconds():.2f} s")


if __name__ == "__main__":
    main()
