"""The webhook receiver: one route per channel, health and readiness, as an ASGI app.

``POST /webhooks/shopify``, ``/webhooks/woocommerce`` and ``/webhooks/generic`` answer

- 200 once the delivery's events are on Kafka, or were before (a duplicate), when the
  delivery maps to no event (``{"status": "ignored"}``), or when it holds nothing to
  publish yet (``{"status": "deferred"}``: WooCommerce's order.created before its lines);
- 401 for a bad or missing signature; 400 for a body that is not JSON or a missing or
  oversized header; 422 for a payload that does not fit or holds an impossible value
  (negative money, a line of no units, a number beyond the event's decimal, an id too long),
  with the field paths; 413 for a body over the limit;
- 503 with ``Retry-After`` when Kafka did not acknowledge the events in time, or the schema
  registry could not be reached for an event's writer schema.

``GET /healthz`` answers 200 while the process serves; ``GET /readyz`` 200 when a broker
answers and every writer schema is known (fetched from the registry, when one is
configured), else 503.

A webhook POST goes straight to its channel's handler, a plain ASGI app, without Starlette's
middleware, router, ``Request`` and ``Response``: those were a sixth of the receiver's CPU per
delivery. Everything else (health, readiness, lifespan, 404, 405) is Starlette's.

Logs name the channel, webhook topic, delivery id, event ids and the reason, never payload
values: payloads carry personal data.
"""

from __future__ import annotations

import json
import logging
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

import pydantic
from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from producers.commerce.channels import (
    BadDeliveryError,
    Channel,
    GenericChannel,
    Shop,
    ShopifyChannel,
    WooCommerceChannel,
)
from producers.commerce.mapping import DeferredError
from producers.commerce.settings import WebhookSettings
from producers.commerce.signatures import SignatureError, secrets_of
from retailsync.acknowledger import (
    DELIVERY_TIMEOUT_S,
    Ack,
    Acknowledger,
    EventSink,
    NotDurableError,
    probes,
)
from retailsync.channels import Channels, ChannelSettings, Platform, load_channels_file
from retailsync.errors import ConfigError, InvalidInputError, PermanentError
from retailsync.events import Event
from retailsync.events.parse import describe_problems
from retailsync.publisher import AsyncPublisher
from retailsync.recent_deliveries import RecentDeliveries
from retailsync.serde import EventSerde, event_serde
from retailsync.settings import Settings
from retailsync.topology import Topology, load_topology

log = logging.getLogger("retailsync.webhooks")
_READY_TIMEOUT_S = 2.0
_MAX_LABEL_CHARS = 100


class RefusedError(PermanentError):
    """The delivery is answered with ``status`` and ``reason``, and nothing is published."""

    def __init__(self, status: HTTPStatus, reason: str) -> None:
        self.status = status
        self.reason = reason
        super().__init__(reason)


def receiver_app(
    settings: Settings,
    webhook: WebhookSettings,
    topology: Topology | None = None,
    serde: EventSerde | None = None,
    *,
    delivery_timeout_s: float = DELIVERY_TIMEOUT_S,
) -> ASGIApp:
    """The receiver publishing with an ``AsyncPublisher`` to the topology's topics;
    ``delivery_timeout_s`` is how long librdkafka tries to deliver a record."""
    topology = topology or load_topology(settings.topology_file)
    serde = serde or event_serde(settings, topology)
    publisher = AsyncPublisher(
        settings,
        topology,
        serde,
        delivery_timeout_s=max(delivery_timeout_s, webhook.webhook_ack_timeout_s),
        name="webhooks",
    )
    return build_app(webhook, publisher)


def channels_from(settings: WebhookSettings) -> list[Channel]:
    """The channels with their secrets; ConfigError names a secret that cannot be read.
    The channels file's Shopify and WooCommerce shops (``RETAILSYNC_CHANNELS_FILE``) each get
    their own channel name, by their host."""

    def keys(field: str) -> tuple[bytes, ...]:
        try:
            return secrets_of(getattr(settings, field))
        except ValueError as exc:
            raise ConfigError("environment", f"RETAILSYNC_{field.upper()}", str(exc)) from None

    shopify_keys = keys("shopify_webhook_secrets")
    woo_keys = keys("woocommerce_webhook_secrets")
    channels_file = ChannelSettings.load().channels_file
    configured = load_channels_file(channels_file) if channels_file else None
    return [
        ShopifyChannel(
            shopify_keys,
            settings.shopify_channel,
            shops_of(configured, "shopify", shopify_keys) if configured else {},
        ),
        WooCommerceChannel(
            woo_keys,
            settings.woocommerce_channel,
            shops_of(configured, "woocommerce", woo_keys) if configured else {},
        ),
        GenericChannel(keys("generic_webhook_secrets"), settings.webhook_tolerance_s),
    ]


def shops_of(
    channels: Channels, platform: Platform, default_keys: tuple[bytes, ...]
) -> dict[str, Shop]:
    """The ``platform`` channels by their shop's host (a Shopify shop's is its
    ``*.myshopify.com`` domain, which its webhooks name), each with its ``webhook_secret``
    or else the receiver's secrets of the platform."""
    shops: dict[str, Shop] = {}
    for channel in channels.of(platform):
        host = urlsplit(channel.url or "").netloc
        if not host:
            raise ConfigError(channel.source, channel.setting_key("url"), "not an absolute URL")
        shop_keys = default_keys
        if "webhook_secret" in channel.secrets:
            secret = channel.secret("webhook_secret")
            try:
                shop_keys = secrets_of(secret)
            except ValueError as exc:
                raise ConfigError(
                    channel.source, channel.setting_key("webhook_secret"), str(exc)
                ) from None
        shops[host] = Shop(channel.name, shop_keys)
    return shops


