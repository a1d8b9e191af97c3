"""WooCommerce's REST API v3 over httpx, for one shop.

Calls carry the channel's consumer key and secret in HTTP Basic auth (WooCommerce's way
over HTTPS), or as the ``consumer_key``/``consumer_secret`` query parameters when the
channel sets ``query_string_auth`` (for servers that drop the Authorization header).

A 429 is throttling, not a failure: the call is sent again after its ``Retry-After``; 429,
502/503/504, other 5xx and lost connections are retried with capped, jittered backoff
(``retailsync.retrying``), then raised as ``TargetUnavailableError`` (the service pauses) or
``TransientError``. 401/403 are a ``ConfigError`` naming the channel's key; other 4xx are
``PermanentError``, and so is a refund WooCommerce refused: it answers that 500
``woocommerce_rest_cannot_create_order_refund`` (more than the order has left to refund, a
gateway that cannot or will not pay back), after deleting the refund it began, so sending
it again changes nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from retailsync.channels.model import Channel
from retailsync.closing import Closing
from retailsync.errors import ConfigError, PermanentError, RetryableCallError, status_kind
from retailsync.metrics import client_call
from retailsync.retrying import call_with_retries, retry_after

TARGET = "woocommerce"
API_PATH = "/wp-json/wc/v3"
# WooCommerce's limits: 100 items a batch request, 100 a page.
BATCH_LIMIT = 100
PAGE_LIMIT = 100
# SKUs per lookup: a comma-separated sku parameter, short enough for any URL limit.
_SKUS_PER_QUERY = 50
# WordPress error codes WooCommerce answers with a 5xx for a request it refused for good.
_REFUSALS = frozenset({"woocommerce_rest_cannot_create_order_refund"})


@dataclass(frozen=True, slots=True)
class WooProduct:
    """A product or a variation: ``parent_id`` is its variable product (0: none)."""

    id: int
    sku: str
    parent_id: int
    stock_quantity: int | None


@dataclass(frozen=True, slots=True)
class StockUpdate:
    product: WooProduct
    quantity: int


class WooCommerceClient(Closing):
    """The REST API of one shop; use as a context manager, or ``close``."""

    def __init__(
        self,
        http: httpx.Client,
        *,
        source: str = "environment",
        key_setting: str = "consumer_key",
        max_attempts: int = 5,
        max_retry_s: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._http = http
        self._source = source
        self._key_setting = key_setting  # where the credentials are configured, for errors
        self._max_attempts = max_attempts
        self._max_retry_s = max_retry_s
        self._sleep = sleep
        self.calls = 0  # requests sent, retries included, for the operator and the bench

    @classmethod
    def from_channel(
        cls, channel: Channel, *, timeout_s: float = 10.0, **options: Any
    ) -> WooCommerceClient:
        """A client of a ``woocommerce`` channel; ConfigError naming the key it lacks."""
        if not channel.url:
            raise ConfigError(channel.source, channel.setting_key("url"), "required")
        key = channel.secret("consumer_key").get_secret_value()
        secret = channel.secret("consumer_secret").get_secret_value()
        base_url = f"{channel.url.rstrip('/')}{API_PATH}"
        if channel.options.get("query_string_auth") == "True":
            http = httpx.Client(
                base_url=base_url,
                params={"consumer_key": key, "consumer_secret": secret},
                timeout=timeout_s,
            )
        else:
            http = httpx.Client(base_url=base_url, auth=(key, secret), timeout=timeout_s)
        return cls(
            http, source=channel.source, key_setting=channel.setting_key("consumer_key"),
            **options,
        )  # fmt: skip

    # Products
    def products_by_sku(self, skus: Iterable[str]) -> dict[str, WooProduct]:
        """The products and variations of ``skus`` the shop has, by SKU."""
        wanted = sorted(set(skus))
        found: dict[str, WooProduct] = {}
        for start in range(0, len(wanted), _SKUS_PER_QUERY):
            chunk = wanted[start : start + _SKUS_PER_QUERY]
            for document in self._pages("listProducts", "/products", {"sku": ",".join(chunk)}):
                # WooCommerce matches the comma-joined string as one SKU too: keep ours.
                if document.get("sku") in chunk:
                    found[str(document["sku"])] = _product(document)
        return found

    def set_stock(self, updates: Sequence[StockUpdate]) -> dict[int, str]:
        """Set each product's stock quantity (stock managed by the shop), through the batch
        endpoints: products in ``/products/batch``, variations in their product's
        ``/variations/batch``, 100 a request. Answers the refused ones: id -> why."""
        by_parent: dict[int, list[dict[str, Any]]] = {}
        for update in updates:
            item = {"id": update.product.id, "manage_stock": True,
                    "stock_quantity": update.quantity}  # fmt: skip
            by_parent.setdefault(update.product.parent_id, []).append(item)
        refused: dict[int, str] = {}
        for parent, items in by_parent.items():
            path = "/products/batch" if parent == 0 else f"/products/{parent}/variations/batch"
            for start in range(0, len(items), BATCH_LIMIT):
                chunk = items[start : start + BATCH_LIMIT]
                reply = self._call("batchProducts", "POST", path, json={"update": chunk}).json()
                for answer in reply.get("update") or ():
                    error = answer.get("error") if isinstance(answer, dict) else None
                    if error:
                        refused[int(answer.get("id") or 0)] = str(error.get("message", error))
        return refused

    # Orders
    def orders(self, created_after: datetime | None = None) -> list[dict[str, Any]]:
        """Every order of the shop (created after ``created_after``), oldest first, whatever
        its status."""
        params: dict[str, Any] = {"status": "any", "order": "asc"}
        if created_after is not None:
            # `after` is the creation time, exclusive; dates_are_gmt reads it as UTC.
            utc = created_after.astimezone(UTC).replace(tzinfo=None)
            params |= {"after": utc.isoformat(timespec="seconds"), "dates_are_gmt": "true"}
        return self._pages("listOrders", "/orders", params)

    def order(self, order_id: int) -> dict[str, Any] | None:
        """The order, or None when the shop has no order ``order_id``."""
        response = self._call("getOrder", "GET", f"/orders/{order_id}", accept=404)
        return None if response.status_code == 404 else dict(response.json())

    def set_order_status(self, order_id: int, status: str) -> None:
        self._call("updateOrder", "PUT", f"/orders/{order_id}", json={"status": status})

    def order_notes(self, order_id: int) -> list[dict[str, Any]]:
        return list(self._call("listOrderNotes", "GET", f"/orders/{order_id}/notes").json())

    def add_order_note(self, order_id: int, note: str, *, customer_note: bool) -> None:
        """A note on the order; a customer note is also emailed to the customer."""
        body = {"note": note, "customer_note": customer_note}
        self._call("createOrderNote", "POST", f"/orders/{order_id}/notes", json=body)

    def order_refunds(self, order_id: int) -> list[dict[str, Any]]:
        """The order's refunds (``GET /orders/<id>/refunds``), each with its ``reason``,
        ``amount`` and ``line_items`` (negative quantities, ``_refunded_item_id`` meta)."""
        return self._pages("listOrderRefunds", f"/orders/{order_id}/refunds", {})

    def create_refund(self, order_id: int, refund: dict[str, Any]) -> dict[str, Any]:
        """Create a refund of the order (``POST /orders/<id>/refunds``); the refund made.
        PermanentError with WooCommerce's message when it refuses it."""
        path = f"/orders/{order_id}/refunds"
        return dict(self._call("createOrderRefund", "POST", path, json=refund).json())

    def close(self) -> None:
        self._http.close()

    def _pages(self, operation: str, path: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        """Every document of a collection, page by page as ``X-WP-TotalPages`` says."""
        documents: list[dict[str, Any]] = []
        page, pages = 1, 1
        while page <= pages:
            paged = {**params, "page": page, "per_page": PAGE_LIMIT}
            response = self._call(operation, "GET", path, params=paged)
            documents.extend(response.json())
            pages = int(response.headers.get("x-wp-totalpages") or 1)
            page += 1
        return documents

    def _call(
        self, operation: str, method: str, path: str, accept: int = 0, **request: Any
    ) -> httpx.Response:
        """The response, retried as the module says; ``accept`` is a 4xx the caller reads."""
        return call_with_retries(
            lambda: self._send(operation, method, path, request, accept),
            target=TARGET,
            max_attempts=self._max_attempts,
            max_retry_s=self._max_retry_s,
            sleep=self._sleep,
        )

    def _send(
        self, operation: str, method: str, path: str, request: dict[str, Any], accept: int
    ) -> httpx.Response:
        self.calls += 1
        try:
            with client_call(TARGET, operation):
                response = self._http.request(method, path, **request)
        except (httpx.TimeoutException, httpx.NetworkError) as exc:
            raise RetryableCallError(
                f"{type(exc).__name__} calling WooCommerce {operation}", unavailable=True
            ) from None
        status = response.status_code
        if status < 400 or status == accept:
            return response
        if status >= 500 and _code(response) in _REFUSALS:
            raise PermanentError(
                f"WooCommerce refused {operation}: {_message(response)} (HTTP {status})"
            )
        kind = status_kind(status)
        if kind in ("unavailable", "transient"):
            raise RetryableCallError(
                f"HTTP {status} from WooCommerce {operation}",
                unavailable=kind == "unavailable",
                retry_after=retry_after(response),
            )
        if kind == "unauthorized":
            raise ConfigError(
                self._source, self._key_setting,
                f"WooCommerce refused the API key for {operation} (HTTP {status}: "
                f"{_code(response)})",
            )  # fmt: skip
        raise PermanentError(f"HTTP {status} from WooCommerce {operation}: {response.text[:500]}")


def _code(response: httpx.Response) -> str:
    """The ``code`` of WordPress's error document, for the operator."""
    try:
        return str(response.json().get("code"))
    except (ValueError, AttributeError):
        return "no error document"


def _message(response: httpx.Response) -> str:
    """The ``message`` of WordPress's error document."""
    try:
        return str(response.json().get("message"))[:500]
    except (ValueError, AttributeError):
        return response.text[:500]


def _product(document: dict[str, Any]) -> WooProduct:
    quantity = document.get("stock_quantity")
    return WooProduct(
        id=int(document["id"]),
        sku=str(document["sku"]),
        parent_id=int(document.get("parent_id") or 0),
        stock_quantity=int(quantity) if quantity is not None else None,
    )
