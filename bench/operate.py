"""Operator tools on a real broker: the time to plan a replay of one key in a topic of
1,000,000 records (12 partitions: the key's partition is read whole), and redrive
throughput at an unlimited rate. Starts its own single-node broker, or uses
BENCH_BOOTSTRAP.

Run: python -m bench.operate [records, default 1000000] [dead letters, default 20000]
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient

from retailsync import headers as h
from retailsync.broker import LocalCluster, free_port_block
from retailsync.events import load_catalogue
from retailsync.events.examples import example_events
from retailsync.operate.audit import AuditRecord
from retailsync.operate.dead_letters import dead_letters, redrive
from retailsync.operate.key_replay import KeySelection, plan_key_replay
from retailsync.operate.reader import TopicReader
from retailsync.operate.writer import ChangeWriter
from retailsync.serde import SingleObjectSerde
from retailsync.settings import Settings, load_settings
from retailsync.topology import parse_topology
from retailsync.topology.apply import apply_plan
from retailsync.topology.plan import make_plan, read_cluster

_ROOT = Path(__file__).resolve().parent.parent
TOPOLOGY = """
namespace: NS
defaults: {partitions: 12}
topics:
  NS.orders: {}
  NS.audit: {partitions: 1}
  NS.dlt-state: {partitions: 1, configs: {cleanup.policy: compact}}
events:
  order_created: {topic: NS.orders, key: "{order_ref}"}
consumers:
  bench:
    subscriptions: [NS.orders]
    retry: {delays: [10s]}
"""


@contextmanager
def _bootstrap() -> Iterator[str]:
    existing = os.environ.get("BENCH_BOOTSTRAP")
    if existing:
        yield existing
        return
    with tempfile.TemporaryDirectory() as scratch:
        cluster = LocalCluster(
            Path(scratch) / "kafka", cache_dir=load_settings().cache_dir, port=free_port_block(2)
        )
        with cluster.running():
            yield cluster.bootstrap_servers


def _fill(settings: Settings, topic: str, count: int, value: bytes, *, dead: bool) -> None:
    producer = Producer({**settings.producer_config(), "linger.ms": 50})
    headers: h.OutgoingHeaders = [("event_type", b"order_created")]
    if dead:
        headers += [(h.ERROR_CLASS, b"bench.Error")]
    for n in range(count):
        while True:
            try:
                producer.produce(topic, key=f"shop:{n % 50_000}".encode(), value=value,
                                 headers=headers)  # fmt: skip
                break
            except BufferError:
                producer.poll(0.1)
    producer.flush(120)


def main() -> None:
    records = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    letters = int(sys.argv[2]) if len(sys.argv) > 2 else 20_000
    serde = SingleObjectSerde(load_catalogue(_ROOT / "schemas"))
    value = serde.encode(example_events()[0].model_dump())
    with _bootstrap() as servers:
        settings = load_settings(bootstrap_servers=servers)
        namespace = f"b{uuid.uuid4().hex[:8]}"
        topology = parse_topology(TOPOLOGY.replace("NS", namespace), "bench")
        admin = AdminClient(settings.admin_config())
        apply_plan(admin, topology, make_plan(topology, read_cluster(admin, namespace)))
        group = topology.consumer("bench")
        source = f"{namespace}.orders"
        _fill(settings, source, records, value, dead=False)
        with TopicReader(settings) as reader:
            started = time.perf_counter()
            plan = plan_key_replay(reader, group, [source], KeySelection(key="shop:42"))
            took = time.perf_counter() - started
        print(f"key replay plan: {len(plan.records)} records of one key found in a "
              f"{records:,}-record topic in {took:.2f}s")  # fmt: skip

        _fill(settings, group.dead_letter_topic(source), letters, value, dead=True)
        with TopicReader(settings) as reader:
            chosen = list(dead_letters(reader, group))
        audit = AuditRecord.new("dlt redrive", ["bench"], {}, "bench")
        with ChangeWriter(settings, group.name, f"{namespace}.audit") as writer:
            started = time.perf_counter()
            redrive(writer, group, chosen, f"{namespace}.dlt-state", audit)
            took = time.perf_counter() - started
        rate = len(chosen) / took
        print(f"redrive at an unlimited rate: {rate:,.0f} dead letters/s "
              f"({len(chosen):,} in {took:.2f}s, in one transaction)")  # fmt: skip


if __name__ == "__main__":
    main()
