"""The three channels: how each names, signs and describes a delivery, and its events.

``Channel.events`` verifies the signature on the raw body first, then reads the headers and
the payload. It raises ``SignatureError`` (401), ``BadDeliveryError`` (400), pydantic's
``ValidationError`` (400 for a body that is not JSON, else 422), ``UnfitEventError`` (422, an
event that breaks the edge rules of ``mapping.rules``) or ``DeferredError`` (200, a
body that holds nothing to publish yet); it returns no event for a delivery that maps to none
(a topic the receiver does not handle, or WooCommerce's ping). Every event's id is the
identity of its change (``identified``).

``Channel.labels`` reads the webhook topic and delivery id from the headers alone, for logs.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from urllib.parse import urlsplit

from producers.commerce.mapping import (
    Delivery,
    Mapped,
    events_of,
    generic_event,
    identified,
    shopify,
    woocommerce,
)
from producers.commerce.mapping.rules import checked
from producers.commerce.payloads import GenericPayload
from producers.commerce.signatures import verify_body, verify_standard
from retailsync.errors import InvalidInputError
from retailsync.events import Event, Source, SourceSystem

Headers = Mapping[str, str]
_WOOCOMMERCE_PING = b"webhook_id="
# Header values become refs and source instances: a longer one is not a platform's.
_MAX_HEADER_CHARS = 255


class BadDeliveryError(InvalidInputError):
    """The request lacks what every delivery of the channel carries."""


class Channel(Protocol):
    name: str

    def events(self, headers: Headers, body: bytes) -> tuple[Event, ...]: ...

    def labels(self, headers: Headers) -> tuple[str | None, str | None]: ...


def _required(headers: Headers, name: str) -> str:
    value = headers.get(name)
    if not value:
        raise BadDeliveryError(f"the {name} header is missing")
    if len(value) > _MAX_HEADER_CHARS:
        raise BadDeliveryError(f"the {name} header is over {_MAX_HEADER_CHARS} characters")
    return value


def _mapped(
    topics: Mapping[str, Callable[[Delivery, bytes], Mapped]],
    delivery: Delivery,
    body: bytes,
) -> tuple[Event, ...]:
    mapping = topics.get(delivery.topic)
    mapped = mapping(delivery, body) if mapping is not None else None
    return tuple(identified(checked(event)) for event in events_of(mapped))


class ShopifyChannel:
    """Deliveries of every Shopify shop. ``shops`` names a shop's channel by its
    ``X-Shopify-Shop-Domain``, and only that shop's secrets verify a delivery that says it
    comes from there; any other shop's deliveries are ``channel``'s, verified by ``keys``."""

    name = "shopify"

    def __init__(
        self, keys: tuple[bytes, ...], channel: str, shops: Mapping[str, Shop] | None = None
    ) -> None:
        self._keys = keys
        self._channel = channel
        self._shops = dict(shops or {})

    def labels(self, headers: Headers) -> tuple[str | None, str | None]:
        delivery_id = headers.get("x-shopify-event-id") or headers.get("x-shopify-webhook-id")
        return headers.get("x-shopify-topic"), delivery_id

    def events(self, headers: Headers, body: bytes) -> tuple[Event, ...]:
        domain = headers.get("x-shopify-shop-domain") or ""
        # The domain header is not signed: a shop's own secrets decide whether it is that shop.
        shop = self._shops.get(domain) or Shop(self._channel, self._keys)
        verify_body(shop.keys, body, headers.get("x-shopify-hmac-sha256"))
        # X-Shopify-Event-Id names the event across subscriptions and retries; older
        # deliveries carry only X-Shopify-Webhook-Id, the same on every retry.
        named_by = "x-shopify-event-id" if headers.get("x-shopify-event-id") else None
        delivery_id = _required(headers, named_by or "x-shopify-webhook-id")
        triggered = headers.get("x-shopify-triggered-at")
        try:
            triggered_at = datetime.fromisoformat(triggered) if triggered else None
        except ValueError:
            raise BadDeliveryError("X-Shopify-Triggered-At is not an ISO 8601 time") from None
        delivery = Delivery(
            delivery_id=delivery_id,
            topic=_required(headers, "x-shopify-topic"),
            source=Source(
                system=SourceSystem.SHOPIFY,
                instance=_required(headers, "x-shopify-shop-domain"),
            ),
            channel=shop.channel,
            triggered_at=triggered_at if triggered_at and triggered_at.tzinfo else None,
        )
        return _mapped(shopify.TOPICS, delivery, body)


@dataclass(frozen=True, slots=True)
class Shop:
    """A shop of the channels file, by its host: its channel's name, and the webhook secrets
    its deliveries are signed with."""

    channel: str
    keys: tuple[bytes, ...]


class WooCommerceChannel:
    """Deliveries of every WooCommerce shop. ``shops`` names a shop's channel by the host of
    its ``X-WC-Webhook-Source``, and only that shop's secrets verify a delivery that says it
    comes from there; any other shop's deliveries are ``channel``'s, verified by ``keys``."""

    name = "woocommerce"

    def __init__(
        self, keys: tuple[bytes, ...], channel: str, shops: Mapping[str, Shop] | None = None
    ) -> None:
        self._keys = keys
        self._channel = channel
        self._shops = dict(shops or {})

    def labels(self, headers: Headers) -> tuple[str | None, str | None]:
        return headers.get("x-wc-webhook-topic"), headers.get("x-wc-webhook-delivery-id")

    def events(self, headers: Headers, body: bytes) -> tuple[Event, ...]:
        if "x-wc-webhook-topic" not in headers and body.startswith(_WOOCOMMERCE_PING):
            # Sent unsigned when a webhook is saved; it must answer 2xx to be kept.
            return ()
        site = headers.get("x-wc-webhook-source") or ""
        host = urlsplit(site).netloc or site
        # The source header is not signed: a shop's own secrets decide whether it is that shop.
        shop = self._shops.get(host) or Shop(self._channel, self._keys)
        verify_body(shop.keys, body, headers.get("x-wc-webhook-signature"))
        _required(headers, "x-wc-webhook-source")
        delivery = Delivery(
            delivery_id=_required(headers, "x-wc-webhook-delivery-id"),
            topic=_required(headers, "x-wc-webhook-topic"),
            source=Source(system=SourceSystem.WOOCOMMERCE, instance=host),
            channel=shop.channel,
        )
        return _mapped(woocommerce.TOPICS, delivery, body)


class GenericChannel:
    name = "generic"

    def __init__(
        self,
        keys: tuple[bytes, ...],
        tolerance_s: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._keys = keys
        self._tolerance_s = tolerance_s
        self._clock = clock

    def labels(self, headers: Headers) -> tuple[str | None, str | None]:
        # The event type is in the signed body, not in a header.
        return None, headers.get("webhook-id")

    def events(self, headers: Headers, body: bytes) -> tuple[Event, ...]:
        verify_standard(
            self._keys,
            body,
            webhook_id=headers.get("webhook-id"),
            timestamp=headers.get("webhook-timestamp"),
            signature=headers.get("webhook-signature"),
            now=self._clock(),
            tolerance_s=self._tolerance_s,
        )
        webhook_id = _required(headers, "webhook-id")
        payload = GenericPayload.model_validate_json(body)
        return (identified(checked(generic_event(webhook_id, payload))),)
