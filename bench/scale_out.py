"""``python -m bench.scale_out``: one consumer group scaled out on Kafka itself.

On a broker of its own, EVENTS order_created events on a 12-partition topic are read by 1,
2 and 3 instances of one ``@batch_handler`` service (each its own process, a fresh group per
step): aggregate events/s from the first record handled to the last. Then the rebalance
pause: one instance reads a backlog, a second joins, later one leaves (SIGTERM); the
longest gap in the group's handling after each is the pause. Nothing lost: the group's
committed offsets must add up to every event (at-least-once: re-deliveries are counted).

Run: python -m bench.scale_out [EVENTS, default 60000]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from confluent_kafka import Consumer, TopicPartition

from bench.peers import Bench
from retailsync import telemetry
from retailsync.broker import LocalCluster, free_port_block
from retailsync.consumer import ConsumerService, Item, ServiceRunner
from retailsync.events import load_catalogue
from retailsync.serde import EventSerde, SingleObjectSerde
from retailsync.settings import load_settings
from retailsync.topology import load_topology

PARTITIONS = 12
IDLE_S = 5.0  # an instance stops after this long without a record
STARTUP_S = 60.0  # ... or this long more before its first
_ROOT = Path(__file__).resolve().parent.parent


def worker(spec: dict[str, Any]) -> None:
    """One instance: handle until idle (or SIGTERM), then print when each batch was handled."""
    topology = load_topology(Path(spec["topology_file"]))
    settings = load_settings(bootstrap_servers=spec["bootstrap"])
    serde = EventSerde(SingleObjectSerde(load_catalogue(Path(spec["schemas_dir"]))))
    telemetry.configure(spec["group"])  # as `retailsync consume` runs an instance
    service = ConsumerService(spec["group"])
    batches: list[tuple[float, int]] = []

    def handle(items: Sequence[Item]) -> None:
        batches.append((time.time(), len(items)))

    service.batch_handler("order_created", max_items=500)(handle)
    runner = ServiceRunner(service, settings, topology, serde)
    # A SIGTERM that comes before the runner handles its own (a slow start) stops it all the
    # same: the instance then prints that it handled nothing, rather than dying silent.
    signal.signal(signal.SIGTERM, lambda *_: runner.stop())

    def stop_when_idle() -> None:
        started = time.time()
        while True:
            time.sleep(0.5)
            # Joining may take a while on a busy machine; idleness counts after a record.
            last = batches[-1][0] if batches else started + STARTUP_S
            if time.time() - last > IDLE_S:
                runner.stop()
                return

    threading.Thread(target=stop_when_idle, daemon=True).start()
    runner.run()  # SIGTERM stops it too: it commits and leaves the group
    print(json.dumps(batches), flush=True)


class ScaleOut:
    def __init__(self, bench: Bench) -> None:
        self.bench = bench

    def start(self, group: str) -> subprocess.Popen[str]:
        spec = {**self.bench.spec("scale", group=group), "topic": "bench.orders"}
        env = {k: v for k, v in os.environ.items() if not k.startswith("RETAILSYNC_")}
        return subprocess.Popen(
            [sys.executable, "-m", "bench.scale_out", "--worker", json.dumps(spec)],
            cwd=_ROOT, env=env, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip

    def wait_committed(self, group: str, at_least: int) -> None:
        deadline = time.monotonic() + 300
        while self.committed(group) < at_least and time.monotonic() < deadline:
            time.sleep(0.2)

    def committed(self, group: str) -> int:
        consumer = Consumer({"bootstrap.servers": self.bench.bootstrap, "group.id": group})
        try:
            positions = consumer.committed(
                [TopicPartition("bench.orders", p) for p in range(PARTITIONS)], 30
            )
        finally:
            consumer.close()
        return sum(max(tp.offset, 0) for tp in positions)


def _batches(process: subprocess.Popen[str]) -> list[tuple[float, int]]:
    """When the instance handled each batch, and how many records it had."""
    out, _ = process.communicate(timeout=600)
    return [(at, n) for at, n in json.loads(out.strip().splitlines()[-1])]


def _longest_gap_after(moment: float, handled: list[tuple[float, int]], window_s: float) -> float:
    times = sorted(at for at, _ in handled if moment <= at <= moment + window_s)
    points = [moment, *times]
    return max((b - a for a, b in itertools.pairwise(points)), default=window_s)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.scale_out", description=__doc__)
    parser.add_argument("events", nargs="?", type=int, default=60_000)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(json.loads(args.worker))
        return
    groups = ["scale-1", "scale-2", "scale-3", "scale-rebalance"]
    options = argparse.Namespace(
        events=args.events, rounds=0, no_peers=True, max_seconds=600.0, latency_seconds=1.0
    )
    with tempfile.TemporaryDirectory(prefix="retailsync-scale-") as scratch:
        cluster = LocalCluster(
            Path(scratch) / "kafka", cache_dir=load_settings().cache_dir, port=free_port_block(2)
        )
        with cluster.running():
            bench = Bench(
                cluster.bootstrap_servers, Path(scratch), options,
                groups=groups, partitions=PARTITIONS,
            )  # fmt: skip
            scale = ScaleOut(bench)
            bench.publish_backlog()
            print(
                f"{args.events:,} events on {PARTITIONS} partitions; {os.cpu_count()} CPUs, "
                f"load average {os.getloadavg()[0]:.1f}"
            )
            for instances in (1, 2, 3):
                group = f"scale-{instances}"
                processes = [scale.start(group) for _ in range(instances)]
                handled = [batch for p in processes for batch in _batches(p)]
                first, last = min(at for at, _ in handled), max(at for at, _ in handled)
                count = sum(n for _, n in handled)
                committed = scale.committed(group)
                print(
                    f"  {instances} instance(s): {args.events / (last - first):>8,.0f} events/s "
                    f"aggregate; handled {count:,} ({count - args.events:,} again), "
                    f"committed {committed:,} of {args.events:,}"
                )
            first_instance = scale.start("scale-rebalance")
            scale.wait_committed("scale-rebalance", args.events // 5)
            joined_at = time.time()
            second = scale.start("scale-rebalance")
            scale.wait_committed("scale-rebalance", args.events // 2)
            left_at = time.time()
            second.send_signal(signal.SIGTERM)
            handled = _batches(second) + _batches(first_instance)
            committed = scale.committed("scale-rebalance")
            print(
                f"  rebalance pause: longest gap {_longest_gap_after(joined_at, handled, 5):.2f} s "
                f"after a join, {_longest_gap_after(left_at, handled, 5):.2f} s after a leave; "
                f"committed {committed:,} of {args.events:,}"
            )


if __name__ == "__main__":
    main()
