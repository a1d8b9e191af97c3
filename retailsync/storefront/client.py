"""Shopify's GraphQL Admin API over httpx, with its cost-based throttling waited out.

Shopify answers a query that costs more than the bucket holds with HTTP 200 and an error
of code ``THROTTLED``; ``extensions.cost.throttleStatus`` says how full the bucket is and
how fast it refills. That is not a failure: the client waits as long as the refill needs
and sends again, up to ``max_throttle_wait_s`` in all, then reports the storefront
unavailable so the service pauses.

Failures map onto the error tree: no connection or a timeout -> ``TargetUnavailableError``;
an HTTP status by ``retailsync.errors.status_kind`` (429/502/503/504 unavailable, other 5xx
transient, 401/403 a ``ConfigError`` naming the token, since a wrong token stops the
service; other 4xx permanent); GraphQL errors -> ``PermanentError``.
"""

from __future__ import annotations

import functools
import re
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from retailsync.channels.model import Channel
from retailsync.closing import Closing
from retailsync.errors import (
    ConfigError,
    PermanentError,
    TargetUnavailableError,
    TransientError,
    status_kind,
)
from retailsync.metrics import client_call
from retailsync.storefront.settings import StorefrontSettings

TARGET = "storefront"
_MIN_WAIT_S = 0.05


class StorefrontUserError(PermanentError):
    """The storefront refused a mutation's input (its ``userErrors``)."""

    def __init__(self, message: str, field: tuple[str, ...] = ()) -> None:
        self.field = field
        super().__init__(message)


class StorefrontClient(Closing):
    """Runs GraphQL documents against one shop; use as a context manager, or ``close``."""

    def __init__(
        self,
        http: httpx.Client,
        *,
        max_throttle_wait_s: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
        token_setting: tuple[str, str] = ("environment", "RETAILSYNC_STOREFRONT_ACCESS_TOKEN"),
    ) -> None:
        self._http = http
        self._token_setting = token_setting  # (source, key) named when the token is refused
        self._max_throttle_wait_s = max_throttle_wait_s
        self._sleep = sleep
        self.throttled_s = 0.0  # time spent waiting for the bucket, for the operator

    @classmethod
    def from_settings(cls, settings: StorefrontSettings) -> StorefrontClient:
        """A client of ``storefront_url``; ConfigError when it or the token is missing."""
        if not settings.storefront_url:
            raise ConfigError("environment", "RETAILSYNC_STOREFRONT_URL", "required")
        if settings.storefront_access_token is None:
            raise ConfigError("environment", "RETAILSYNC_STOREFRONT_ACCESS_TOKEN", "required")
        base = settings.storefront_url.rstrip("/")
        http = httpx.Client(
            base_url=f"{base}/admin/api/{settings.storefront_api_version}/",
            headers={"X-Shopify-Access-Token": settings.storefront_access_token.get_secret_value()},
            timeout=settings.storefront_timeout_s,
        )
        return cls(http)

    @classmethod
    def from_channel(cls, channel: Channel, *, timeout_s: float = 10.0) -> StorefrontClient:
        """A client of a ``shopify`` channel; ConfigError naming its key for what it lacks."""
        if not channel.url:
            raise ConfigError(channel.source, channel.setting_key("url"), "required")
        token = channel.secret("access_token")
        http = httpx.Client(
            base_url=f"{channel.url.rstrip('/')}/admin/api/{channel.option('api_version')}/",
            headers={"X-Shopify-Access-Token": token.get_secret_value()},
            timeout=timeout_s,
        )
        return cls(http, token_setting=(channel.source, channel.setting_key("access_token")))

    def execute(self, document: str, variables: Mapping[str, Any]) -> dict[str, Any]:
        """The ``data`` of ``document`` run with ``variables``."""
        waited = 0.0
        operation = _operation(document)
        while True:
            with client_call(TARGET, operation):
                reply = self._post({"query": document, "variables": dict(variables)})
            wait = _throttle_wait(reply)
            if wait is None:
                return _data(reply)
            if waited + wait > self._max_throttle_wait_s:
                raise TargetUnavailableError(
                    f"the storefront stayed throttled for {waited:.1f}s", TARGET
                )
            self._sleep(wait)
            waited += wait
            self.throttled_s += wait

    def close(self) -> None:
        self._http.close()

    def _post(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        try:
            response = self._http.post("graphql.json", json=payload)
        except (httpx.TimeoutException, httpx.NetworkError) as exc:
            raise TargetUnavailableError(f"{type(exc).__name__}: {exc}", TARGET) from None
        status = response.status_code
        if status >= 400:
            kind = status_kind(status)
            if kind == "unavailable":
                raise TargetUnavailableError(f"HTTP {status} from the storefront", TARGET)
            if kind == "transient":
                raise TransientError(f"HTTP {status} from the storefront")
            if kind == "unauthorized":
                raise ConfigError(*self._token_setting, f"HTTP {status}")
            raise PermanentError(f"HTTP {status} from the storefront: {response.text[:500]}")
        try:
            reply = response.json()
        except ValueError:
            raise TransientError("the storefront answered something that is not JSON") from None
        if not isinstance(reply, dict):
            raise TransientError("the storefront answered something that is not a JSON object")
        return reply


@functools.lru_cache(maxsize=64)
def _operation(document: str) -> str:
    """The operation's name (``SetAvailable``), the label of its calls in the metrics."""
    found = re.match(r"\s*(?:query|mutation)\s+(\w+)", document)
    return found.group(1) if found else "anonymous"


def _throttle_wait(reply: Mapping[str, Any]) -> float | None:
    """Seconds until the bucket holds the query's cost, if the reply says THROTTLED."""
    errors = reply.get("errors") or []
    if not any(_code(error) == "THROTTLED" for error in errors):
        return None
    cost = (reply.get("extensions") or {}).get("cost") or {}
    status = cost.get("throttleStatus") or {}
    rate = float(status.get("restoreRate") or 0) or 1.0
    missing = float(cost.get("requestedQueryCost") or 0) - float(
        status.get("currentlyAvailable") or 0
    )
    return max(_MIN_WAIT_S, missing / rate)


def _data(reply: Mapping[str, Any]) -> dict[str, Any]:
    errors = reply.get("errors")
    if errors:
        messages = "; ".join(str(error.get("message", error)) for error in errors)
        raise PermanentError(f"the storefront refused the query: {messages}")
    data = reply.get("data")
    if not isinstance(data, dict):
        raise TransientError("the storefront answered without data")
    return data


def _code(error: Any) -> str | None:
    if not isinstance(error, dict):
        return None
    code = (error.get("extensions") or {}).get("code")
    return str(code) if code is not None else None
