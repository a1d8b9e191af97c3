"""The sandbox storefront's state: products and their variants, locations, inventory items by
SKU, levels, orders with their fulfilment orders, fulfilments, refunds, and Shopify Payments
payouts. Guarded by one lock: the server thread writes, tests read.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal


def gid(kind: str, number: int) -> str:
    return f"gid://shopify/{kind}/{number}"


@dataclass
class OrderLine:
    id: int
    sku: str
    title: str
    quantity: int
    price: str


@dataclass
class FulfilmentOrderLine:
    id: str
    line: OrderLine
    remaining: int


@dataclass
class FulfilmentOrder:
    id: str
    status: str  # OPEN, IN_PROGRESS, CLOSED
    lines: list[FulfilmentOrderLine]


@dataclass
class Fulfilment:
    id: str
    tracking: list[dict[str, str | None]]
    created_at: datetime
    status: str = "SUCCESS"


@dataclass
class RefundLine:
    line: OrderLine
    quantity: int
    restock_type: str  # NO_RESTOCK, CANCEL, RETURN


@dataclass
class Refund:
    id: str
    note: str | None
    lines: list[RefundLine]
    amount: Decimal  # what its transactions gave back
    created_at: datetime


@dataclass
class Order:
    """An order paid in full when placed: one successful SALE of ``total`` on ``gateway``."""

    id: int
    name: str
    lines: list[OrderLine]
    created_at: datetime
    currency: str = "EUR"
    gateway: str = "bogus"
    fulfilment_orders: list[FulfilmentOrder] = field(default_factory=list)
    fulfilments: list[Fulfilment] = field(default_factory=list)
    refunds: list[Refund] = field(default_factory=list)
    # Set by orderCancel: when, why (an OrderCancelReason) and the staff's note.
    cancelled_at: datetime | None = None
    cancel_reason: str | None = None
    cancel_note: str | None = None

    @property
    def gid(self) -> str:
        return gid("Order", self.id)

    @property
    def total(self) -> Decimal:
        return sum((Decimal(line.price) * line.quantity for line in self.lines), Decimal(0))

    @property
    def refunded(self) -> Decimal:
        return sum((refund.amount for refund in self.refunds), Decimal(0))

    def refunded_quantity(self, line: OrderLine) -> int:
        return sum(r.quantity for refund in self.refunds for r in refund.lines if r.line is line)


@dataclass
class Variant:
    """A product variant; money as Shopify's ``Money`` strings (``"19.99"``)."""

    id: str
    sku: str
    price: str
    compare_at_price: str | None = None
    barcode: str | None = None
    weight_kg: str | None = None


@dataclass
class Product:
    id: str
    title: str
    description_html: str
    status: str  # ACTIVE, ARCHIVED, DRAFT
    variants: list[Variant]


SHOP_DOMAIN = "sandbox-shop.example.com"


@dataclass(frozen=True)
class BalanceTransaction:
    """One movement of the balance: a charge, a refund or an adjustment, with its fee."""

    id: int
    type: str  # CHARGE, REFUND, ADJUSTMENT
    amount: Decimal  # a refund's is negative
    fee: Decimal
    processed_at: datetime
    order: Order | None = None
    order_transaction_id: int | None = None  # the order transaction it comes from


@dataclass
class Payout:
    """A transfer of the balance to the bank."""

    id: int
    issued_at: datetime
    currency: str
    transactions: list[BalanceTransaction]
    status: str = "PAID"  # SCHEDULED, PAID, FAILED, CANCELED

    @property
    def net(self) -> Decimal:
        return sum((t.amount - t.fee for t in self.transactions), Decimal(0))


