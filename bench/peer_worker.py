"""One system of ``bench/peers.py``, run as its own process: ``python bench/peer_worker.py SPEC``.

SPEC is a JSON object (see ``bench/peers.py``). The worker consumes (or produces) the
benchmark's records and prints one JSON line with its figures. It imports only the standard
library at the top, so that the peers' own virtual environment (which has no retailsync) can
run it; each system imports what it needs.

Consumers time from the first record handled to the last one, so that joining the group,
which differs between clients, is left out; offsets are at-least-once in every system
(stored or acknowledged after the handler returned).
"""

# Each system imports its own libraries: the peers' environment has no retailsync, and
# retailsync's has no peers.
# ruff: noqa: PLC0415

from __future__ import annotations

import asyncio
import json
import sys
import threading
import time
from collections.abc import Callable, Sequence
from io import BytesIO
from pathlib import Path
from typing import Any

SENT_HEADER = "bench.sent_us"


class Tally:
    """Counts handled records and, in latency mode, how long each took from its producer."""

    def __init__(self, expected: int, *, latency: bool, max_seconds: float) -> None:
        self.expected = expected
        self.max_seconds = max_seconds
        self.count = 0
        self.began = 0.0
        self.ended = 0.0
        self.cpu_began = 0.0
        self.cpu_ended = 0.0
        self.latency = latency
        self.latencies_us: list[int] = []

    def add(self, handled: int, headers: Any = None) -> bool:
        """Record ``handled`` records; True once every expected record was handled."""
        if not self.began:
            self.began = time.perf_counter()
            self.cpu_began = time.process_time()
        if self.latency and headers is not None:
            self.latencies_us.append(time.time_ns() // 1000 - _sent_us(headers))
        self.count += handled
        if self.ended:
            return True
        now = time.perf_counter()
        # A slow system is measured on what it handled in max_seconds, not waited for.
        if self.count >= self.expected or now - self.began > self.max_seconds:
            self.ended = now
            self.cpu_ended = time.process_time()
        return bool(self.ended)

    def report(self) -> dict[str, Any]:
        seconds = max(self.ended - self.began, 1e-9)
        figures: dict[str, Any] = {
            "events": self.count,
            "seconds": seconds,
            "rate": self.count / seconds,
            # CPU time of the whole process (every thread) per event: on a shared machine
            # less at the mercy of the neighbours than the rate.
            "cpu_us": (self.cpu_ended - self.cpu_began) / max(self.count, 1) * 1e6,
            "rss_mb": _peak_rss_mb(),
        }
        if self.latency:
            figures["latencies_us"] = self.latencies_us
        return figures


def _peak_rss_mb() -> float:
    """This process's peak RSS. Not getrusage's ru_maxrss: Linux carries that over from
    the parent through fork and exec, so every worker would report the runner's size."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _sent_us(headers: Any) -> int:
    for name, value in headers:
        if name == SENT_HEADER:
            return int(value)
    raise LookupError(f"no {SENT_HEADER} header")


def _reader(spec: dict[str, Any]) -> Callable[[bytes], Any]:
    """fastavro's decode of one single-object record, the floor every system pays."""
    from fastavro import parse_schema, schemaless_reader

    schema = parse_schema(json.loads(open(spec["schema_file"]).read()))  # noqa: SIM115
    start = spec["header_size"]

    def read(value: bytes) -> Any:
        buffer = BytesIO(value)
        buffer.seek(start)
        return schemaless_reader(buffer, schema, None)

    return read


def _ready() -> None:
    print("ready", flush=True)


# --- raw confluent-kafka -------------------------------------------------------------------


def raw(spec: dict[str, Any], tally: Tally, *, models: bool = False) -> None:
    """consume(500) + fastavro decode + store_offsets: the floor the others are measured on."""
    from confluent_kafka import Consumer

    read = _reader(spec)
    build: Callable[[Any], Any] = lambda datum: datum  # noqa: E731
    if models:
        from retailsync.events import EVENT_MODELS

        model = EVENT_MODELS[spec["event_type"]]
        build = model.model_validate
    consumer = Consumer(
        {
            "bootstrap.servers": spec["bootstrap"],
            "group.id": spec["group"],
            "auto.offset.reset": "earliest",
            "enable.auto.offset.store": False,
            "partition.assignment.strategy": "cooperative-sticky",
        }
    )
    consumer.subscribe([spec["topic"]], on_assign=lambda *_: _ready())
    done = False
    try:
        while not done:
            messages = consumer.consume(500, 0 if spec.get("latency") else spec["poll_timeout_s"])
            if not messages and spec.get("latency"):
                # For latency, wait for the first record only, as retailsync's runner does.
                first = consumer.poll(spec["poll_timeout_s"])
                messages = [] if first is None else [first, *consumer.consume(499, 0)]
            for message in messages:
                if message.error() is not None:
                    continue
                build(read(message.value()))
                done = tally.add(1, message.headers())
                consumer.store_offsets(message)
        consumer.commit(asynchronous=False)
    finally:
        consumer.close()


def raw_models(spec: dict[str, Any], tally: Tally) -> None:
    raw(spec, tally, models=True)


# --- Quix Streams --------------------------------------------------------------------------


def quix(spec: dict[str, Any], tally: Tally) -> None:
    from quixstreams import Application
    from quixstreams.models.serializers import Deserializer

    read = _reader(spec)

    class SingleObjectAvro(Deserializer):  # type: ignore[misc]
        def __call__(self, value: bytes, ctx: Any) -> Any:
            return read(value)

    app = Application(
        broker_address=spec["bootstrap"],
        consumer_group=spec["group"],
        auto_offset_reset="earliest",
        processing_guarantee="at-least-once",
        state_dir=spec["scratch"] + "/quix-state",
        loglevel="WARNING",
    )
    topic = app.topic(
        spec["topic"], value_deserializer=SingleObjectAvro(), key_deserializer="bytes"
    )
    sdf = app.dataframe(topic)

    def handle(_value: Any) -> None:
        if tally.add(1):
            app.stop()

    sdf.update(handle)
    _ready()
    app.run()


# --- FastStream ----------------------------------------------------------------------------


def faststream_confluent(spec: dict[str, Any], tally: Tally) -> None:
    from faststream.confluent import KafkaBroker

    asyncio.run(_faststream(KafkaBroker(spec["bootstrap"]), spec, tally))


def faststream_aiokafka(spec: dict[str, Any], tally: Tally) -> None:
    from faststream.kafka import KafkaBroker

    asyncio.run(_faststream(KafkaBroker(spec["bootstrap"]), spec, tally))


async def _faststream(broker: Any, spec: dict[str, Any], tally: Tally) -> None:
    from faststream import AckPolicy

    read = _reader(spec)
    done = asyncio.Event()

    async def decoder(message: Any) -> Any:
        return read(message.body)

    @broker.subscriber(  # type: ignore[untyped-decorator]
        spec["topic"],
        group_id=spec["group"],
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.ACK,
        decoder=decoder,
    )
    async def handle(_event: Any) -> None:
        if tally.add(1):
            done.set()

    async with broker:
        await broker.start()
        _ready()
        await done.wait()


# --- retailsync ----------------------------------------------------------------------------


def retailsync_handler(spec: dict[str, Any], tally: Tally) -> None:
    _retailsync(spec, tally, batch=False)


def retailsync_batch(spec: dict[str, Any], tally: Tally) -> None:
    _retailsync(spec, tally, batch=True)


def _retailsync(spec: dict[str, Any], tally: Tally, *, batch: bool) -> None:
    from retailsync import telemetry
    from retailsync.consumer import ConsumerService, HandlerContext, Item, ServiceRunner
    from retailsync.events import load_catalogue
    from retailsync.serde import EventSerde, SingleObjectSerde
    from retailsync.settings import load_settings
    from retailsync.topology import load_topology

    topology = load_topology(Path(spec["topology_file"]))
    settings = load_settings(bootstrap_servers=spec["bootstrap"])
    serde = EventSerde(SingleObjectSerde(load_catalogue(Path(spec["schemas_dir"]))))
    # As `retailsync consume` runs it: metrics and the producers' trace context per record
    # (no span export, which is the deployment's choice).
    telemetry.configure(spec["group"])
    service = ConsumerService(spec["group"])
    runner: ServiceRunner | None = None

    def handle(_event: Any, context: HandlerContext) -> None:
        if tally.add(1, context.headers) and runner is not None:
            runner.stop()

    def handle_batch(items: Sequence[Item]) -> None:
        if tally.add(len(items), items[-1].context.headers) and runner is not None:
            runner.stop()

    if batch:
        service.batch_handler(spec["event_type"], max_items=500)(handle_batch)
    else:
        service.handler(spec["event_type"])(handle)
    runner = ServiceRunner(service, settings, topology, serde)

    def announce() -> None:
        while not runner.assigned and tally.count == 0:
            time.sleep(0.01)
        _ready()

    threading.Thread(target=announce, daemon=True).start()
    runner.run()


# --- publishing ----------------------------------------------------------------------------


def _publish_events(spec: dict[str, Any]) -> list[Any]:
    from bench.peers import events

    return events(spec["count"], spec["distinct"])


def publish_raw(spec: dict[str, Any], tally: Tally, *, encode: bool = False) -> None:
    """confluent-kafka produce with the publisher's headers; pre-encoded bytes or a plain
    fastavro encode of the event's dict in the loop."""
    from confluent_kafka import Producer
    from fastavro import parse_schema, schemaless_writer

    from retailsync.events import load_catalogue
    from retailsync.serde import EventSerde, SingleObjectSerde

    catalogue = load_catalogue(Path(spec["schemas_dir"]))
    serde = EventSerde(SingleObjectSerde(catalogue))
    latest = catalogue.latest(spec["event_type"])
    header = b"\xc3\x01" + latest.fingerprint
    schema = parse_schema(latest.parsed)
    models = _publish_events(spec)
    work = [
        (
            model.order_ref.encode(),
            model.model_dump() if encode else serde.encode(model),
            [
                ("event_type", spec["event_type"].encode()),
                ("event_id", str(model.envelope.event_id).encode()),
                ("content-type", serde.content_type.encode()),
            ],
        )
        for model in models
    ]
    producer = Producer(
        {
            "bootstrap.servers": spec["bootstrap"],
            "acks": "all",
            "enable.idempotence": True,
            "partitioner": "murmur2_random",
        }
    )
    topic = spec["topic"]
    tally.add(0)
    for key, datum, headers in work:
        value = datum
        if encode:
            buffer = BytesIO()
            buffer.write(header)
            schemaless_writer(buffer, schema, datum)
            value = buffer.getvalue()
        while True:
            try:
                producer.produce(topic, value, key, headers=headers)
                break
            except BufferError:
                producer.poll(0.05)
        producer.poll(0)
    producer.flush(60)
    tally.add(len(work))


def publish_raw_encode(spec: dict[str, Any], tally: Tally) -> None:
    publish_raw(spec, tally, encode=True)


def publish_retailsync(spec: dict[str, Any], tally: Tally) -> None:
    """retailsync's Publisher: topic and key from the topology, encode, produce, flush."""
    from retailsync import telemetry
    from retailsync.events import load_catalogue
    from retailsync.publisher import Publisher
    from retailsync.serde import EventSerde, SingleObjectSerde
    from retailsync.settings import load_settings
    from retailsync.topology import load_topology

    topology = load_topology(Path(spec["topology_file"]))
    settings = load_settings(bootstrap_servers=spec["bootstrap"])
    serde = EventSerde(SingleObjectSerde(load_catalogue(Path(spec["schemas_dir"]))))
    models = _publish_events(spec)
    telemetry.configure("bench-publisher")  # as the producers' commands run it
    with Publisher(settings, topology, serde) as publisher:
        tally.add(0)
        for model in models:
            publisher.publish(model)
    tally.add(len(models))


SYSTEMS: dict[str, Callable[[dict[str, Any], Tally], None]] = {
    "raw": raw,
    "raw-models": raw_models,
    "quix": quix,
    "faststream-confluent": faststream_confluent,
    "faststream-aiokafka": faststream_aiokafka,
    "retailsync-handler": retailsync_handler,
    "retailsync-batch": retailsync_batch,
    "publish-raw": publish_raw,
    "publish-raw-encode": publish_raw_encode,
    "publish-retailsync": publish_retailsync,
}


def main() -> None:
    spec = json.loads(sys.argv[1])
    tally = Tally(
        spec["count"], latency=spec.get("latency", False), max_seconds=spec["max_seconds"]
    )
    SYSTEMS[spec["system"]](spec, tally)
    print(json.dumps(tally.report()), flush=True)


if __name__ == "__main__":
    main()