def build_app(
    settings: WebhookSettings, sink: EventSink, channels: list[Channel] | None = None
) -> ASGIApp:
    """The receiver, publishing through ``sink`` (started and closed with the app)."""
    acknowledger = Acknowledger(
        sink,
        RecentDeliveries(settings.webhook_dedup_window_s, settings.webhook_dedup_entries),
        settings.webhook_ack_timeout_s,
    )
    retry_after = [(b"retry-after", str(settings.webhook_retry_after_s).encode())]
    webhooks = {
        f"/webhooks/{channel.name}": WebhookEndpoint(
            channel, acknowledger, settings.webhook_max_body_bytes, retry_after
        )
        for channel in channels or channels_from(settings)
    }

    health, lifespan = probes(sink, _READY_TIMEOUT_S)
    routes = [Route(path, route, methods=["POST"]) for path, route in webhooks.items()]
    starlette = Starlette(routes=[*routes, *health], lifespan=lifespan)

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            route = webhooks.get(scope["path"])
            if route is not None:
                await route(scope, receive, send)
                return
        await starlette(scope, receive, send)

    return app


class WebhookEndpoint:
    """``POST /webhooks/<channel>`` as an ASGI app: reads, verifies, publishes and answers."""

    def __init__(
        self,
        channel: Channel,
        acknowledger: Acknowledger,
        limit: int,
        retry_after: list[tuple[bytes, bytes]],
    ) -> None:
        self._channel = channel
        self._acknowledger = acknowledger
        self._limit = limit
        self._retry_after = retry_after

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            status, content, extra = await self._answer(scope, receive)
        except _DisconnectedError:
            return  # nobody is left to answer
        body = json.dumps(
            content, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":")
        ).encode()
        headers = [
            (b"content-length", str(len(body)).encode()),
            (b"content-type", b"application/json"),
            *extra,
        ]
        await send({"type": "http.response.start", "status": int(status), "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _answer(
        self, scope: Scope, receive: Receive
    ) -> tuple[int, dict[str, object], list[tuple[bytes, bytes]]]:
        channel = self._channel
        headers = Headers(scope=scope)
        try:
            events = await _events(headers, receive, channel, self._limit)
        except RefusedError as exc:
            log.info(
                "%s %s delivery %s refused (%d): %s",
                channel.name, *_labels(channel, headers), exc.status, exc.reason,
            )  # fmt: skip
            return exc.status, {"error": exc.reason}, []
        except DeferredError as exc:
            log.info(
                "%s %s delivery %s deferred: %s", channel.name, *_labels(channel, headers), exc
            )
            return HTTPStatus.OK, {"status": "deferred", "reason": str(exc)}, []
        if not events:
            return HTTPStatus.OK, {"status": "ignored"}, []
        event_ids = [str(event.envelope.event_id) for event in events]
        try:
            ack = await self._acknowledger.publish(events)
        except NotDurableError as exc:
            log.warning(
                "%s %s delivery %s: events %s not acknowledged by Kafka: %s",
                channel.name, *_labels(channel, headers), ",".join(event_ids), exc,
            )  # fmt: skip
            return (
                HTTPStatus.SERVICE_UNAVAILABLE,
                {"error": "the event could not be stored; retry later"},
                self._retry_after,
            )
        if ack is Ack.DUPLICATE:
            log.info(
                "%s %s delivery %s duplicate: events %s",
                channel.name, *_labels(channel, headers), ",".join(event_ids),
            )  # fmt: skip
        # The last event is the change the delivery names; those before it lead up to it.
        answer: dict[str, object] = {"status": ack.value, "event_id": event_ids[-1]}
        if len(event_ids) > 1:
            answer["event_ids"] = event_ids
        return HTTPStatus.OK, answer, []


def _labels(channel: Channel, headers: Headers) -> tuple[str, str]:
    """The webhook topic and delivery id for a log line, from the headers alone (unverified):
    quoted, so that they cannot forge a line, and bounded."""
    topic, delivery_id = channel.labels(headers)
    return _label(topic), _label(delivery_id)


def _label(value: str | None) -> str:
    return "-" if value is None else repr(value[:_MAX_LABEL_CHARS])


class _DisconnectedError(Exception):
    """The client went away before the whole body arrived."""


async def _events(
    headers: Headers, receive: Receive, channel: Channel, limit: int
) -> tuple[Event, ...]:
    body = await _body(headers, receive, limit)
    try:
        return channel.events(headers, body)
    except SignatureError as exc:
        raise RefusedError(HTTPStatus.UNAUTHORIZED, str(exc)) from None
    except BadDeliveryError as exc:
        raise RefusedError(HTTPStatus.BAD_REQUEST, str(exc)) from None
    except pydantic.ValidationError as exc:
        raise _invalid(exc) from None
    except InvalidInputError as exc:
        # A mapping's own refusal (UnfitEventError, or a field it cannot read), naming the
        # field: the sender's data, so a 4xx, never a 500.
        raise RefusedError(HTTPStatus.UNPROCESSABLE_ENTITY, str(exc)) from None


async def _body(headers: Headers, receive: Receive, limit: int) -> bytes:
    too_large = RefusedError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"the body is over {limit} bytes")
    declared = headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    while True:
        message: Any = await receive()
        if message["type"] == "http.disconnect":
            raise _DisconnectedError
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _invalid(error: pydantic.ValidationError) -> RefusedError:
    problems = error.errors(include_input=False, include_url=False)
    if problems and problems[0]["type"] == "json_invalid":
        return RefusedError(HTTPStatus.BAD_REQUEST, "the body is not JSON")
    return RefusedError(HTTPStatus.UNPROCESSABLE_ENTITY, describe_problems(error, "body"))
