"""What the SFCC stand-in holds: API clients and their tokens, orders per site, and the
switches tests turn (token lifetime, throttling).

Every write to an order (its status, payment, export or shipping status, a note) sets its
``lastModified`` to the time of the write, in milliseconds, as B2C Commerce stamps a
persistent object on every change; a fulfilment event or an adjustment is forwarded and
changes nothing.
"""

from __future__ import annotations

import copy
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NamedTuple

EXPORT_STATUSES = ("not_exported", "exported", "ready", "failed")
SHIPPING_STATUSES = ("not_shipped", "part_shipped", "shipped")
PAYMENT_STATUSES = ("not_paid", "part_paid", "paid")
# Order status transitions SCAPI documents for updateOrderStatus (to -> allowed from).
_TRANSITIONS = {
    "created": ("failed",),
    "failed": ("created",),
    "new": ("created", "cancelled"),
    "completed": ("created", "new", "cancelled"),
    "cancelled": ("created", "new", "completed"),
}


class PriceTables(NamedTuple):
    """One price book: its currency, and each product's price (a decimal string)."""

    currency: str
    prices: dict[str, str]


class ImportFailedError(Exception):
    """Why a site archive import ended with ERROR."""


class TransitionRefusedError(Exception):
    """An order status the order cannot go to from where it is."""


@dataclass(frozen=True)
class OrderQuery:
    """getOrders' filters (each None: any) and its sort: a status filter holds the values
    an order may have; ``*_from`` bounds are inclusive, ``*_to`` bounds exclusive."""

    export_statuses: tuple[str, ...] | None = None
    statuses: tuple[str, ...] | None = None
    payment_statuses: tuple[str, ...] | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    modified_from: datetime | None = None
    modified_to: datetime | None = None
    by_last_modified: bool = False
    descending: bool = False

    def admits(self, order: StoredOrder) -> bool:
        document = order.document
        return (
            _within(self.export_statuses, document.get("exportStatus"))
            and _within(self.statuses, document.get("status"))
            and _within(self.payment_statuses, document.get("paymentStatus"))
            and _between(order.created_at, self.created_from, self.created_to)
            and _between(order.last_modified, self.modified_from, self.modified_to)
        )

    def sort_key(self, order: StoredOrder) -> datetime:
        return order.last_modified if self.by_last_modified else order.created_at


def _within(values: tuple[str, ...] | None, value: object) -> bool:
    return values is None or value in values


def _between(moment: datetime, start: datetime | None, end: datetime | None) -> bool:
    return (start is None or moment >= start) and (end is None or moment < end)


