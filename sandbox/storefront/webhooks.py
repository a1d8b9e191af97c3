"""Webhooks as the platforms deliver them: signed, at least once, in any order, retried on
the platform's own schedule.

``shopify_delivery`` signs a payload and sets Shopify's headers. ``WebhookEmitter`` queues
deliveries and posts them from a background thread, each ``1 + duplicates`` times, shuffled
when ``reorder``; a delivery that gets no 2xx (no answer, or any other status) is retried
on a ``RetrySchedule``, the real one of Shopify or WooCommerce, divided by ``speedup`` in
tests, so a receiver that restarts still gets every order once it is back.
"""

from __future__ import annotations

import base64
import hashlib
import heapq
import hmac
import itertools
import json
import random
import threading
import time
import uuid
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

import httpx

API_VERSION = "2025-01"


@dataclass(frozen=True, slots=True)
class Delivery:
    topic: str
    body: bytes
    headers: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class Attempt:
    """How a delivery ended: its last status, None when nothing answered; ``tries`` is 0
    when it was never sent because its subscription had been disabled."""

    delivery: Delivery
    status: int | None
    tries: int


@dataclass(frozen=True, slots=True)
class RetrySchedule:
    """How a platform re-sends a delivery that got no 2xx.

    ``retry_delays_s``: the wait before each retry, in the platform's real seconds.
    ``disable_after``: how many deliveries in a row may fail (all their retries spent)
    before the platform disables the subscription and sends nothing more; None: never.
    """

    retry_delays_s: tuple[float, ...]
    disable_after: int | None = None

    @property
    def retries(self) -> int:
        return len(self.retry_delays_s)


# Shopify (developer changelog, 2024-09-10): "retried a total of 8 times over 4 hours using
# an exponential backoff schedule"; the exact delays are not published, so they double and
# add up to 4 hours. A subscription made through the Admin API is removed once a delivery
# has failed all of them.
SHOPIFY_RETRIES = RetrySchedule(
    tuple(4 * 3600 * 2**n / (2**8 - 1) for n in range(8)), disable_after=1
)
# WooCommerce (docs "Working with Webhooks"): a delivery is tried once; the webhook is
# disabled after 5 failed deliveries in a row (woocommerce_max_webhook_delivery_failures).
WOOCOMMERCE_RETRIES = RetrySchedule((), disable_after=5)


def shopify_delivery(
    topic: str,
    payload: Mapping[str, Any],
    *,
    secret: str,
    shop_domain: str,
    event_id: str | None = None,
    triggered_at: datetime | None = None,
) -> Delivery:
    """``payload`` signed with the app ``secret``, with the headers Shopify sends."""
    body = json.dumps(payload, separators=(",", ":")).encode()
    headers = {
        "Content-Type": "application/json",
        "X-Shopify-Topic": topic,
        "X-Shopify-Hmac-Sha256": sign_body(secret.encode(), body),
        "X-Shopify-Shop-Domain": shop_domain,
        "X-Shopify-API-Version": API_VERSION,
        "X-Shopify-Webhook-Id": str(uuid.uuid4()),
        "X-Shopify-Event-Id": event_id or str(uuid.uuid4()),
        "X-Shopify-Triggered-At": (triggered_at or datetime.now(UTC)).isoformat(),
    }
    return Delivery(topic, body, headers)


def sign_body(secret: bytes, body: bytes) -> str:
    """Shopify's ``X-Shopify-Hmac-Sha256``: base64 of the HMAC-SHA256 of the raw body.

    The sandbox signs on its own, as Shopify does, so that it shares no code with the
    receiver whose verification it exercises.
    """
    return base64.b64encode(hmac.new(secret, body, hashlib.sha256).digest()).decode()


@dataclass(order=True)
class _Send:
    """One delivery waiting in the queue for its next try, due at ``due`` (monotonic)."""

    due: float
    seq: int
    delivery: Delivery = field(compare=False)
    outcome: Future[Attempt] = field(compare=False)
    tries: int = field(default=0, compare=False)


