"""Serde throughput: encode + decode events/s for the whole catalogue, next to raw fastavro
(``schemaless_writer`` + ``schemaless_reader`` with the same parsed schemas) on the same
records in the same run. The goal is serde >= 0.9x raw. Two lines for context: the typed
layer (pydantic models on top), and confluent-kafka's own Avro serializer pair, which
retailsync's Confluent framing replaces on the hot path.

Run: python -m bench.serde [records per event type, default 1000]
"""

from __future__ import annotations

import gc
import sys
import time
from collections.abc import Callable
from io import BytesIO
from pathlib import Path
from typing import Any

from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext
from fastavro import schemaless_reader, schemaless_writer

from retailsync.events import Catalogue, Event, load_catalogue
from retailsync.events.examples import example_events
from retailsync.serde import EventSerde, RegistrySerde, Serde, SingleObjectSerde, registry_client

ROUNDS = 7
TOPIC = "bench"
_ROOT = Path(__file__).resolve().parent.parent


def _raw(schemas: dict[str, Any], records: list[dict[str, Any]]) -> Callable[[], None]:
    pairs = [(schemas[record["envelope"]["event_type"]], record) for record in records]

    def run() -> None:
        for schema, record in pairs:
            buffer = BytesIO()
            schemaless_writer(buffer, schema, record)
            schemaless_reader(BytesIO(buffer.getvalue()), schema, None)

    return run


def _serde(serde: Serde, records: list[dict[str, Any]]) -> Callable[[], None]:
    def run() -> None:
        for offset, record in enumerate(records):
            value = serde.encode(record)
            serde.decode(value, topic=TOPIC, partition=0, offset=offset, key=None)

    return run


def _confluent(catalogue: Catalogue, records: list[dict[str, Any]]) -> Callable[[], None]:
    """confluent-kafka's own AvroSerializer/AvroDeserializer, one pair per event type."""
    client = registry_client("mock://bench-confluent")
    context = SerializationContext(TOPIC, MessageField.VALUE)
    pairs = {
        name: (AvroSerializer(client, catalogue.latest(name).to_json()), AvroDeserializer(client))
        for name in catalogue.event_types
    }
    work = [(*pairs[record["envelope"]["event_type"]], record) for record in records]

    def run() -> None:
        for serializer, deserializer, record in work:
            deserializer(serializer(record, context), context)

    return run


def _typed(serde: EventSerde, events: list[Event]) -> Callable[[], None]:
    def run() -> None:
        for offset, event in enumerate(events):
            value = serde.encode(event)
            serde.decode(value, topic=TOPIC, partition=0, offset=offset, key=None)

    return run


def _best_seconds(runs: dict[str, Callable[[], None]]) -> dict[str, float]:
    """Best of ``ROUNDS`` for each, interleaved so that drift on the machine hits all alike."""
    best = dict.fromkeys(runs, float("inf"))
    for _ in range(ROUNDS):
        for name, run in runs.items():
            gc.collect()
            gc.disable()
            began = time.perf_counter()
            run()
            best[name] = min(best[name], time.perf_counter() - began)
            gc.enable()
    return best


def main() -> None:
    per_type = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    catalogue = load_catalogue(_ROOT / "schemas")
    events = [event for event in example_events() for _ in range(per_type)]
    records = [event.model_dump() for event in events]
    single_object = SingleObjectSerde(catalogue)
    topics = dict.fromkeys(catalogue.event_types, TOPIC)
    registry = RegistrySerde(catalogue, registry_client("mock://bench"), topics, auto_register=True)
    schemas = {name: catalogue.latest(name).parsed for name in catalogue.event_types}
    runs = {
        "raw fastavro": _raw(schemas, records),
        "serde, single-object": _serde(single_object, records),
        "serde, Confluent (mock registry)": _serde(registry, records),
        "EventSerde (models), single-object": _typed(EventSerde(single_object), events),
        "confluent-kafka AvroSerializer": _confluent(catalogue, records),
    }
    for run in runs.values():  # warm up: registry lookups, caches
        run()
    seconds = _best_seconds(runs)
    raw = len(records) / seconds["raw fastavro"]
    print(
        f"serde: encode + decode, {len(catalogue.event_types)} event types x {per_type} records, "
        f"best of {ROUNDS} rounds"
    )
    for name, took in seconds.items():
        rate = len(records) / took
        print(f"  {name:<36} {rate:>10,.0f} events/s  {rate / raw:.2f}x raw fastavro")


if __name__ == "__main__":
    main()