def stamp(moment: datetime) -> str:
    """``moment`` as SCAPI writes a timestamp: UTC, milliseconds, ``Z``."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class StoredOrder:
    site_id: str
    document: dict[str, Any]
    # Every export status set through the API, in order: what a test counts.
    export_updates: list[str] = field(default_factory=list)
    external_statuses: list[str] = field(default_factory=list)
    # Every shipping status and order status set, and every fulfilment event received,
    # in order.
    shipping_updates: list[str] = field(default_factory=list)
    status_updates: list[str] = field(default_factory=list)
    fulfilment_events: list[dict[str, Any]] = field(default_factory=list)
    adjustments: list[dict[str, Any]] = field(default_factory=list)  # OMS adjustments

    @property
    def order_no(self) -> str:
        return str(self.document["orderNo"])

    @property
    def created_at(self) -> datetime:
        return datetime.fromisoformat(self.document["creationDate"])

    @property
    def last_modified(self) -> datetime:
        return datetime.fromisoformat(self.document["lastModified"])

    @property
    def export_status(self) -> str:
        return str(self.document["exportStatus"])

    def touch(self) -> None:
        """Stamp a write to the order (the store's lock is held)."""
        self.document["lastModified"] = stamp(datetime.now(UTC))


class Store:
    """Thread-safe: the server's thread and the test's both use it."""

    def __init__(
        self,
        clients: dict[str, str],
        *,
        token_lifetime_s: int = 1799,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.clients = clients
        self.token_lifetime_s = token_lifetime_s
        self.tokens_issued = 0
        self.unauthorized_answers = 0
        self.inventory_writes = 0
        self.api_calls = 0  # every Orders and Data API request answered
        self._clock = clock
        self._tokens: dict[str, float] = {}  # token -> expiry
        self._orders: dict[tuple[str, str], StoredOrder] = {}
        self._products: set[str] = set()
        # inventory list -> product -> allocation amount (OCAPI's product inventory records)
        self._inventory: dict[str, dict[str, float]] = {}
        self._throttled = 0
        self._retry_after_s = 1
        self._failing_updates: int | None = None
        # WebDAV's Impex/src/instance files, price books, and job executions.
        self.webdav_users: dict[str, str] = {}
        self._impex: dict[str, bytes] = {}
        self._price_books: dict[str, PriceTables] = {}
        self._executions: dict[tuple[str, str], dict[str, Any]] = {}
        self.price_imports = 0
        self._lock = threading.Lock()

    # Tokens (Account Manager)
    def issue_token(self) -> tuple[str, int]:
        with self._lock:
            token = secrets.token_urlsafe(24)
            self._tokens[token] = self._clock() + self.token_lifetime_s
            self.tokens_issued += 1
            return token, self.token_lifetime_s

    def token_valid(self, token: str) -> bool:
        with self._lock:
            expiry = self._tokens.get(token)
            valid = expiry is not None and self._clock() < expiry
            if not valid:
                self.unauthorized_answers += 1
            return valid

    def live_tokens(self) -> int:
        """How many tokens issued so far are still valid."""
        with self._lock:
            now = self._clock()
            return sum(1 for expiry in self._tokens.values() if now < expiry)

    def revoke_tokens(self) -> None:
        """Every token issued so far is refused from now on, as after a secret rotation."""
        with self._lock:
            self._tokens.clear()

    # Orders
    def add_order(self, site_id: str, document: dict[str, Any]) -> StoredOrder:
        with self._lock:
            order = StoredOrder(site_id, copy.deepcopy(document))  # the server's own copy
            order.document.setdefault("lastModified", order.document["creationDate"])
            self._orders[(site_id, order.order_no)] = order
            return order

    def order(self, site_id: str, order_no: str) -> StoredOrder | None:
        with self._lock:
            return self._orders.get((site_id, order_no))

    def orders(self, site_id: str, query: OrderQuery | None = None) -> list[StoredOrder]:
        """The site's orders that ``query`` admits, in its order (oldest first by default;
        orders of the same moment in the order they were added)."""
        query = query or OrderQuery()
        with self._lock:
            found = [
                order
                for (site, _), order in self._orders.items()
                if site == site_id and query.admits(order)
            ]
        return sorted(found, key=query.sort_key, reverse=query.descending)

    def set_export_status(self, order: StoredOrder, status: str) -> None:
        with self._lock:
            order.document["exportStatus"] = status
            order.export_updates.append(status)
            order.touch()

    def set_external_status(self, order: StoredOrder, status: str) -> None:
        with self._lock:
            order.document["externalOrderStatus"] = status
            order.external_statuses.append(status)
            order.touch()

    def set_shipping_status(self, order: StoredOrder, status: str) -> None:
        with self._lock:
            order.document["shippingStatus"] = status
            order.shipping_updates.append(status)
            order.touch()

    def set_payment_status(self, order: StoredOrder, status: str) -> None:
        """Set the order's payment status (``PAYMENT_STATUSES``), as an OMS or a payment
        service does when money is taken or given back."""
        with self._lock:
            order.document["paymentStatus"] = status
            order.touch()

    def set_order_status(self, order: StoredOrder, status: str) -> None:
        """Set the order's status; TransitionRefusedError when the documentation forbids it."""
        with self._lock:
            current = str(order.document.get("status"))
            if status != current and current not in _TRANSITIONS[status]:
                raise TransitionRefusedError(f"An order in status {current} can't become {status}.")
            order.document["status"] = status
            order.status_updates.append(status)
            order.touch()

    def add_fulfilment_event(self, order: StoredOrder, event: dict[str, Any]) -> None:
        with self._lock:
            order.fulfilment_events.append(copy.deepcopy(event))

    def add_adjustment(self, order: StoredOrder, adjustment: dict[str, Any]) -> None:
        with self._lock:
            order.adjustments.append(copy.deepcopy(adjustment))

    # Inventory (OCAPI Data API)
    def add_inventory_list(self, list_id: str, products: tuple[str, ...] = ()) -> None:
        """An inventory list, and the catalog's products (records are made by PUT)."""
        with self._lock:
            self._inventory.setdefault(list_id, {})
            self._products.update(products)

    def has_list(self, list_id: str) -> bool:
        with self._lock:
            return list_id in self._inventory

    def has_product(self, product_id: str) -> bool:
        with self._lock:
            return product_id in self._products

    def allocation(self, list_id: str, product_id: str) -> float | None:
        """The record's allocation amount; None: no record."""
        with self._lock:
            return self._inventory.get(list_id, {}).get(product_id)

    def set_allocation(self, list_id: str, product_id: str, amount: float) -> None:
        with self._lock:
            self._inventory[list_id][product_id] = amount
            self.inventory_writes += 1

    # Price books (site archive imports)
    def webdav_user_valid(self, credentials: tuple[str, str] | None) -> bool:
        with self._lock:
            return (
                credentials is not None
                and self.webdav_users.get(credentials[0]) == (credentials[1])
            )

    def put_impex_file(self, name: str, content: bytes) -> bool:
        """Store ``name``; True when it replaced one."""
        with self._lock:
            replaced = name in self._impex
            self._impex[name] = content
            return replaced

    def delete_impex_file(self, name: str) -> bool:
        with self._lock:
            return self._impex.pop(name, None) is not None

    def impex_file(self, name: str) -> bytes | None:
        with self._lock:
            return self._impex.get(name)

    def impex_files(self) -> list[str]:
        with self._lock:
            return sorted(self._impex)

    def add_price_book(self, book_id: str, currency: str) -> None:
        with self._lock:
            self._price_books.setdefault(book_id, PriceTables(currency, {}))

    def price_book(self, book_id: str) -> PriceTables | None:
        with self._lock:
            return self._price_books.get(book_id)

    def import_prices(self, books: dict[str, PriceTables]) -> None:
        """Merge ``books`` in, all or nothing: a currency other than a book's own fails."""
        with self._lock:
            for book_id, tables in books.items():
                known = self._price_books.get(book_id)
                if known is not None and known.currency != tables.currency:
                    raise ImportFailedError(
                        f"Price book {book_id} is in {known.currency}, not {tables.currency}."
                    )
            for book_id, tables in books.items():
                known = self._price_books.setdefault(book_id, PriceTables(tables.currency, {}))
                known.prices.update(tables.prices)
            self.price_imports += 1

    def add_execution(self, job_id: str, document: dict[str, Any]) -> str:
        """Keep a job execution's final ``document`` under a new id; answer the id."""
        with self._lock:
            execution_id = str(len(self._executions) + 1)
            self._executions[(job_id, execution_id)] = {**document, "id": execution_id}
            return execution_id

    def execution(self, job_id: str, execution_id: str) -> dict[str, Any] | None:
        with self._lock:
            return self._executions.get((job_id, execution_id))

    # Switches
    def throttle(self, requests: int, retry_after_s: int = 1) -> None:
        """Answer the next ``requests`` API calls 429 with ``Retry-After: retry_after_s``."""
        with self._lock:
            self._throttled = requests
            self._retry_after_s = retry_after_s

    def throttled(self) -> int | None:
        """Retry-After seconds if this call is throttled; counts the API call."""
        with self._lock:
            self.api_calls += 1
            if self._throttled <= 0:
                return None
            self._throttled -= 1
            return self._retry_after_s

    def fail_export_updates(self, status: int | None) -> None:
        """Answer export status updates ``status`` (None: normally again)."""
        with self._lock:
            self._failing_updates = status

    def failing_updates(self) -> int | None:
        with self._lock:
            return self._failing_updates