class WebhookEmitter:
    """Posts deliveries to ``url`` from a background queue, with duplicates, reordering
    and the retries of ``schedule`` (its delays divided by ``speedup``).

    Use it as a context manager, or ``close`` it: what is still queued then is abandoned
    (its outcome cancelled), as when a platform's subscription is removed.
    """

    def __init__(
        self,
        url: str,
        *,
        schedule: RetrySchedule = SHOPIFY_RETRIES,
        speedup: float = 1.0,
        duplicates: int = 0,
        reorder: bool = False,
        seed: int = 0,
        timeout_s: float = 5.0,  # Shopify's: 1 s to connect, 5 s in all
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.url = url
        self.schedule = schedule
        self.speedup = speedup
        self.duplicates = duplicates
        self.reorder = reorder
        self.disabled = False
        self._random = random.Random(seed)  # noqa: S311 (test traffic, not crypto)
        self._timeout = httpx.Timeout(timeout_s, connect=min(1.0, timeout_s))
        self._transport = transport
        self._queue: list[_Send] = []
        self._seq = itertools.count()
        self._failed_in_a_row = 0
        self._closed = False
        self._changed = threading.Condition()
        self._worker = threading.Thread(target=self._run, name="webhook-emitter", daemon=True)
        self._worker.start()

    def __enter__(self) -> WebhookEmitter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def send(self, deliveries: Sequence[Delivery]) -> list[Future[Attempt]]:
        """Queue ``deliveries`` and return at once; each future ends with its ``Attempt``."""
        sends = [delivery for delivery in deliveries for _ in range(1 + self.duplicates)]
        if self.reorder:
            self._random.shuffle(sends)
        now = time.monotonic()
        queued = [_Send(now, next(self._seq), delivery, Future()) for delivery in sends]
        with self._changed:
            if self._closed:
                raise RuntimeError("the webhook emitter is closed")
            for item in queued:
                heapq.heappush(self._queue, item)
            self._changed.notify()
        return [item.outcome for item in queued]

    def deliver(self, deliveries: Sequence[Delivery]) -> list[Attempt]:
        """``send`` and wait until every delivery has ended (the whole retry schedule)."""
        outcomes = self.send(deliveries)
        wait(outcomes)
        return [outcome.result() for outcome in outcomes]

    def close(self) -> None:
        with self._changed:
            self._closed = True
            abandoned, self._queue = self._queue, []
            self._changed.notify()
        for item in abandoned:
            item.outcome.cancel()
        self._worker.join()

    def _run(self) -> None:
        with httpx.Client(timeout=self._timeout, transport=self._transport) as http:
            while (item := self._next_due()) is not None:
                if self.disabled:
                    item.outcome.set_result(Attempt(item.delivery, None, item.tries))
                    continue
                item.tries += 1
                status = self._post(http, item.delivery)
                self._settle(item, status)

    def _next_due(self) -> _Send | None:
        with self._changed:
            while not self._closed:
                if self._queue and self._queue[0].due <= time.monotonic():
                    return heapq.heappop(self._queue)
                timeout = self._queue[0].due - time.monotonic() if self._queue else None
                self._changed.wait(timeout)
            return None

    def _post(self, http: httpx.Client, delivery: Delivery) -> int | None:
        try:
            return http.post(
                self.url, content=delivery.body, headers=dict(delivery.headers)
            ).status_code
        except httpx.TransportError:
            return None  # refused, reset or timed out: a failed try, as for the platform

    def _settle(self, item: _Send, status: int | None) -> None:
        delivered = status is not None and 200 <= status < 300
        if not delivered and item.tries <= self.schedule.retries:
            delay_s = self.schedule.retry_delays_s[item.tries - 1] / self.speedup
            item.due = time.monotonic() + delay_s
            with self._changed:
                if not self._closed:
                    heapq.heappush(self._queue, item)
                    return
            item.outcome.cancel()
            return
        self._failed_in_a_row = 0 if delivered else self._failed_in_a_row + 1
        limit = self.schedule.disable_after
        if limit is not None and self._failed_in_a_row >= limit:
            self.disabled = True
        item.outcome.set_result(Attempt(item.delivery, status, item.tries))
