"""The Salesforce Commerce API (SCAPI) Orders API over httpx, for one site of one channel:
orders by export status and their export status (the order export), exported orders by
when they last changed (the change poll), and what fulfilment reports back (shipping
status, OMS fulfilment events, a cancellation as the order's status, a return's refund as
an OMS adjustment and the external status); OCAPI's Data API
inventory records.

Calls carry Account Manager's bearer token (``TokenSource``), fetched again before it
expires. A 401 gets one new token and one more try; a second 401 is a ``ConfigError``
naming the channel's credentials, since the API client lacks the right. 429 (after its
``Retry-After``), 502/503/504, other 5xx and lost connections are retried with capped,
jittered backoff (``retailsync.retrying``), then raised as ``TargetUnavailableError`` or
``TransientError``; other 4xx are ``PermanentError``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal
from urllib.parse import quote

import httpx

from retailsync.channels.model import Channel
from retailsync.closing import Closing
from retailsync.errors import (
    ConfigError,
    PermanentError,
    RetryableCallError,
    TargetUnavailableError,
    TransientError,
    status_kind,
)
from retailsync.metrics import client_call
from retailsync.retrying import call_with_retries, retry_after
from retailsync.sfcc.pricebook import PriceBookPrices, site_archive
from retailsync.sfcc.token import TARGET, TokenSource

ExportStatus = Literal["not_exported", "exported", "ready", "failed"]
ShippingStatus = Literal["not_shipped", "part_shipped", "shipped"]
OrderStatus = Literal["created", "new", "completed", "cancelled", "failed"]
ORDERS_PATH = "/checkout/orders/v1/organizations/{organization_id}/orders"
_EXTERNAL_STATUS_MAX = 256  # OrderExternalStatusUpdateRequest.status, spec 1.5.2
DATA_API_PATH = "/s/-/dw/data/v23_2"
# Prices go in as a site archive: uploaded to the instance's IMPEX by WebDAV, imported by
# this system job (neither SCAPI nor the Data API writes price books directly).
IMPORT_JOB = "sfcc-site-archive-import"
WEBDAV_IMPEX = "/on/demandware.servlet/webdav/Sites/Impex/src/instance"
# What setting a product's allocation came to: set, or the product or list is missing.
AllocationOutcome = Literal["set", "no_product", "no_list"]


@dataclass(frozen=True, slots=True)
class Order:
    """One order of a page: its number and its JSON as the API returned it."""

    order_no: str
    body: bytes


@dataclass(frozen=True, slots=True)
class OrderPage:
    """A page of getOrders. The API says nothing of the total (its answer is ``data`` alone,
    spec 1.5.2): a page shorter than its limit is the last."""

    orders: tuple[Order, ...]
    last: bool


class SfccClient(Closing):
    """The Orders API of one site; use as a context manager, or ``close``."""

    def __init__(
        self,
        http: httpx.Client,
        tokens: TokenSource,
        *,
        organization_id: str,
        site_id: str,
        source: str,
        data_api_url: str | None = None,
        data_api_key: str = "ocapi_url",
        secret_key: str,
        webdav_credentials: Callable[[], tuple[str, str]] | None = None,
        max_attempts: int = 5,
        max_retry_s: float = 60.0,
        import_timeout_s: float = 300.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._http = http
        self._instance = data_api_url.rstrip("/") if data_api_url else None
        self._webdav_credentials = webdav_credentials
        self._import_timeout_s = import_timeout_s
        self.tokens = tokens
        self.site_id = site_id
        self._data_api_key = data_api_key  # where data_api_url is configured, for errors
        self._data_api = f"{data_api_url.rstrip('/')}{DATA_API_PATH}" if data_api_url else None
        self._orders = ORDERS_PATH.format(organization_id=organization_id)
        self._source = source
        self._secret_key = secret_key
        # Where the WebDAV user is configured, for errors.
        self._webdav_key = secret_key.rpartition(".")[0] + ".webdav_access_key"
        self._max_attempts = max_attempts
        self._max_retry_s = max_retry_s
        self._sleep = sleep

    @classmethod
    def from_channel(
        cls,
        channel: Channel,
        *,
        timeout_s: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
        **options: Any,
    ) -> SfccClient:
        """A client of ``channel`` (an ``sfcc`` channel); ConfigError for what it lacks."""
        if channel.url is None:
            raise ConfigError(channel.source, channel.setting_key("url"), "required")
        organization_id = channel.option("organization_id")
        http = httpx.Client(base_url=channel.url.rstrip("/"), timeout=timeout_s)
        secret_key = channel.setting_key("client_secret")
        tokens = TokenSource(
            http,
            channel.option("token_url"),
            channel.secret("client_id"),
            channel.secret("client_secret"),
            # SCAPI's tenant id is the organization id without its f_ecom_ prefix.
            scope=f"SALESFORCE_COMMERCE_API:{organization_id.removeprefix('f_ecom_')} "
            "sfcc.orders.rw",
            source=channel.source,
            secret_key=secret_key,
            clock=clock,
        )
        return cls(
            http,
            tokens,
            organization_id=organization_id,
            site_id=channel.option("site_id"),
            source=channel.source,
            data_api_url=channel.options.get("ocapi_url"),
            data_api_key=channel.setting_key("ocapi_url"),
            secret_key=secret_key,
            # Read when prices are first sent: a channel that gets none needs no such user.
            webdav_credentials=lambda: (
                channel.secret("webdav_username").get_secret_value(),
                channel.secret("webdav_access_key").get_secret_value(),
            ),
            **options,
        )

    def orders(
        self,
        export_status: ExportStatus | None = "ready",
        *,
        offset: int = 0,
        limit: int = 50,
        created_from: datetime | None = None,
    ) -> OrderPage:
        """A page of the site's orders, oldest first: with ``export_status`` (None: any),
        created at or after ``created_from`` if given."""
        # The API sorts newest first unless told otherwise.
        params: dict[str, str | int] = {"sortBy": "creation_date", "sortOrder": "asc"}
        if export_status is not None:
            params["exportStatus"] = export_status
        if created_from is not None:
            params["creationDateFrom"] = _timestamp(created_from)
        return self._page(params, offset, limit)

    def changed_orders(
        self,
        since: datetime,
        until: datetime,
        *,
        export_status: ExportStatus = "exported",
        offset: int = 0,
        limit: int = 50,
    ) -> OrderPage:
        """A page of the site's orders with ``export_status`` last modified at or after
        ``since`` and before ``until`` (to the millisecond), least recently modified first."""
        params: dict[str, str | int] = {
            "exportStatus": export_status,
            "lastModifiedDateFrom": _timestamp(since),
            "lastModifiedDateTo": _timestamp(until),
            "sortBy": "last_modified_date",
            "sortOrder": "asc",
        }
        return self._page(params, offset, limit)

    def _page(self, params: dict[str, str | int], offset: int, limit: int) -> OrderPage:
        query = {**params, "siteId": self.site_id, "offset": offset, "limit": limit}
        reply = self._call("getOrders", "GET", self._orders, params=query).json()
        try:
            data = reply.get("data") or []
            orders = tuple(
                Order(str(order["orderNo"]), json.dumps(order).encode()) for order in data
            )
            return OrderPage(orders, last=len(orders) < limit)
        except (AttributeError, KeyError, TypeError, ValueError):
            raise TransientError("the Orders API answered a page without orders") from None

    def set_export_status(self, order_no: str, status: ExportStatus) -> None:
        self._call(
            "updateOrderExportStatus", "PUT", f"{self._orders}/{order_no}/export-status",
            params={"siteId": self.site_id}, json={"status": status},
        )  # fmt: skip

    def set_external_status(self, order_no: str, status: str) -> None:
        """The order's external status, free text for a person (1 to 256 characters, cut to
        fit): the one field SCAPI Orders 1.5.2 gives an integration to say something on an
        order (it has no order notes)."""
        self._call(
            "updateOrderExternalStatus", "PUT", f"{self._orders}/{order_no}/external-status",
            params={"siteId": self.site_id}, json={"status": status[:_EXTERNAL_STATUS_MAX]},
        )  # fmt: skip

    def order(self, order_no: str) -> dict[str, Any] | None:
        """The site's order ``order_no`` as the API returns it; None when there is none."""
        response = self._call(
            "getOrder", "GET", f"{self._orders}/{quote(order_no, safe='')}",
            params={"siteId": self.site_id}, accept=404,
        )  # fmt: skip
        if response.status_code == 404:
            return None
        try:
            order = response.json()
        except ValueError:
            order = None
        if not isinstance(order, dict):
            raise TransientError("the Orders API answered an order that is no JSON object")
        return order

    def set_shipping_status(self, order_no: str, status: ShippingStatus) -> None:
        self._call(
            "updateOrderShippingStatus", "PUT",
            f"{self._orders}/{quote(order_no, safe='')}/shipping-status",
            params={"siteId": self.site_id}, json={"status": status},
        )  # fmt: skip

    def set_order_status(self, order_no: str, status: OrderStatus) -> str | None:
        """Set the order's status (``updateOrderStatus``); None when set, else the API's
        reason for refusing the transition (HTTP 409)."""
        response = self._call(
            "updateOrderStatus", "PUT", f"{self._orders}/{quote(order_no, safe='')}/status",
            params={"siteId": self.site_id}, json={"status": status}, accept=409,
        )  # fmt: skip
        if response.status_code != 409:
            return None
        try:
            problem = response.json()
            return str(problem.get("detail") or problem.get("title"))
        except (ValueError, AttributeError):
            return response.text[:500]

    def report_fulfilment(self, order_no: str, event: dict[str, Any]) -> None:
        """Send an OMS fulfilment event (``createOmsStatusEvent``) for the order."""
        self._status_event(order_no, {"fulfillmentEvent": event})

    def report_adjustment(self, order_no: str, adjustment: dict[str, Any]) -> None:
        """Send an OMS adjustment (a return, refund, credit: ``createOmsStatusEvent``) for
        the order: signed line quantities and totals in minor units."""
        self._status_event(order_no, {"adjustment": adjustment})

    def _status_event(self, order_no: str, body: dict[str, Any]) -> None:
        self._call(
            "createOmsStatusEvent", "POST",
            f"{self._orders}/{quote(order_no, safe='')}/oms-status-events",
            params={"siteId": self.site_id}, json=body,
        )  # fmt: skip

    def import_prices(self, books: Mapping[str, PriceBookPrices]) -> None:
        """Merge ``books`` into their price books: a site archive uploaded to IMPEX by WebDAV,
        imported by the ``sfcc-site-archive-import`` job (Data API), waited for, deleted.
        A failed import is a PermanentError with the job's message."""
        if self._data_api is None or self._instance is None:
            raise ConfigError(self._source, self._data_api_key, "required to send prices")
        name, archive = site_archive(books)
        upload = f"{self._instance}{WEBDAV_IMPEX}/{quote(name)}"
        self._webdav("PUT", upload, archive)
        executions = f"{self._data_api}/jobs/{IMPORT_JOB}/executions"
        reply = self._call("postJobExecution", "POST", executions, json={"file_name": name})
        execution = self._finished(executions, reply.json())
        self._webdav("DELETE", upload, None)
        status = execution.get("exit_status") or {}
        if execution.get("execution_status") != "finished" or status.get("code") == "ERROR":
            raise PermanentError(f"the SFCC price import failed: {status.get('message')}")

    def _finished(self, executions: str, execution: dict[str, Any]) -> dict[str, Any]:
        """The job execution once it finished or was aborted; TransientError when it runs
        longer than the import timeout (importing the same prices again is harmless)."""
        deadline = time.monotonic() + self._import_timeout_s
        while execution.get("execution_status") not in ("finished", "aborted"):
            if time.monotonic() > deadline:
                raise TransientError(f"the SFCC price import ran over {self._import_timeout_s}s")
            self._sleep(1.0)
            path = f"{executions}/{quote(str(execution.get('id')), safe='')}"
            execution = self._call("getJobExecution", "GET", path).json()
        return execution

    def _webdav(self, method: str, url: str, content: bytes | None) -> None:
        if self._webdav_credentials is None:
            raise ConfigError(self._source, self._webdav_key, "required to send prices")
        try:
            with client_call(TARGET, f"webdav {method}"):
                response = self._http.request(
                    method, url, content=content, auth=self._webdav_credentials()
                )
        except (httpx.TimeoutException, httpx.NetworkError) as exc:
            raise TargetUnavailableError(f"{type(exc).__name__} on SFCC WebDAV", TARGET) from None
        status = response.status_code
        if status < 400 or (method == "DELETE" and status == 404):
            return
        kind = status_kind(status)
        if kind == "unauthorized" or status == 401:
            raise ConfigError(
                self._source, self._webdav_key, f"SFCC WebDAV refused the user (HTTP {status})"
            )
        if kind == "unavailable":
            raise TargetUnavailableError(f"HTTP {status} from SFCC WebDAV", TARGET)
        if kind == "transient":
            raise TransientError(f"HTTP {status} from SFCC WebDAV")
        raise PermanentError(f"HTTP {status} from SFCC WebDAV {method}")

    def set_allocation(
        self, inventory_list_id: str, product_id: str, amount: int
    ) -> AllocationOutcome:
        """Set what ``inventory_list_id`` allocates of ``product_id`` (OCAPI Data API):
        update its record, or create one when it has none."""
        if self._data_api is None:
            raise ConfigError(
                self._source, self._data_api_key, "required to send stock to inventory lists"
            )
        path = self._record_path(self._data_api, inventory_list_id, product_id)
        body = {"allocation": {"amount": amount}}
        response = self._call("updateProductInventoryRecord", "PATCH", path, json=body, accept=404)
        fault = _fault_type(response)
        if fault == "ProductInventoryRecordNotFoundException":
            response = self._call(
                "createProductInventoryRecord", "PUT", path, json=body, accept=404
            )
            fault = _fault_type(response)
        if response.status_code != 404:
            return "set"
        if fault == "ProductNotFoundException":
            return "no_product"
        if fault == "InventoryListNotFoundException":
            return "no_list"
        raise PermanentError(f"HTTP 404 from SFCC inventory records: {response.text[:500]}")

    def allocation(self, inventory_list_id: str, product_id: str) -> int | None:
        """What ``inventory_list_id`` allocates of ``product_id``; None without a record."""
        if self._data_api is None:
            raise ConfigError(self._source, self._data_api_key, "required to read inventory lists")
        path = self._record_path(self._data_api, inventory_list_id, product_id)
        response = self._call("getProductInventoryRecord", "GET", path, accept=404)
        if response.status_code == 404:
            return None
        return int(Decimal(str(response.json()["allocation"]["amount"])))

    @staticmethod
    def _record_path(data_api: str, inventory_list_id: str, product_id: str) -> str:
        return (
            f"{data_api}/inventory_lists/{quote(inventory_list_id, safe='')}"
            f"/product_inventory_records/{quote(product_id, safe='')}"
        )

    def close(self) -> None:
        self._http.close()

    def _call(
        self, operation: str, method: str, path: str, accept: int = 0, **request: Any
    ) -> httpx.Response:
        """The response to the request, retried as the module says; ``accept`` is a 4xx
        status the caller reads itself."""
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
        response = self._request(operation, method, path, request, self.tokens.token())
        if response.status_code == 401:
            # The token may have been revoked early: one new token, one more try.
            response = self._request(operation, method, path, request, self.tokens.refresh())
            if response.status_code == 401:
                raise ConfigError(
                    self._source, self._secret_key,
                    f"the API client is not allowed to call {operation} (HTTP 401)",
                )  # fmt: skip
        status = response.status_code
        if status < 400 or status == accept:
            return response
        kind = status_kind(status)
        if kind in ("unavailable", "transient"):
            raise RetryableCallError(
                f"HTTP {status} from SFCC {operation}",
                unavailable=kind == "unavailable",
                retry_after=retry_after(response),
            )
        if kind == "unauthorized":  # 403
            raise ConfigError(
                self._source,
                self._secret_key,
                f"the API client may not call {operation} (HTTP {status})",
            )
        raise PermanentError(f"HTTP {status} from SFCC {operation}: {response.text[:500]}")

    def _request(
        self, operation: str, method: str, path: str, request: dict[str, Any], token: str
    ) -> httpx.Response:
        try:
            with client_call(TARGET, operation):
                return self._http.request(
                    method, path, headers={"Authorization": f"Bearer {token}"}, **request
                )
        except (httpx.TimeoutException, httpx.NetworkError) as exc:
            raise RetryableCallError(
                f"{type(exc).__name__} calling SFCC {operation}", unavailable=True
            ) from None


def _timestamp(moment: datetime) -> str:
    """``moment`` as the API's query parameters take it: UTC, to the millisecond."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _fault_type(response: httpx.Response) -> str | None:
    """The type of OCAPI's fault document, if the response is one."""
    try:
        fault = response.json().get("fault") or {}
        return str(fault.get("type")) if isinstance(fault, dict) else None
    except (ValueError, AttributeError):
        return None
