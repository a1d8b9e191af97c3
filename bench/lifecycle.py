"""The order-lifecycle projection's speed, two figures for EVENTS events (5 per order:
created, paid, edited, shipped, on the orders and shipments topics):

- fold: the SQLite store alone folding them in batches of 500, no broker; and the same
  into PostgreSQL when BENCH_POSTGRES_URL names a database (an empty one, for the bench
  alone: ``postgresql://user:password@host:port/db``; the rows stay there);
- rebuild: the same events on a broker, read from the earliest offsets by the projection
  service (decode, dispatch, fold into a fresh file), as after
  `retailsync replay order-lifecycle --to-earliest --execute`; from the runner's start
  (group join included) to the last event stored.

Starts its own single-node broker, or uses BENCH_BOOTSTRAP.

Run: python -m bench.lifecycle [EVENTS, default 1000000] [REBUILD EVENTS, default EVENTS]
(a smaller rebuild prints its figure extrapolated to 1,000,000 events, and says so)
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient
from sqlalchemy import URL

from bench.operate import _bootstrap
from consumers.order_lifecycle import projection_service
from consumers.order_lifecycle.settings import LifecycleSettings
from consumers.order_lifecycle.store import LifecycleStore, Position, Seen
from retailsync.consumer import RunnerOptions, ServiceRunner
from retailsync.events import load_catalogue
from retailsync.events.examples import example_events
from retailsync.serde import EventSerde, SingleObjectSerde
from retailsync.settings import load_settings
from retailsync.topology import parse_topology
from retailsync.topology.apply import apply_plan
from retailsync.topology.plan import make_plan, read_cluster

_ROOT = Path(__file__).resolve().parent.parent
TOPOLOGY = """
namespace: NS
defaults: {partitions: 12}
topics:
  NS.orders: {}
  NS.shipments: {}
events:
  order_created: {topic: NS.orders, key: "{order_ref}"}
  payment_captured: {topic: NS.orders, key: "{order_ref}"}
  order_edited: {topic: NS.orders, key: "{order_ref}"}
  shipment_dispatched: {topic: NS.shipments, key: "{order_ref}"}
consumers:
  lifecycle:
    subscriptions: [NS.orders, NS.shipments]
    retry: {delays: [], ordering: none}
"""
# An order's events, and when each happens after the order was placed.
LIFE = (
    ("order_created", timedelta(0)),
    ("payment_captured", timedelta(minutes=2)),
    ("order_edited", timedelta(minutes=5)),
    ("payment_captured", timedelta(minutes=6)),
    ("shipment_dispatched", timedelta(hours=20)),
)
BATCH = 500
START = datetime(2026, 1, 1, tzinfo=UTC)


def _seen(count: int) -> Iterator[Seen]:
    for n in range(count):
        kind, after = LIFE[n % len(LIFE)]
        yield Seen(
            str(uuid.uuid4()), kind, f"shop:{n // len(LIFE)}", "shop",
            int((START + after).timestamp() * 1000), Position("retail.orders", n % 12, n),
        )  # fmt: skip


def bench_fold(count: int, where: Path | URL) -> None:
    events = list(_seen(count))
    backend = "postgresql" if isinstance(where, URL) else "sqlite"
    with LifecycleStore.connect(where) as store:
        started = time.perf_counter()
        for start in range(0, count, BATCH):
            store.fold(events[start : start + BATCH], [])
        took = time.perf_counter() - started
    print(
        f"fold ({backend} store alone, {BATCH} a transaction): {count / took:,.0f} events/s "
        f"({count:,} in {took:.1f}s)"
    )


def _fill(settings: Any, namespace: str, count: int) -> None:
    serde = SingleObjectSerde(load_catalogue(_ROOT / "schemas"))
    templates = {type(e).EVENT_TYPE: e.model_dump() for e in example_events()}
    topics = {"shipment_dispatched": f"{namespace}.shipments"}
    producer = Producer({**settings.producer_config(), "linger.ms": 50})
    for n in range(count):
        kind, after = LIFE[n % len(LIFE)]
        ref = f"shop:{n // len(LIFE)}"
        datum = dict(templates[kind], order_ref=ref)
        datum["envelope"] = dict(datum["envelope"], event_id=uuid.uuid4(),
                                 occurred_at=START + after, channel="shop")  # fmt: skip
        value = serde.encode(datum)
        while True:
            try:
                producer.produce(topics.get(kind, f"{namespace}.orders"), key=ref.encode(),
                                 value=value, headers=[("event_type", kind.encode())])  # fmt: skip
                break
            except BufferError:
                producer.poll(0.1)
    producer.flush(300)


def bench_rebuild(count: int, directory: Path) -> None:
    with _bootstrap() as servers:
        settings = load_settings(bootstrap_servers=servers)
        namespace = f"b{uuid.uuid4().hex[:8]}"
        topology = parse_topology(TOPOLOGY.replace("NS", namespace), "bench")
        admin = AdminClient(settings.admin_config())
        apply_plan(admin, topology, make_plan(topology, read_cluster(admin, namespace)))
        started = time.perf_counter()
        _fill(settings, namespace, count)
        print(f"published {count:,} events in {time.perf_counter() - started:.1f}s")
        path = directory / "rebuild.sqlite3"
        store = LifecycleStore.connect(path)
        serde = EventSerde(SingleObjectSerde(load_catalogue(_ROOT / "schemas")))
        runner = ServiceRunner(
            projection_service("lifecycle", lambda: store), settings, topology, serde,
            options=RunnerOptions(poll_timeout_s=0.05),
        )  # fmt: skip
        thread = threading.Thread(target=runner.run)
        started = time.perf_counter()
        thread.start()
        first: float | None = None
        try:
            with LifecycleStore.read_only(path) as view:
                while (stored := _events(view)) < count:
                    if first is None and stored:
                        first = time.perf_counter()
                    time.sleep(0.2)
            done = time.perf_counter()
        finally:
            runner.stop()
            thread.join(60)
            store.close()
    joined = (first or done) - started
    rate = count / (done - started)
    steady = count / (done - (first or started))
    print(f"rebuild (broker -> projection): {rate:,.0f} events/s ({count:,} in "
          f"{done - started:.1f}s: {joined:.1f}s to join the group and store the first "
          f"events, then {steady:,.0f} events/s)")  # fmt: skip
    if count < 1_000_000:
        print(f"  extrapolated to 1,000,000 events: {joined + 1_000_000 / steady:.0f}s")


def _events(view: LifecycleStore) -> int:
    return sum(view.events_by_type(0).values())


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    rebuilt = int(sys.argv[2]) if len(sys.argv) > 2 else count
    postgres = os.environ.get("BENCH_POSTGRES_URL")
    with tempfile.TemporaryDirectory() as scratch:
        bench_fold(count, Path(scratch) / "fold.sqlite3")
        if postgres:
            bench_fold(count, LifecycleSettings.load(lifecycle_database_url=postgres).store_at)
        bench_rebuild(rebuilt, Path(scratch))


if __name__ == "__main__":
    main()
