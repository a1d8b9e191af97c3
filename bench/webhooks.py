"""``python -m bench.webhooks``: the webhook receiver's throughput and latency, and the
inventory applier's coalescing under a burst. Needs Kafka's jars (``retailsync broker
fetch``); it starts its own single-node broker on free loopback ports and stops it.

Receiver: ``retailsync serve webhooks`` (uvicorn, signature check, durable ``acks=all``
acknowledgement) on loopback, with 1 and then 2 worker processes (``--workers``); this
process is the load: CONNECTIONS keep-alive connections posting signed Shopify
orders/create deliveries, each with its own event id, REQUESTS in all or for DURATION_S at
most, after a warm-up. Figures: requests/s, p50/p99, and the receiver's CPU time per request
(user + system, all its processes and threads).

Coalescing: a burst of inventory_adjusted (SKUS SKUs, UPDATES levels each, interleaved) on
Kafka, applied by the storefront-inventory applier through the consumer runtime to the
sandbox storefront. Figure: levels read per quantity sent, and the mutations it took.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

import httpx
import uvloop
from confluent_kafka import Consumer, KafkaException, TopicPartition
from confluent_kafka.admin import AdminClient

from consumers.storefront_inventory.applier import InventoryApplier
from retailsync.broker import LocalCluster, free_port_block
from retailsync.consumer import ConsumerService, RunnerOptions, ServiceRunner
from retailsync.events import InventoryAdjusted, default_schemas_dir, load_catalogue
from retailsync.events.examples import AT, ODOO, example_events
from retailsync.publisher import Publisher
from retailsync.serde import EventSerde, SingleObjectSerde
from retailsync.settings import Settings, load_settings
from retailsync.storefront import TARGET, StorefrontClient, StorefrontSettings
from retailsync.topology import Topology, load_topology
from retailsync.topology.apply import apply_plan
from retailsync.topology.plan import make_plan, read_cluster
from sandbox.storefront import SandboxStorefront, shopify_delivery
from sandbox.storefront.payloads import order_payload

SECRET = "bench-secret"  # a benchmark value, not a secret
REQUESTS = 40_000
WARM_UP = 2_000
DURATION_S = 20.0
# Saturating, a lighter load whose latency is not mostly queueing, and one client at a time.
CONNECTIONS = (32, 8, 1)
# `serve webhooks --workers N`: how throughput scales with worker processes.
WORKERS = (1, 2)
SKUS = 50
UPDATES = 200
_TOPOLOGY = Path("topology.yaml")


def _requests(count: int, run: str) -> list[bytes]:
    """Raw HTTP/1.1 requests: the same signed order, a new delivery identity each."""
    shop = SandboxStorefront(skus=["MUG-GREEN", "MUG-BLUE"])
    order = shop.store.place_order([("MUG-GREEN", 2, "12.90"), ("MUG-BLUE", 1, "14.90")])
    template = shopify_delivery(
        "orders/create", order_payload(order), secret=SECRET, shop_domain=shop.shop_domain
    )
    requests = []
    for n in range(count):
        headers = {**template.headers, "X-Shopify-Event-Id": f"{run}-{n}"}
        head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        requests.append(
            f"POST /webhooks/shopify HTTP/1.1\r\nHost: bench\r\n{head}"
            f"Content-Length: {len(template.body)}\r\n\r\n".encode()
            + template.body
        )
    return requests


async def _connection(
    port: int,
    requests: list[bytes],
    next_index: Iterator[int],
    deadline: float,
    *,
    latencies: list[float],
    statuses: Counter[bytes],
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        for index in next_index:
            if index >= len(requests) or time.perf_counter() > deadline:
                return
            began = time.perf_counter()
            writer.write(requests[index])
            head = await reader.readuntil(b"\r\n\r\n")
            length = next(
                int(line.split(b":", 1)[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            )
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - began)
            statuses[head[9:12]] += 1
    finally:
        writer.close()


async def _load(
    port: int, requests: list[bytes], duration_s: float, connections: int
) -> tuple[float, list[float], Counter[bytes]]:
    latencies: list[float] = []
    statuses: Counter[bytes] = Counter()
    next_index = itertools.count()
    began = time.perf_counter()
    await asyncio.gather(
        *(
            _connection(
                port,
                requests,
                next_index,
                began + duration_s,
                latencies=latencies,
                statuses=statuses,
            )
            for _ in range(connections)
        )
    )
    return time.perf_counter() - began, latencies, statuses


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` and its children so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    own = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return own + sum(_cpu_seconds(int(child)) for child in children)


@contextmanager
def _receiver(bootstrap: str, workers: int) -> Iterator[tuple[int, int]]:
    port = free_port_block(1)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("RETAILSYNC_")},
        "RETAILSYNC_BOOTSTRAP_SERVERS": bootstrap,
        "RETAILSYNC_SHOPIFY_WEBHOOK_SECRETS": SECRET,
        "RETAILSYNC_WEBHOOK_PORT": str(port),
        "RETAILSYNC_TOPOLOGY_FILE": str(_TOPOLOGY.resolve()),
    }
    command = [sys.executable, "-m", "commands", "serve", "webhooks", "--workers", str(workers)]
    with (
        tempfile.TemporaryFile() as log,
        subprocess.Popen(command, env=env, stdout=log, stderr=log) as process,
    ):
        try:
            _wait_ready(f"http://127.0.0.1:{port}", process, workers)
            yield port, process.pid
        finally:
            process.terminate()
            process.wait(60)


def _wait_ready(url: str, process: subprocess.Popen[bytes], workers: int) -> None:
    """Until the receiver is ready, and with several workers, every one of them answers."""
    expected = [f'worker="{index}"' for index in range(workers)] if workers > 1 else []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"{url}/readyz", timeout=5).status_code == 200:
                metrics = httpx.get(f"{url}/metrics", timeout=5).text
                if all(worker in metrics for worker in expected):
                    return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError("the receiver did not become ready")


def receiver_figures(bootstrap: str) -> None:
    for workers in WORKERS:
        with _receiver(bootstrap, workers) as (port, pid):
            uvloop.run(_load(port, _requests(WARM_UP, "warm"), 30.0, CONNECTIONS[0]))
            # Latency at light load once; the scaling from 1 to N workers saturated.
            for connections in CONNECTIONS if workers == 1 else CONNECTIONS[:1]:
                run = f"run-{workers}-{connections}"
                requests = _requests(REQUESTS, run)
                cpu_before = _cpu_seconds(pid)
                elapsed, latencies, statuses = uvloop.run(
                    _load(port, requests, DURATION_S, connections)
                )
                cpu = _cpu_seconds(pid) - cpu_before
                _report(workers, connections, elapsed, latencies, statuses)
                print(f"  receiver CPU {cpu / max(1, len(latencies)) * 1e6:.0f} us per request")


def _report(
    workers: int,
    connections: int,
    elapsed: float,
    latencies: list[float],
    statuses: Counter[bytes],
) -> None:
    ms = sorted(latency * 1000 for latency in latencies)
    p50 = statistics.median(ms)
    p99 = ms[int(len(ms) * 0.99) - 1]
    answered = ", ".join(f"{code.decode()}: {n}" for code, n in sorted(statuses.items()))
    print(
        f"receiver, {workers} worker(s): {len(ms)} requests in {elapsed:.2f} s over "
        f"{connections} connections "
        f"({answered})"
    )
    print(
        f"  {len(ms) / elapsed:,.0f} req/s   p50 {p50:.1f} ms   p99 {p99:.1f} ms   "
        f"max {ms[-1]:.1f} ms"
    )


def _burst() -> list[InventoryAdjusted]:
    example = next(e for e in example_events() if isinstance(e, InventoryAdjusted))
    shuffle = random.Random(1)
    slots = [sku for sku in range(SKUS) for _ in range(UPDATES)]
    shuffle.shuffle(slots)
    versions: Counter[int] = Counter()
    levels = []
    for sku in slots:
        versions[sku] += 1
        envelope = InventoryAdjusted.new_envelope(
            source=ODOO, source_ref=f"stock.quant/{sku}", occurred_at=AT,
            source_version=versions[sku],
        )  # fmt: skip
        on_hand = Decimal(versions[sku])
        levels.append(
            example.model_copy(
                update={
                    "envelope": envelope,
                    "sku": f"BENCH-{sku}",
                    "on_hand": on_hand,
                    "reserved": Decimal(0),
                    "available": on_hand,
                }
            )
        )
    return levels


def _committed(settings: Settings, group: str, topic: str, partitions: int) -> int:
    consumer = Consumer({"bootstrap.servers": settings.bootstrap_servers, "group.id": group})
    try:
        offsets = consumer.committed([TopicPartition(topic, p) for p in range(partitions)], 10)
    except KafkaException:  # the group's coordinator is not elected yet
        return 0
    finally:
        consumer.close()
    return sum(max(tp.offset, 0) for tp in offsets)


def coalescing_figures(settings: Settings, topology: Topology, serde: EventSerde) -> None:
    levels = _burst()
    with Publisher(settings, topology, serde) as publisher:
        for event in levels:
            publisher.publish(event)
    topic = topology.destination("inventory_adjusted").topic
    location = levels[0].location
    skus = [f"BENCH-{n}" for n in range(SKUS)]
    with (
        SandboxStorefront.running(locations=[location], skus=skus) as shop,
        StorefrontClient.from_settings(StorefrontSettings(**shop.settings())) as client,
    ):
        applier = InventoryApplier(client, shop.locations, {})
        service = ConsumerService("storefront-inventory")
        service.batch_handler("inventory_adjusted", target=TARGET, max_items=200)(applier.apply)
        runner = ServiceRunner(
            service, settings, topology, serde, options=RunnerOptions(commit_interval_ms=200)
        )
        thread = threading.Thread(target=runner.run, name="storefront-inventory")
        began = time.perf_counter()
        thread.start()
        try:
            partitions = topology.topic(topic).partitions
            deadline = time.monotonic() + 120
            while _committed(settings, service.name, topic, partitions) < len(levels):
                if time.monotonic() > deadline or not thread.is_alive():
                    break
                time.sleep(0.2)
            elapsed = time.perf_counter() - began
        finally:
            runner.stop()
            thread.join(60)
        at = shop.locations[location]
        landed = all(shop.store.available(sku, at) == UPDATES for sku in skus)
    counts = applier.counts
    print(
        f"inventory burst: {len(levels)} levels of {SKUS} SKUs in {elapsed:.2f} s; "
        f"{counts.sent} quantities sent in {counts.mutations} mutations "
        f"(coalescing {counts.received / max(1, counts.sent):.1f} : 1); "
        f"every SKU at its newest level: {landed}"
    )


def main() -> None:
    base = load_settings()
    topology = load_topology(_TOPOLOGY)
    serde = EventSerde(SingleObjectSerde(load_catalogue(default_schemas_dir(_TOPOLOGY))))
    with tempfile.TemporaryDirectory(prefix="retailsync-bench-") as scratch:
        cluster = LocalCluster(Path(scratch), cache_dir=base.cache_dir, port=free_port_block(2))
        with cluster.running():
            settings = load_settings(bootstrap_servers=cluster.bootstrap_servers)
            admin = AdminClient(settings.admin_config())
            apply_plan(
                admin, topology, make_plan(topology, read_cluster(admin, topology.namespace))
            )
            print(
                f"Kafka at {cluster.bootstrap_servers} (one node, acks=all); {os.cpu_count()} CPUs"
            )
            receiver_figures(cluster.bootstrap_servers)
            coalescing_figures(settings, topology, serde)


if __name__ == "__main__":
    main()
