"""``python -m bench.peers``: retailsync's consumer runtime and publisher next to the Python
clients a user would pick instead, on one real broker, in one run.

Workload: EVENTS order_created events (Avro single-object, written by retailsync's Publisher)
on a 6-partition topic; every system reads all of them with a no-op handler and
at-least-once offsets, each as its own process with a fresh consumer group, interleaved over
ROUNDS rounds (the order rotates each round), so that drift on a shared machine hits all
alike. Figures: min and median events/s, the median's ratio to the raw floor
(confluent-kafka consume(500) + fastavro decode + store_offsets), the median CPU time per
event (the whole process, every thread) and its ratio to the floor's (on a shared machine
the steadier figure), and peak RSS. retailsync's consumer and publisher run with telemetry
set up as its commands set it up (``retailsync consume``: metrics, and each record's trace
context for the handler; no span export, which is a deployment's choice).

The peers (Quix Streams, FastStream on confluent-kafka and on aiokafka) run in a virtual
environment of their own, ``.bench-venv/``, created here on first use from PyPI: they are
never dependencies of retailsync (Quix Streams pins an older confluent-kafka).

Also: the publish path (retailsync ``Publisher`` vs raw produce, acks=all, idempotent) and the
produce -> handler latency of ``@handler`` at a steady 2,000 and 5,000 events/s with the
default runner options, next to a raw loop's (p50/p99/p999; the producer lingers 0 ms, so
the figure is the broker's and the consumer's).

Run: python -m bench.peers [--events 200000] [--rounds 3] [--json out.json] [--no-peers]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient

from bench.peer_worker import SENT_HEADER
from retailsync.broker import LocalCluster, free_port_block
from retailsync.events import OrderCreated, load_catalogue
from retailsync.events.examples import AT, SHOP, example_events
from retailsync.publisher import Publisher
from retailsync.serde import EventSerde, SingleObjectSerde
from retailsync.settings import load_settings
from retailsync.topology import parse_topology
from retailsync.topology.apply import apply_plan
from retailsync.topology.plan import make_plan, read_cluster

_ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = _ROOT / "schemas"
PEERS_VENV = _ROOT / ".bench-venv"
PEERS_REQUIREMENTS = ("quixstreams", "faststream[confluent,kafka]", "fastavro")
EVENT_TYPE = "order_created"
TOPIC = "bench.orders"
PUBLISH_TOPIC = "bench.publish"
DISTINCT = 1_000  # distinct orders (keys), cycled
RAW = "raw"
LATENCY_RATES = (2_000, 5_000)
# The raw loop (waiting only for the first record, as the runner does) is the floor: on a
# busy machine, latency is mostly waiting for a CPU, and the floor shows how much.
LATENCY_SYSTEMS = {RAW: "raw confluent-kafka", "retailsync-handler": "retailsync @handler"}
CONSUMERS = {
    RAW: "raw confluent-kafka consume(500) + fastavro + store_offsets",
    "raw-models": "raw + pydantic models (model_validate)",
    "quix": "Quix Streams (Application, Avro decode)",
    "faststream-confluent": "FastStream, confluent backend",
    "faststream-aiokafka": "FastStream, aiokafka backend",
    "retailsync-handler": "retailsync @handler",
    "retailsync-batch": "retailsync @batch_handler",
}
PEERS = frozenset({"quix", "faststream-confluent", "faststream-aiokafka"})
PUBLISHERS = {
    "publish-raw": "raw produce of pre-encoded bytes",
    "publish-raw-encode": "raw produce + plain fastavro encode in the loop",
    "publish-retailsync": "retailsync Publisher (key, encode, produce)",
}


def events(count: int, distinct: int = DISTINCT) -> list[OrderCreated]:
    """``count`` order_created events: ``distinct`` orders, cycled."""
    example = next(e for e in example_events() if isinstance(e, OrderCreated))
    unique = []
    for n in range(distinct):
        ref = f"shop-eu:{n}"
        envelope = OrderCreated.new_envelope(
            source=SHOP, source_ref=f"order/{n}", occurred_at=AT, source_version=1,
            channel="shop-eu",
        )  # fmt: skip
        unique.append(example.model_copy(update={"envelope": envelope, "order_ref": ref}))
    return [unique[n % distinct] for n in range(count)]


def _latency_topic(system: str, rate: int) -> str:
    return f"bench.latency.{system}.{rate}"


def _topology_text(
    groups: list[tuple[str, str]], partitions: int = 6, event_topic: str = TOPIC
) -> str:
    """The bench's topology; ``event_topic`` is where it sends order_created (a consumer
    dead-letters an event on a topic its type is not sent to)."""
    consumers = "".join(
        f"  {group}:\n    subscriptions: [{topic}]\n"
        "    retry: {in_process_attempts: 3, delays: [10s, 1m], ordering: key}\n"
        for group, topic in groups
    )
    latency_topics = "".join(
        f"  {_latency_topic(system, rate)}: {{}}\n"
        for system in LATENCY_SYSTEMS
        for rate in LATENCY_RATES
    )
    return (
        f"namespace: bench\ndefaults: {{partitions: {partitions}}}\n"
        f"topics:\n  {TOPIC}: {{}}\n  {PUBLISH_TOPIC}: {{}}\n{latency_topics}"
        f'events:\n  {EVENT_TYPE}: {{topic: {event_topic}, key: "{{order_ref}}"}}\n'
        f"consumers:\n{consumers}"
    )


def _peers_python() -> Path:
    """The peers' interpreter, creating their virtual environment on first use."""
    python = PEERS_VENV / "bin" / "python"
    stamp = PEERS_VENV / ".installed"
    wanted = "\n".join(PEERS_REQUIREMENTS)
    if stamp.exists() and stamp.read_text() == wanted:
        return python
    print(f"creating {PEERS_VENV.name}/ for the peers: {', '.join(PEERS_REQUIREMENTS)}")
    subprocess.run(["python3.11", "-m", "venv", str(PEERS_VENV)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--upgrade", "pip"], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "-q", *PEERS_REQUIREMENTS], check=True)
    stamp.write_text(wanted)
    return python


class Bench:
    """One broker, its topology, and the processes that run each system against it."""

    def __init__(
        self,
        bootstrap: str,
        scratch: Path,
        args: argparse.Namespace,
        *,
        groups: Sequence[str] = (),
        partitions: int = 6,
    ) -> None:
        self.bootstrap = bootstrap
        self.scratch = scratch
        self.args = args
        self.peers_python = None if args.no_peers else _peers_python()
        self.catalogue = load_catalogue(SCHEMAS)
        self.serde = EventSerde(SingleObjectSerde(self.catalogue))
        self.schema_file = scratch / "order_created.avsc"
        self.schema_file.write_text(self.catalogue.latest(EVENT_TYPE).to_json())
        self.groups = [
            (f"bench-{system}-r{n}", TOPIC)
            for system in ("retailsync-handler", "retailsync-batch")
            for n in range(args.rounds)
        ] + [
            (f"bench-latency-{rate}", _latency_topic("retailsync-handler", rate))
            for rate in LATENCY_RATES
        ]
        self.topology_file = scratch / "topology.yaml"
        self.groups += [(group, TOPIC) for group in groups]
        self.partitions = partitions
        self.topology_file.write_text(_topology_text(self.groups, partitions))
        self.topology = parse_topology(self.topology_file.read_text(), source="bench")
        self.settings = load_settings(bootstrap_servers=bootstrap)
        admin = AdminClient(self.settings.admin_config())
        apply_plan(admin, self.topology, make_plan(self.topology, read_cluster(admin, "bench")))

    def spec(self, system: str, **extra: Any) -> dict[str, Any]:
        return {
            "system": system,
            "bootstrap": self.bootstrap,
            "topic": TOPIC,
            "count": self.args.events,
            "distinct": DISTINCT,
            "event_type": EVENT_TYPE,
            "schema_file": str(self.schema_file),
            "schemas_dir": str(SCHEMAS),
            "topology_file": str(self.topology_file),
            "header_size": 10,
            "poll_timeout_s": 0.1,
            "scratch": str(self.scratch),
            "max_seconds": self.args.max_seconds,
            **extra,
        }

    @contextmanager
    def worker(self, spec: dict[str, Any]) -> Iterator[subprocess.Popen[str]]:
        python = self.peers_python if spec["system"] in PEERS else Path(sys.executable)
        env = {k: v for k, v in os.environ.items() if not k.startswith("RETAILSYNC_")}
        with subprocess.Popen(
            [str(python), "-m", "bench.peer_worker", json.dumps(spec)],
            cwd=_ROOT, env=env, stdout=subprocess.PIPE, text=True,
        ) as process:  # fmt: skip
            try:
                yield process
            finally:
                if process.poll() is None:
                    process.kill()

    def run(self, spec: dict[str, Any], timeout_s: float = 600) -> dict[str, Any]:
        with self.worker(spec) as process:
            out, _ = process.communicate(timeout=timeout_s)
        if process.returncode != 0:
            raise RuntimeError(f"{spec['system']} exited with {process.returncode}")
        return dict(json.loads(out.strip().splitlines()[-1]))

    def publish_backlog(self) -> float:
        backlog = events(self.args.events)
        began = time.perf_counter()
        with Publisher(self.settings, self.topology, self.serde) as publisher:
            for event in backlog:
                publisher.publish(event)
        return time.perf_counter() - began

    def consumers(self) -> dict[str, list[dict[str, Any]]]:
        systems = [s for s in CONSUMERS if not (self.args.no_peers and s in PEERS)]
        results: dict[str, list[dict[str, Any]]] = {s: [] for s in systems}
        for n in range(self.args.rounds):
            order = systems[n % len(systems) :] + systems[: n % len(systems)]
            for system in order:
                group = f"bench-{system}-r{n}"
                result = self.run(self.spec(system, group=group))
                results[system].append(result)
                print(f"  round {n + 1} {system:<22} {result['rate']:>9,.0f} events/s", flush=True)
        return results

    def publishers(self) -> dict[str, list[dict[str, Any]]]:
        results: dict[str, list[dict[str, Any]]] = {s: [] for s in PUBLISHERS}
        systems = list(PUBLISHERS)
        for n in range(self.args.rounds):
            order = systems[n % len(systems) :] + systems[: n % len(systems)]
            for system in order:
                result = self.run(self.spec(system, topic=PUBLISH_TOPIC))
                results[system].append(result)
                print(f"  round {n + 1} {system:<22} {result['rate']:>9,.0f} events/s", flush=True)
        return results

    def latency(self, system: str, rate: int) -> dict[str, Any]:
        """``system``'s produce -> handler latency at a steady ``rate``; the first second is
        left out (fetch sessions warming up)."""
        total = int(rate * self.args.latency_seconds)
        topic = _latency_topic(system, rate)
        routed_here = self.scratch / f"topology-{topic}.yaml"
        routed_here.write_text(_topology_text(self.groups, self.partitions, event_topic=topic))
        spec = self.spec(
            system, group=f"bench-latency-{rate}" if system != RAW else f"raw-latency-{rate}",
            topic=topic, count=total, latency=True, topology_file=str(routed_here),
            max_seconds=self.args.latency_seconds + 60,
        )  # fmt: skip
        (event,) = events(1)
        value = self.serde.encode(event)
        headers = [
            ("event_type", EVENT_TYPE.encode()),
            ("event_id", str(event.envelope.event_id).encode()),
            ("content-type", self.serde.content_type.encode()),
        ]
        producer = Producer(
            {"bootstrap.servers": self.bootstrap, "acks": "all", "enable.idempotence": True,
             "linger.ms": 0}
        )  # fmt: skip
        with self.worker(spec) as process:
            assert process.stdout is not None
            while (line := process.stdout.readline()) and line.strip() != "ready":
                pass
            time.sleep(1.0)  # the assignment's fetch positions settle
            began = time.perf_counter()
            for n in range(total):
                delay = began + n / rate - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                sent = str(time.time_ns() // 1000).encode()
                producer.produce(
                    topic, value, f"k{n % DISTINCT}".encode(),
                    headers=[*headers, (SENT_HEADER, sent)],
                )  # fmt: skip
                producer.poll(0)
            producer.flush(30)
            out, _ = process.communicate(timeout=120)
        result = dict(json.loads(out.strip().splitlines()[-1]))
        measured = result.pop("latencies_us")
        # Leave out the first second (or quarter, of a short run).
        latencies = sorted(measured[min(rate, len(measured) // 4) :])
        result.update(
            system=system,
            rate_asked=rate,
            p50_ms=_quantile(latencies, 0.5) / 1000,
            p99_ms=_quantile(latencies, 0.99) / 1000,
            p999_ms=_quantile(latencies, 0.999) / 1000,
        )
        return result


def _quantile(ordered: list[int], q: float) -> float:
    return float(ordered[min(len(ordered) - 1, int(len(ordered) * q))])


def _summary(results: dict[str, list[dict[str, Any]]], floor: str) -> dict[str, dict[str, float]]:
    medians = {s: statistics.median(r["rate"] for r in rs) for s, rs in results.items()}
    cpu = {s: statistics.median(r["cpu_us"] for r in rs) for s, rs in results.items()}
    return {
        system: {
            "min": min(r["rate"] for r in rs),
            "median": medians[system],
            "ratio": medians[system] / medians[floor],
            "cpu_us": cpu[system],
            "cpu_ratio": cpu[floor] / cpu[system],
            "rss_mb": max(r["rss_mb"] for r in rs),
        }
        for system, rs in results.items()
    }


def _print_table(title: str, names: dict[str, str], summary: dict[str, dict[str, float]]) -> None:
    print(f"\n{title}")
    print(
        f"  {'system':<62} {'min/s':>8} {'median/s':>9} {'vs floor':>8} "
        f"{'CPU us/ev':>9} {'vs floor':>8} {'RSS MB':>6}"
    )
    for system, figures in summary.items():
        print(
            f"  {names[system]:<62} {figures['min']:>8,.0f} {figures['median']:>9,.0f} "
            f"{figures['ratio']:>7.2f}x {figures['cpu_us']:>9.1f} {figures['cpu_ratio']:>7.2f}x "
            f"{figures['rss_mb']:>6.0f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.peers", description=__doc__)
    parser.add_argument("--events", type=int, default=100_000, help="events per run")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds")
    parser.add_argument("--latency-seconds", type=float, default=10.0)
    parser.add_argument(
        "--max-seconds", type=float, default=60.0,
        help="a run ends after this long; its rate is over what it handled",
    )  # fmt: skip
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--no-peers", action="store_true", help="skip Quix and FastStream")
    args = parser.parse_args()
    base = load_settings()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="retailsync-peers-") as scratch:
        cluster = LocalCluster(
            Path(scratch) / "kafka", cache_dir=base.cache_dir, port=free_port_block(2)
        )
        with cluster.running():
            bench = Bench(cluster.bootstrap_servers, Path(scratch), args)
            print(
                f"Kafka at {cluster.bootstrap_servers} (one node); {os.cpu_count()} CPUs, "
                f"load average {load_before[0]:.1f}; {args.events:,} events, "
                f"{args.rounds} rounds"
            )
            took = bench.publish_backlog()
            print(f"backlog of {args.events:,} events published in {took:.1f} s")
            consumers = bench.consumers()
            publishers = bench.publishers()
            latencies = [
                bench.latency(system, rate) for rate in LATENCY_RATES for system in LATENCY_SYSTEMS
            ]
    consume_summary = _summary(consumers, RAW)
    publish_summary = _summary(publishers, "publish-raw-encode")
    _print_table(
        f"consume: {args.events:,} events, 6 partitions, no-op handler, at-least-once "
        f"(events/s over {args.rounds} interleaved rounds)",
        CONSUMERS,
        consume_summary,
    )
    _print_table(
        "publish: acks=all, idempotent (vs raw produce with a fastavro encode in the loop)",
        PUBLISHERS,
        publish_summary,
    )
    print("\nproduce -> handler latency (retailsync with its default runner options)")
    for result in latencies:
        print(
            f"  {LATENCY_SYSTEMS[result['system']]:<22} {result['rate_asked']:>5,} events/s: "
            f"p50 {result['p50_ms']:.1f} ms  "
            f"p99 {result['p99_ms']:.1f} ms  p999 {result['p999_ms']:.1f} ms  "
            f"RSS {result['rss_mb']:.0f} MB"
        )
    load_after = os.getloadavg()
    print(f"\nload average at the start {load_before[0]:.1f}, at the end {load_after[0]:.1f}")
    if args.json is not None:
        args.json.write_text(
            json.dumps(
                {
                    "events": args.events,
                    "rounds": args.rounds,
                    "load_average": [load_before[0], load_after[0]],
                    "consume": {"runs": consumers, "summary": consume_summary},
                    "publish": {"runs": publishers, "summary": publish_summary},
                    "latency": latencies,
                },
                indent=2,
            )
        )


if __name__ == "__main__":
    main()
