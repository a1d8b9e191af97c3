"""Webhooks as Shopify delivers them: signed, at least once, in any order, retried.

``shopify_delivery`` signs a payload and sets Shopify's headers; ``WebhookEmitter`` posts
deliveries to a receiver, each ``1 + duplicates`` times, shuffled when ``reorder``, and
retries what did not get a 2xx (no answer, or any other status) with a short backoff, at
most ``retries`` times, as Shopify does over hours.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
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
    """How a delivery ended: its last status, None when nothing answered."""

    delivery: Delivery
    status: int | None
    tries: int


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


class WebhookEmitter:
    """Posts deliveries to ``url`` with duplicates, reordering and retries."""

    def __init__(
        self,
        url: str,
        *,
        duplicates: int = 0,
        reorder: bool = False,
        retries: int = 3,
        backoff_s: float = 0.05,
        seed: int = 0,
        timeout_s: float = 10.0,
    ) -> None:
        self.url = url
        self.duplicates = duplicates
        self.reorder = reorder
        self.retries = retries
        self.backoff_s = backoff_s
        self._random = random.Random(seed)  # noqa: S311 (test traffic, not crypto)
        self._timeout_s = timeout_s

    def deliver(self, deliveries: Sequence[Delivery]) -> list[Attempt]:
        sends = [delivery for delivery in deliveries for _ in range(1 + self.duplicates)]
        if self.reorder:
            self._random.shuffle(sends)
        with httpx.Client(timeout=self._timeout_s) as http:
            return [self._send(http, delivery) for delivery in sends]

    def _send(self, http: httpx.Client, delivery: Delivery) -> Attempt:
        status: int | None = None
        for attempt in range(1, self.retries + 2):
            try:
                status = http.post(
                    self.url, content=delivery.body, headers=dict(delivery.headers)
                ).status_code
            except httpx.TransportError:
                status = None
            if status is not None and 200 <= status < 300:
                return Attempt(delivery, status, attempt)
            if attempt <= self.retries:
                time.sleep(self.backoff_s * 2 ** (attempt - 1))
        return Attempt(delivery, status, self.retries + 1)