class Store:
    """Everything the sandbox holds; use ``locked()`` around reads that must be consistent."""

    def __init__(self, shop_domain: str = SHOP_DOMAIN) -> None:
        self.shop_domain = shop_domain  # its myshopify domain, as webhooks and ``shop`` say
        self._lock = threading.RLock()
        self._ids = itertools.count(1001)
        self.locations: dict[str, str] = {}  # id -> name
        self.items: dict[str, str] = {}  # sku -> inventory item id
        # (inventory item id, location id) -> {"available": n, "on_hand": n}
        self.levels: dict[tuple[str, str], dict[str, int]] = {}
        self.orders: dict[str, Order] = {}  # order gid -> order
        self.products: dict[str, Product] = {}  # product gid -> product
        self.payouts: dict[int, Payout] = {}  # Shopify Payments payouts by number
        self.mutations: list[str] = []  # root fields of the mutations applied, in order
        self.jobs: set[str] = set()  # the background jobs started (all run at once here)
        # every quantity set, in order: (sku, location id, name, quantity after), so that a
        # test can tell a stale level applied after a newer one
        self.quantities_set: list[tuple[str, str, str, int]] = []

    @contextmanager
    def locked(self) -> Iterator[Store]:
        with self._lock:
            yield self

    def next_id(self) -> int:
        with self._lock:
            return next(self._ids)

    def add_location(self, name: str) -> str:
        with self._lock:
            location = gid("Location", self.next_id())
            self.locations[location] = name
            return location

    def add_product(self, sku: str, available: int = 0) -> str:
        """An inventory item for ``sku``, stocked at every location."""
        with self._lock:
            item = gid("InventoryItem", self.next_id())
            self.items[sku] = item
            for location in self.locations:
                self.levels[(item, location)] = {"available": available, "on_hand": available}
            return item

    def variant(self, sku: str) -> tuple[Product, Variant] | None:
        """The product and variant that sell ``sku``, if any."""
        with self._lock:
            for product in self.products.values():
                for variant in product.variants:
                    if variant.sku == sku:
                        return product, variant
            return None

    def available(self, sku: str, location: str) -> int:
        with self._lock:
            return self.levels[(self.items[sku], location)]["available"]

    def place_order(
        self,
        lines: Iterable[tuple[str, int, str]],
        currency: str = "EUR",
        *,
        created_at: datetime | None = None,
    ) -> Order:
        """An order of (sku, quantity, unit price) lines, paid, with one open fulfilment
        order, placed now or at ``created_at`` (an order from before, for a backfill)."""
        with self._lock:
            number = self.next_id()
            order_lines = [
                OrderLine(self.next_id(), sku, f"Product {sku}", quantity, price)
                for sku, quantity, price in lines
            ]
            # Shopify keeps an order's times to the second.
            placed = (created_at or datetime.now(UTC)).replace(microsecond=0)
            order = Order(number, f"#{number}", order_lines, placed, currency)
            order.fulfilment_orders.append(
                FulfilmentOrder(
                    gid("FulfillmentOrder", self.next_id()),
                    "OPEN",
                    [
                        FulfilmentOrderLine(
                            gid("FulfillmentOrderLineItem", self.next_id()), line, line.quantity
                        )
                        for line in order_lines
                    ],
                )
            )
            self.orders[order.gid] = order
            return order

    def pay_out(
        self,
        transactions: Iterable[tuple[str, Order | None, str, str]],
        *,
        currency: str = "USD",
        status: str = "PAID",
        issued_at: datetime | None = None,
    ) -> Payout:
        """A payout of (type, order, amount, fee) balance transactions; each transaction of
        an order gets an order transaction id of its own."""
        with self._lock:
            now = issued_at or datetime.now(UTC)
            moved = [
                BalanceTransaction(
                    self.next_id(),
                    kind,
                    Decimal(amount),
                    Decimal(fee),
                    now,
                    order,
                    self.next_id() if order is not None else None,
                )
                for kind, order, amount, fee in transactions
            ]
            payout = Payout(self.next_id(), now, currency, moved, status)
            self.payouts[payout.id] = payout
            return payout

    def fulfilments(self, order: Order) -> list[Fulfilment]:
        with self._lock:
            return list(self.orders[order.gid].fulfilments)
