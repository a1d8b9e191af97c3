"""Publishing events: the topic and key come from topology.yaml, the bytes from the serde."""

from __future__ import annotations

from dataclasses import dataclass
from types import TracebackType

from confluent_kafka import Producer

from retailsync.delivery import DeliveryTracker
from retailsync.events import Event
from retailsync.headers import (
    CONTENT_TYPE,
    EVENT_ID,
    EVENT_TYPE,
    TRACEPARENT,
    OutgoingHeaders,
)
from retailsync.serde import EventSerde
from retailsync.settings import Settings
from retailsync.telemetry import current_traceparent
from retailsync.topology import Topology


@dataclass(frozen=True, slots=True)
class EventRecord:
    """A record ready for Producer.produce."""

    topic: str
    key: bytes | None
    value: bytes | None
    headers: OutgoingHeaders


def event_record(event: Event, topology: Topology, serde: EventSerde) -> EventRecord:
    """The record ``event`` is published as: topic and key from topology.yaml, standard headers."""
    event_type = event.envelope.event_type
    route = topology.route(event_type)
    key = route.key_for({name: getattr(event, name) for name in route.key_fields})
    headers: OutgoingHeaders = [
        (EVENT_TYPE, event_type.encode()),
        (EVENT_ID, str(event.envelope.event_id).encode()),
        (CONTENT_TYPE, serde.content_type.encode()),
    ]
    traceparent = current_traceparent()
    if traceparent is not None:
        headers.append((TRACEPARENT, traceparent.encode()))
    return EventRecord(route.topic, key.encode(), serde.encode(event), headers)


class Publisher:
    """An idempotent ``acks=all`` producer of events; ``flush`` raises if any was not acked.

    Use it as a context manager: leaving the block without an error flushes.
    """

    def __init__(self, settings: Settings, topology: Topology, serde: EventSerde) -> None:
        self._topology = topology
        self._serde = serde
        self._producer = Producer(settings.producer_config())
        self._deliveries = DeliveryTracker(self._producer)

    def publish(self, event: Event) -> None:
        """Queue ``event``; its delivery is confirmed by the next ``flush``."""
        record = event_record(event, self._topology, self._serde)
        self._deliveries.produce(
            record.topic, key=record.key, value=record.value, headers=record.headers
        )

    def flush(self, timeout_s: float = 30.0) -> None:
        self._deliveries.flush(timeout_s)

    def __enter__(self) -> Publisher:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.flush()
