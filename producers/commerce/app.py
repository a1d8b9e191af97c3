"""The webhook receiver: one route per channel, health and readiness, as an ASGI app.

``POST /webhooks/shopify``, ``/webhooks/woocommerce`` and ``/webhooks/generic`` answer

- 200 once the event is on Kafka, or was before (a duplicate), or when the delivery maps to
  no event (``{"status": "ignored"}``);
- 401 for a bad or missing signature; 400 for a body that is not JSON or a missing header;
  422 for a payload that does not fit, with the reason; 413 for a body over the limit;
- 503 with ``Retry-After`` when Kafka did not acknowledge the event in time.

``GET /healthz`` answers 200 while the process serves; ``GET /readyz`` 200 when a broker
answers, else 503.

Logs name the channel, topic, delivery and event ids and the reason, never payload values:
payloads carry personal data.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from http import HTTPStatus

import pydantic
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from producers.commerce.acks import Ack, Acknowledger, EventSink, NotDurableError
from producers.commerce.channels import (
    BadDeliveryError,
    Channel,
    GenericChannel,
    ShopifyChannel,
    WooCommerceChannel,
)
from producers.commerce.recent import RecentDeliveries
from producers.commerce.signatures import SignatureError, secrets_of
from retailsync.errors import ConfigError
from retailsync.events import Event, default_schemas_dir, load_catalogue
from retailsync.publisher import AsyncPublisher
from retailsync.serde import EventSerde, serde_for
from retailsync.settings import Settings
from retailsync.topology import Topology, load_topology

log = logging.getLogger("retailsync.webhooks")
_READY_TIMEOUT_S = 2.0


class RefusedError(Exception):
    """The delivery is answered with ``status`` and ``reason``, and nothing is published."""

    def __init__(self, status: HTTPStatus, reason: str) -> None:
        self.status = status
        self.reason = reason
        super().__init__(reason)


def receiver_app(
    settings: Settings, topology: Topology | None = None, serde: EventSerde | None = None
) -> Starlette:
    """The receiver publishing with an ``AsyncPublisher`` to the topology's topics."""
    topology = topology or load_topology(settings.topology_file)
    if serde is None:
        schemas = settings.schemas_dir or default_schemas_dir(settings.topology_file)
        serde = EventSerde(serde_for(settings, load_catalogue(schemas), topology))
    publisher = AsyncPublisher(
        settings, topology, serde, delivery_timeout_s=settings.webhook_ack_timeout_s
    )
    return build_app(settings, publisher)


def channels_from(settings: Settings) -> list[Channel]:
    """The channels with their secrets; ConfigError names a secret that cannot be read."""

    def keys(field: str) -> tuple[bytes, ...]:
        try:
            return secrets_of(getattr(settings, field))
        except ValueError as exc:
            raise ConfigError("environment", f"RETAILSYNC_{field.upper()}", str(exc)) from None

    return [
        ShopifyChannel(keys("shopify_webhook_secrets"), settings.shopify_channel),
        WooCommerceChannel(keys("woocommerce_webhook_secrets"), settings.woocommerce_channel),
        GenericChannel(keys("generic_webhook_secrets"), settings.webhook_tolerance_s),
    ]


def build_app(
    settings: Settings, sink: EventSink, channels: list[Channel] | None = None
) -> Starlette:
    """The receiver, publishing through ``sink`` (started and closed with the app)."""
    acknowledger = Acknowledger(
        sink,
        RecentDeliveries(settings.webhook_dedup_window_s, settings.webhook_dedup_entries),
        settings.webhook_ack_timeout_s,
    )
    retry_after = {"Retry-After": str(settings.webhook_retry_after_s)}
    limit = settings.webhook_max_body_bytes

    def route(channel: Channel) -> Route:
        async def receive(request: Request) -> Response:
            return await _receive(request, channel, acknowledger, limit, retry_after)

        return Route(f"/webhooks/{channel.name}", receive, methods=["POST"])

    async def healthz(_request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(_request: Request) -> Response:
        if await sink.ready(_READY_TIMEOUT_S):
            return JSONResponse({"status": "ready"})
        return JSONResponse({"status": "kafka unreachable"}, HTTPStatus.SERVICE_UNAVAILABLE)

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        await sink.start()
        try:
            yield
        finally:
            await sink.close()

    routes = [route(channel) for channel in channels or channels_from(settings)]
    routes += [Route("/healthz", healthz), Route("/readyz", readyz)]
    return Starlette(routes=routes, lifespan=lifespan)


async def _receive(
    request: Request,
    channel: Channel,
    acknowledger: Acknowledger,
    limit: int,
    retry_after: Mapping[str, str],
) -> Response:
    try:
        event = await _event(request, channel, limit)
    except RefusedError as exc:
        log.info("%s refused (%d): %s", channel.name, exc.status, exc.reason)
        return JSONResponse({"error": exc.reason}, exc.status)
    if event is None:
        return JSONResponse({"status": "ignored"})
    envelope = event.envelope
    try:
        ack = await acknowledger.publish(event)
    except NotDurableError as exc:
        log.warning(
            "%s %s %s not acknowledged by Kafka: %s",
            channel.name, envelope.event_type, envelope.event_id, exc,
        )  # fmt: skip
        return JSONResponse(
            {"error": "the event could not be stored; retry later"},
            HTTPStatus.SERVICE_UNAVAILABLE,
            headers=dict(retry_after),
        )
    if ack is Ack.DUPLICATE:
        log.info("%s duplicate %s %s", channel.name, envelope.event_type, envelope.event_id)
    return JSONResponse({"status": ack.value, "event_id": str(envelope.event_id)})


async def _event(request: Request, channel: Channel, limit: int) -> Event | None:
    body = await _body(request, limit)
    try:
        return channel.event(request.headers, body)
    except SignatureError as exc:
        raise RefusedError(HTTPStatus.UNAUTHORIZED, str(exc)) from None
    except BadDeliveryError as exc:
        raise RefusedError(HTTPStatus.BAD_REQUEST, str(exc)) from None
    except pydantic.ValidationError as exc:
        raise _invalid(exc) from None


async def _body(request: Request, limit: int) -> bytes:
    too_large = RefusedError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"the body is over {limit} bytes")
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


def _invalid(error: pydantic.ValidationError) -> RefusedError:
    problems = error.errors(include_input=False, include_url=False)
    if problems and problems[0]["type"] == "json_invalid":
        return RefusedError(HTTPStatus.BAD_REQUEST, "the body is not JSON")
    # Locations and messages only: the input values are personal data.
    reason = "; ".join(
        f"{'.'.join(str(part) for part in problem['loc']) or 'body'}: {problem['msg']}"
        for problem in problems[:10]
    )
    return RefusedError(HTTPStatus.UNPROCESSABLE_ENTITY, reason)
