"""Durable acknowledgement: an HTTP producer (the webhook receiver, the event ingest) answers
2xx only once its events are on Kafka, and 503 when the brokers did not acknowledge in time."""

from __future__ import annotations

import asyncio
import enum
import logging
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from functools import partial
from http import HTTPStatus
from typing import Protocol

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from retailsync.errors import DeliveryError, TransientError
from retailsync.events import Event
from retailsync.publisher import PossiblyWrittenError
from retailsync.recent_deliveries import RecentDeliveries

log = logging.getLogger("retailsync.acknowledger")

# How long librdkafka keeps trying to deliver a record, far beyond the answer's deadline: a
# record answered 503 may already sit in a stalled broker's socket and be written when it
# resumes. While librdkafka still holds it, the caller's retry waits for that same record
# instead of producing a second copy; once librdkafka gives up, it may have been written
# ("possibly persisted"), and the retry reads its partition before producing it again.
DELIVERY_TIMEOUT_S = 300.0


class EventSink(Protocol):
    """Where events go; ``AsyncPublisher`` in production."""

    async def start(self) -> None: ...

    def send(self, event: Event) -> asyncio.Future[None]: ...

    async def holds(
        self, event_id: uuid.UUID, where: PossiblyWrittenError, timeout_s: float
    ) -> bool: ...

    async def ready(self, timeout_s: float) -> bool: ...

    async def close(self, timeout_s: float = ...) -> None: ...


Lifespan = Callable[[Starlette], AbstractAsyncContextManager[None]]


def probes(sink: EventSink, timeout_s: float) -> tuple[list[Route], Lifespan]:
    """What every HTTP producer serves around its sink: ``GET /healthz`` (200 while the
    process serves), ``GET /readyz`` (200 when a broker answers and every writer schema is
    known, within ``timeout_s``, else 503), and the lifespan that starts and closes ``sink``."""

    async def healthz(_request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(_request: Request) -> Response:
        if await sink.ready(timeout_s):
            return JSONResponse({"status": "ready"})
        return JSONResponse(
            {"status": "kafka or the schema registry unreachable"},
            HTTPStatus.SERVICE_UNAVAILABLE,
        )

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        await sink.start()
        try:
            yield
        finally:
            await sink.close()

    return [Route("/healthz", healthz), Route("/readyz", readyz)], lifespan


class Ack(enum.Enum):
    PUBLISHED = "published"  # acknowledged by the brokers just now
    DUPLICATE = "duplicate"  # the same event was acknowledged before: nothing produced


class NotDurableError(DeliveryError):
    """The brokers did not acknowledge the event in time; the caller must retry."""


class Acknowledger:
    """Publishes each event once and waits for its acknowledgement, up to ``timeout_s``.

    A duplicate of an acknowledged event is answered at once; a duplicate of one in flight
    waits for the same delivery. A record that missed the deadline stays in flight (the
    sink's delivery timeout is far longer than the answer's): the platform's retry waits for
    that same record, and is answered as a duplicate once it is written. Its late report is
    logged, since no answer carries it. When librdkafka gave up on a record it had sent, the
    retry first reads the record's partition: a record written after all is a duplicate.
    """

    def __init__(self, sink: EventSink, recent: RecentDeliveries, timeout_s: float) -> None:
        self._sink = sink
        self._recent = recent
        self._timeout_s = timeout_s

    async def publish(self, events: Sequence[Event]) -> Ack:
        """Publish ``events`` in their order; PUBLISHED when any of them was produced now."""
        ack = Ack.DUPLICATE
        waiting: list[asyncio.Future[None]] = []
        sent: list[tuple[uuid.UUID, asyncio.Future[None]]] = []
        for event in events:
            event_id = event.envelope.event_id
            delivered = self._recent.in_flight(event_id)
            if delivered is None:
                if self._recent.acknowledged(event_id):
                    continue
                where = self._recent.possibly_written(event_id)
                if where is not None and await self._found(event_id, where):
                    continue
                ack = Ack.PUBLISHED
                try:
                    delivered = self._sink.send(event)
                except TransientError as exc:  # the brokers, or a schema registry, cannot take it
                    raise NotDurableError(str(exc)) from None
                self._recent.add(event_id, delivered)
                sent.append((event_id, delivered))
            waiting.append(delivered)
        if waiting:
            # asyncio.wait never cancels what it waits for: a delivery outlives the deadline.
            await asyncio.wait(waiting, timeout=self._timeout_s)
        for event_id, delivered in sent:
            if not delivered.done():
                delivered.add_done_callback(partial(_report_late, event_id))
        for delivered in waiting:
            if not delivered.done():
                raise NotDurableError(f"not acknowledged within {self._timeout_s}s")
            failure = delivered.exception()
            if failure is not None:
                raise NotDurableError(str(failure))
        return ack

    async def _found(self, event_id: uuid.UUID, where: PossiblyWrittenError) -> bool:
        """True when the record of ``event_id`` that librdkafka gave up on was written."""
        try:
            written = await self._sink.holds(event_id, where, self._timeout_s)
        except DeliveryError as exc:
            raise NotDurableError(str(exc)) from None
        if written:
            self._recent.acknowledge(event_id)
        return written


def _report_late(event_id: uuid.UUID, delivered: asyncio.Future[None]) -> None:
    """The report of a record that was answered 503 before it came."""
    if delivered.cancelled():
        return
    failure = delivered.exception()
    if failure is None:
        log.info("event %s was written after its 503", event_id)
    else:
        # librdkafka gave up; a record already sent to a stalled broker may still be written.
        log.warning(
            "event %s was given up after its 503 (%s): it may have been written; the "
            "platform's retry reads the topic before publishing it again",
            event_id, failure,
        )  # fmt: skip
