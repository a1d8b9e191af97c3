"""Publishing events: the topic and key come from topology.yaml, the bytes from the serde.

``Publisher`` is for batches (publish, then flush); ``AsyncPublisher`` for asyncio servers
that answer each request once its own event is acknowledged.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from types import TracebackType
from typing import Self

from confluent_kafka import Consumer, KafkaError, KafkaException, Message, TopicPartition

from retailsync.errors import ConfigError, DeliveryError, RetailsyncError, TransientError
from retailsync.events import Event
from retailsync.headers import (
    CONTENT_TYPE,
    EVENT_ID,
    EVENT_TYPE,
    TRACEPARENT,
    OutgoingHeaders,
)
from retailsync.kafka.producer import KafkaProducer
from retailsync.metrics import EVENTS_PUBLISHED
from retailsync.serde import EventSerde, event_serde
from retailsync.settings import Settings, load_settings
from retailsync.telemetry import current_traceparent
from retailsync.topology import Topology, load_topology

log = logging.getLogger("retailsync.publisher")


class PossiblyWrittenError(DeliveryError):
    """librdkafka gave up on a record it may have sent: the brokers may have written it (a
    stalled broker writes what it received once it resumes). Says where to look: the
    partition, from the time the record was produced (epoch ms) on."""

    def __init__(self, message: str, topic: str, partition: int, since_ms: int) -> None:
        super().__init__(message)
        self.topic = topic
        self.partition = partition
        self.since_ms = since_ms


@dataclass(frozen=True, slots=True)
class EventRecord:
    """A record ready for Producer.produce."""

    topic: str
    key: bytes | None
    value: bytes | None
    headers: OutgoingHeaders


def event_record(event: Event, topology: Topology, serde: EventSerde) -> EventRecord:
    """The record ``event`` is published as: topic and key from topology.yaml, standard
    headers; an erasure is a tombstone (no value) on the topic of the type it erases."""
    event_type = event.envelope.event_type
    erases = event.TOMBSTONE_OF
    destination = topology.destination(erases or event_type)
    key = destination.key_for({name: getattr(event, name) for name in destination.key_fields})
    headers: OutgoingHeaders = [
        (EVENT_TYPE, event_type.encode()),
        (EVENT_ID, str(event.envelope.event_id).encode()),
        (CONTENT_TYPE, serde.content_type.encode()),
        (TRACEPARENT, current_traceparent().encode()),
    ]
    EVENTS_PUBLISHED.add(event_type, destination.topic)
    value = None if erases else serde.encode(event)
    return EventRecord(destination.topic, key.encode(), value, headers)


@dataclass(frozen=True, slots=True)
class Landed:
    """Where the brokers wrote an event: printed as ``topic[partition] offset``."""

    event_id: uuid.UUID
    topic: str
    partition: int
    offset: int

    def __str__(self) -> str:
        return f"{self.topic}[{self.partition}] {self.offset}"


class Publisher:
    """An idempotent ``acks=all`` producer of events; ``flush`` raises DeliveryError if any
    was not acknowledged.

    Use it as a context manager: leaving the block without an error flushes (and closes the
    serde when the publisher made it, as ``from_settings`` does). With ``positions``, each
    flush returns where every event published since the last one landed, in publish order;
    without, librdkafka reports failures only, which is cheaper per event.
    """

    def __init__(
        self,
        settings: Settings,
        topology: Topology,
        serde: EventSerde,
        *,
        positions: bool = False,
        owns_serde: bool = False,
    ) -> None:
        self._topology = topology
        self._serde = serde
        self._owns_serde = owns_serde
        self._positions = positions
        self._producer = KafkaProducer(settings, name="publisher", failures_only=not positions)
        self._landed: list[tuple[int, Landed]] = []
        self._failures: list[str] = []
        self._published = 0  # since the last flush

    @classmethod
    def from_settings(cls, settings: Settings | None = None, *, positions: bool = False) -> Self:
        """A publisher configured as every retailsync service is: the ``RETAILSYNC_``
        environment (or ``settings``), its topology.yaml and schemas."""
        settings = settings or load_settings()
        topology = load_topology(settings.topology_file)
        serde = event_serde(settings, topology)
        return cls(settings, topology, serde, positions=positions, owns_serde=True)

    def publish(self, event: Event) -> None:
        """Queue ``event``; its delivery is confirmed by the next ``flush``."""
        record = event_record(event, self._topology, self._serde)
        on_delivery = None
        if self._positions:
            on_delivery = partial(self._on_delivery, self._published, event.envelope.event_id)
        self._producer.produce(
            record.topic, key=record.key, value=record.value, headers=record.headers,
            on_delivery=on_delivery,
        )  # fmt: skip
        self._published += 1

    def flush(self, timeout_s: float = 30.0) -> list[Landed]:
        """Wait until every queued event is acknowledged; with ``positions``, where each
        landed (else an empty list). Raises DeliveryError if one was not."""
        try:
            self._producer.flush(timeout_s)
        finally:
            landed, self._landed, self._published = self._landed, [], 0
            failures, self._failures = self._failures, []
        if failures:
            raise DeliveryError("; ".join(failures))
        return [where for _, where in sorted(landed, key=lambda entry: entry[0])]

    def close(self) -> None:
        """Close the serde when this publisher made it; unflushed events are not waited for."""
        if self._owns_serde:
            self._serde.close()

    def _on_delivery(
        self, index: int, event_id: uuid.UUID, error: KafkaError | None, message: Message
    ) -> None:
        if error is not None:
            self._failures.append(f"{message.topic()}: {error.str()}")
            return
        self._producer.watch.reachable()
        where = Landed(
            event_id, str(message.topic()), message.partition() or 0, message.offset() or 0
        )
        self._landed.append((index, where))

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        try:
            if exc_type is None:
                self.flush()
        finally:
            self.close()


_LINGER_OPTIONS = frozenset({"linger.ms", "queue.buffering.max.ms"})


class AsyncPublisher:
    """An idempotent ``acks=all`` producer for asyncio code: ``send`` returns a future that
    resolves once the brokers acknowledged the record, or fails with ``DeliveryError``.

    Many requests wait at once without anyone flushing: a thread serves librdkafka's delivery
    reports and hands each to the event loop. A record not acknowledged within
    ``delivery_timeout_s`` fails, and librdkafka stops retrying it then (``message.timeout.ms``);
    one it had sent fails with ``PossiblyWrittenError``, and ``holds`` tells whether the
    brokers wrote it after all. Use ``start`` and ``close`` from the event loop that awaits
    the futures.

    With a schema registry, the event loop never waits for it: ``start`` fetches every event
    type's writer schema id in a worker thread, a writer still unknown is fetched there too
    (once for all requests that need it) and its events fail with TargetUnavailableError
    while the registry cannot be reached; ``ready`` is False until every writer is known.
    The publisher owns the serde: ``close`` closes it (its registry client).
    """

    _POLL_S = 0.1

    def __init__(
        self,
        settings: Settings,
        topology: Topology,
        serde: EventSerde,
        *,
        delivery_timeout_s: float,
        name: str = "publisher",
    ) -> None:
        self._name = name  # of the producer, in its log lines
        self._topology = topology
        self._serde = serde
        self._settings = settings
        self._options: dict[str, str | int | bool] = {
            "message.timeout.ms": max(1, int(delivery_timeout_s * 1000))
        }
        if not _LINGER_OPTIONS & settings.kafka_options.keys():
            # Every caller waits for its record's acknowledgement, so any linger is the floor
            # of every answer: librdkafka wakes its broker thread at once only at 0 ms (a
            # lone webhook was answered in about 4 ms at 1 ms and at 0.2 ms, 2.7 ms at 0 ms).
            # The price is about a tenth more receiver CPU per request when saturated; an
            # operator's kafka_options decide otherwise.
            self._options["linger.ms"] = 0
        self._reader_config = {
            **settings.consumer_config(f"{settings.client_id}-read-back"),
            "enable.auto.commit": False,
        }
        self._producer: KafkaProducer | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping = threading.Event()
        self._reports: threading.Thread | None = None
        self._reports_due: list[tuple[asyncio.Future[None], DeliveryError | None]] = []
        # flush() in close serves reports on another thread than the reports thread.
        self._reports_lock = threading.Lock()
        # Registry calls in flight, by what they fetch, shared by everyone who needs it.
        self._fetching: dict[tuple[str, int] | None, asyncio.Future[None]] = {}
        self._sending: set[asyncio.Task[None]] = set()
        self._writers_known = False
        self._not_ready: str | None = None

    async def start(self) -> None:
        """Start producing; fetch the writers (a registry's ids) without blocking the loop.

        Raises ConfigError when the registry answers that a schema is not registered.
        """
        self._loop = asyncio.get_running_loop()
        try:
            await self._all_writers()
        except TransientError as exc:
            # Serve anyway: events are answered 503 until the registry answers again.
            log.warning("%s: not ready until it answers", exc)
        self._producer = KafkaProducer(self._settings, name=self._name, options=self._options)
        self._reports = threading.Thread(
            target=self._serve_reports, name="delivery-reports", daemon=True
        )
        self._reports.start()

    def send(self, event: Event) -> asyncio.Future[None]:
        """Queue ``event``; raises DeliveryError at once when librdkafka cannot take it."""
        if self._producer is None or self._loop is None:
            raise RuntimeError("start the publisher first")
        future: asyncio.Future[None] = self._loop.create_future()
        # A tombstone has no value, so no writer schema to know.
        if event.TOMBSTONE_OF is not None or self._serde.knows_writer(event):
            self._produce(event, future)
        else:
            task = self._loop.create_task(self._send_unknown_writer(event, future))
            self._sending.add(task)
            task.add_done_callback(self._sending.discard)
        return future

    async def ready(self, timeout_s: float) -> bool:
        """True when every writer is known (fetching the missing ones) and a broker answered
        a metadata request, each within ``timeout_s``."""
        if self._producer is None:
            return False
        try:
            await asyncio.wait_for(self._all_writers(), timeout_s)
        except (TimeoutError, RetailsyncError) as exc:
            reason = str(exc) or f"the schema registry did not answer within {timeout_s}s"
            if reason != self._not_ready:  # once per cause, not once per probe
                log.warning("not ready: %s", reason)
            self._not_ready = reason
            return False
        self._not_ready = None
        return await asyncio.to_thread(self._producer.reachable, timeout_s)

    async def holds(
        self, event_id: uuid.UUID, where: PossiblyWrittenError, timeout_s: float
    ) -> bool:
        """True when ``where``'s partition holds a record of ``event_id`` written since the
        record librdkafka gave up on was made; DeliveryError if it cannot be read in time."""
        marker = (EVENT_ID, str(event_id).encode())
        return await asyncio.to_thread(self._holds, marker, where, timeout_s)

    def _holds(
        self, marker: tuple[str, bytes], where: PossiblyWrittenError, timeout_s: float
    ) -> bool:
        deadline = time.monotonic() + timeout_s
        reader = Consumer(self._reader_config)
        try:
            since = TopicPartition(where.topic, where.partition, where.since_ms)
            (start,) = reader.offsets_for_times([since], timeout=timeout_s)
            _, end = reader.get_watermark_offsets(since, timeout=timeout_s)
            if start.offset < 0 or start.offset >= end:
                return False  # nothing written since
            reader.assign([start])
            while time.monotonic() < deadline:
                for message in reader.consume(500, timeout=0.2):
                    if message.error() is not None:
                        continue
                    if marker in (message.headers() or ()):
                        return True
                    if (message.offset() or 0) >= end - 1:
                        return False
        except KafkaException as exc:
            raise DeliveryError(f"{where.topic}[{where.partition}]: {exc}") from None
        finally:
            reader.close()
        raise DeliveryError(
            f"{where.topic}[{where.partition}] could not be read back within {timeout_s}s"
        )

    async def close(self, timeout_s: float = 10.0) -> None:
        """Wait up to ``timeout_s`` for records in flight, then stop serving reports and
        close the serde."""
        for task in self._sending:
            task.cancel()
        if self._producer is not None:
            # close() serves reports on this worker thread; they are handed over below.
            await asyncio.to_thread(self._producer.close, timeout_s)
        self._stopping.set()
        if self._reports is not None:
            await asyncio.to_thread(self._reports.join)
        self._serde.close()

    async def _send_unknown_writer(self, event: Event, future: asyncio.Future[None]) -> None:
        """Fetch ``event``'s writer off the loop, then send it; any failure fails ``future``."""
        try:
            envelope = event.envelope
            await self._fetch(
                (envelope.event_type, envelope.schema_version),
                partial(self._serde.resolve_writer, event),
            )
            self._produce(event, future)
        except Exception as exc:  # the request waiting for ``future`` answers it
            if not future.done():
                future.set_exception(exc)

    def _produce(self, event: Event, future: asyncio.Future[None]) -> None:
        assert self._producer is not None
        record = event_record(event, self._topology, self._serde)
        # The report of a failed record has no timestamp; a read-back starts from this one.
        sent_ms = int(time.time() * 1000) - 1
        self._producer.produce(
            record.topic, key=record.key, value=record.value, headers=record.headers,
            on_delivery=partial(self._on_delivery, future, sent_ms), wait_for_room=False,
        )  # fmt: skip

    async def _all_writers(self) -> None:
        if not self._writers_known:
            await self._fetch(None, self._serde.resolve_writers)
            self._writers_known = True

    async def _fetch(self, what: tuple[str, int] | None, fetch: Callable[[], None]) -> None:
        """Run ``fetch`` in a worker thread, once at a time for ``what`` (None: every
        writer): a registry that hangs holds one thread, not one per request."""
        fetching = self._fetching.get(what)
        if fetching is None or fetching.done():
            fetching = self._fetching[what] = asyncio.ensure_future(asyncio.to_thread(fetch))
        # shield: a request that gives up does not cancel the call the others wait for.
        await asyncio.shield(fetching)

    def _serve_reports(self) -> None:
        assert self._producer is not None
        refused: str | None = None
        while not self._stopping.is_set():
            try:
                self._producer.poll(self._POLL_S)
            except ConfigError as exc:
                # The brokers refuse our credentials: every send will time out (503), and
                # readiness says so; the operator needs this line once, not per poll.
                if str(exc) != refused:
                    refused = str(exc)
                    log.error("%s", exc)
            self._hand_over()
        self._hand_over()

    def _on_delivery(
        self,
        future: asyncio.Future[None],
        sent_ms: int,
        error: KafkaError | None,
        message: Message,
    ) -> None:
        # Called inside poll(), on the reports thread: collected, and handed to the event
        # loop once per poll, so a burst of reports wakes the loop once.
        failure = None
        if error is not None:
            failure = _failure(error, message, sent_ms)
        elif self._producer is not None:
            self._producer.watch.reachable()
        with self._reports_lock:
            self._reports_due.append((future, failure))

    def _hand_over(self) -> None:
        with self._reports_lock:
            due, self._reports_due = self._reports_due, []
        if not due:
            return
        assert self._loop is not None
        # A closed loop raises RuntimeError: nobody waits for the reports any more.
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(_settle_all, due)


def _failure(error: KafkaError, message: Message, sent_ms: int) -> DeliveryError:
    topic, partition = message.topic(), message.partition()
    text = f"{topic}: {error.str()}"
    partitioned = topic is not None and partition is not None and partition >= 0
    if error.code() == KafkaError._MSG_TIMED_OUT and partitioned:
        # Timed out in the queue or after it was sent: librdkafka does not tell Python which.
        return PossiblyWrittenError(text, str(topic), int(partition or 0), sent_ms)
    return DeliveryError(text)


def _settle_all(due: list[tuple[asyncio.Future[None], DeliveryError | None]]) -> None:
    for future, failure in due:
        _settle(future, failure)


def _settle(future: asyncio.Future[None], failure: DeliveryError | None) -> None:
    if future.done():
        return
    if failure is None:
        future.set_result(None)
    else:
        future.set_exception(failure)
