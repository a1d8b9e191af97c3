"""The event ingest: services in other languages publish domain events over HTTP.

``POST /events/{event_type}`` with ``Authorization: Bearer <token>`` and the event as JSON
(shaped as the event's model dumps it, envelope included) answers

- 202 ``{"status": "published" | "duplicate", "event_id"}`` once the brokers acknowledged
  the event (acks=all), or had before (a retry of the same event id);
- 401 (with ``WWW-Authenticate: Bearer``) without credentials, with malformed ones, or with a
  token no service holds; 403 when the calling service may not publish that event type;
- 404 for an event type we do not know; 400 for a body that is not JSON; 413 for a body over
  the limit; 422 for an event its model refuses, naming each field at fault;
- 503 with ``Retry-After`` when the brokers did not acknowledge the event in time.

``GET /healthz`` and ``GET /readyz`` as the webhook receiver's. Logs name the service, the
event type and id and the reason, never the event's values: they may be personal data.
"""

from __future__ import annotations

import json
import logging
from decimal import Decimal
from http import HTTPStatus

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from producers.ingest.callers import Callers, UnauthenticatedError
from producers.ingest.settings import IngestSettings
from retailsync.acknowledger import (
    DELIVERY_TIMEOUT_S,
    Acknowledger,
    EventSink,
    NotDurableError,
    probes,
)
from retailsync.errors import InvalidInputError
from retailsync.events import EVENT_MODELS, Event
from retailsync.events.parse import parse_event
from retailsync.publisher import AsyncPublisher
from retailsync.recent_deliveries import RecentDeliveries
from retailsync.serde import EventSerde, event_serde
from retailsync.settings import Settings
from retailsync.topology import Topology, load_topology

log = logging.getLogger("retailsync.ingest")
_READY_TIMEOUT_S = 2.0
ROUTES = tuple(f"/events/{event_type}" for event_type in EVENT_MODELS)


def ingest_app(
    settings: Settings,
    ingest: IngestSettings,
    topology: Topology | None = None,
    serde: EventSerde | None = None,
    *,
    delivery_timeout_s: float = DELIVERY_TIMEOUT_S,
) -> ASGIApp:
    """The ingest publishing with an ``AsyncPublisher`` to the topology's topics;
    ``delivery_timeout_s`` is how long librdkafka tries to deliver a record."""
    topology = topology or load_topology(settings.topology_file)
    publisher = AsyncPublisher(
        settings,
        topology,
        serde or event_serde(settings, topology),
        delivery_timeout_s=max(delivery_timeout_s, ingest.ingest_ack_timeout_s),
        name="ingest",
    )
    return build_app(ingest, publisher)


def build_app(settings: IngestSettings, sink: EventSink) -> ASGIApp:
    """The ingest, publishing through ``sink`` (started and closed with the app)."""
    callers = Callers(settings.ingest_tokens)
    if settings.ingest_tokens is None:
        log.warning("RETAILSYNC_INGEST_TOKENS is not set: every call is answered 401")
    acknowledger = Acknowledger(
        sink,
        RecentDeliveries(settings.ingest_dedup_window_s, settings.ingest_dedup_entries),
        settings.ingest_ack_timeout_s,
    )
    limit = settings.ingest_max_body_bytes
    retry_after = {"Retry-After": str(settings.ingest_retry_after_s)}
    unauthorized = {"WWW-Authenticate": "Bearer"}

    async def accepted(request: Request) -> tuple[str, Event]:
        """The calling service and its event; _RefusedError with the answer if refused."""
        event_type = request.path_params["event_type"]
        try:
            service = callers.service(request.headers.get("authorization"))
        except UnauthenticatedError as exc:
            raise _RefusedError(HTTPStatus.UNAUTHORIZED, str(exc), unauthorized) from None
        if event_type not in EVENT_MODELS:
            raise _RefusedError(HTTPStatus.NOT_FOUND, f"no event type {event_type!r}")
        if not settings.allowed(service, event_type):
            log.info("%s may not publish %s: refused (403)", service, event_type)
            raise _RefusedError(HTTPStatus.FORBIDDEN, f"{service} may not publish {event_type}")
        body = await _body(request, limit)
        try:
            # Numbers read as decimals: money and quantities stay exact.
            return service, parse_event(event_type, json.loads(body, parse_float=Decimal))
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise _RefusedError(HTTPStatus.BAD_REQUEST, "the body is not JSON") from None
        except InvalidInputError as exc:
            log.info("%s %s refused (422): %s", service, event_type, exc)
            raise _RefusedError(HTTPStatus.UNPROCESSABLE_ENTITY, str(exc)) from None

    async def publish(request: Request) -> Response:
        try:
            service, event = await accepted(request)
        except _RefusedError as refused:
            return JSONResponse({"error": refused.reason}, refused.status, refused.headers)
        event_type, event_id = event.envelope.event_type, str(event.envelope.event_id)
        try:
            ack = await acknowledger.publish([event])
        except NotDurableError as exc:
            log.warning(
                "%s %s %s not acknowledged by Kafka: %s", service, event_type, event_id, exc
            )
            return JSONResponse(
                {"error": "the event could not be stored; retry later"},
                HTTPStatus.SERVICE_UNAVAILABLE,
                retry_after,
            )
        log.info("%s %s %s %s", service, event_type, event_id, ack.value)
        return JSONResponse({"status": ack.value, "event_id": event_id}, HTTPStatus.ACCEPTED)

    health, lifespan = probes(sink, _READY_TIMEOUT_S)
    routes = [Route("/events/{event_type}", publish, methods=["POST"]), *health]
    return Starlette(routes=routes, lifespan=lifespan)


class _RefusedError(Exception):
    """The request is answered ``status`` with ``reason``, and nothing is published."""

    def __init__(
        self, status: HTTPStatus, reason: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(reason)
        self.status, self.reason, self.headers = status, reason, headers


async def _body(request: Request, limit: int) -> bytes:
    """The body; 413 once it is over ``limit`` bytes (read no further)."""
    too_large = _RefusedError(
        HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"the body is over {limit} bytes"
    )
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)
