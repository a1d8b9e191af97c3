"""What the WooCommerce stand-in holds: API keys, products and their variations, orders with
their notes and refunds, and the switches tests turn (throttling)."""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Literal

Permissions = Literal["read", "write", "read_write"]
ProductType = Literal["simple", "variable", "variation"]
STOCK_STATUSES = ("instock", "outofstock", "onbackorder")
ORDER_STATUSES = (
    "pending", "processing", "on-hold", "completed", "cancelled", "refunded", "failed",
    "checkout-draft", "trash",
)  # fmt: skip
# Payment gateways (WooCommerce's ids and titles): the offline ones cannot pay money back
# (no ``supports('refunds')``); the card gateways' plugins refund through their API.
GATEWAYS = {
    "bacs": "Direct bank transfer", "cheque": "Check payments", "cod": "Cash on delivery",
    "stripe": "Credit Card (Stripe)", "woocommerce_payments": "WooPayments",
}  # fmt: skip
REFUNDING_GATEWAYS = frozenset({"stripe", "woocommerce_payments"})


def now_gmt() -> str:
    """WooCommerce's ``*_gmt`` times: ISO 8601 to the second, UTC, without an offset."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S")


@dataclass
class Product:
    """A product or a variation (``parent_id`` names its variable product)."""

    id: int
    sku: str
    name: str
    type: ProductType = "simple"
    parent_id: int = 0
    manage_stock: bool = False
    stock_quantity: int | None = None
    backorders: Literal["no", "notify", "yes"] = "no"
    stock_status: str = "instock"
    date_modified_gmt: str = field(default_factory=now_gmt)
    # Every stock quantity set through the API, in order: what a test counts.
    stock_updates: list[int] = field(default_factory=list)

    def set_stock(self, quantity: int) -> None:
        """As WooCommerce does when it manages the stock: the status follows the quantity."""
        self.stock_quantity = quantity
        self.stock_updates.append(quantity)
        if quantity > 0:
            self.stock_status = "instock"
        else:
            self.stock_status = "outofstock" if self.backorders == "no" else "onbackorder"
        self.date_modified_gmt = now_gmt()


@dataclass(frozen=True)
class Line:
    id: int
    sku: str
    product_id: int
    quantity: int
    price: Decimal


@dataclass(frozen=True)
class RefundLine:
    """Units of an order line a refund gives back: ``total`` without tax, and its tax."""

    id: int
    line: Line
    quantity: int
    total: Decimal
    tax: Decimal


@dataclass(frozen=True)
class Refund:
    id: int
    amount: Decimal
    reason: str
    refunded_payment: bool  # the gateway paid the money back (``api_refund``)
    lines: tuple[RefundLine, ...]
    date_created_gmt: str = field(default_factory=now_gmt)


class RefundRefusedError(Exception):
    """Why ``wc_create_refund`` refused a refund: its message."""


@dataclass
class Order:
    id: int
    status: str
    currency: str
    lines: tuple[Line, ...]
    payment_method: str = "bacs"
    date_created_gmt: str = field(default_factory=now_gmt)
    date_modified_gmt: str = field(default_factory=now_gmt)
    notes: list[dict[str, object]] = field(default_factory=list)
    refunds: list[Refund] = field(default_factory=list)  # oldest first
    # Every status set through the API, in order.
    status_updates: list[str] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return sum((line.price * line.quantity for line in self.lines), Decimal(0))

    @property
    def remaining_refund(self) -> Decimal:
        """What is left to refund: the total less every refund's amount."""
        return self.total - sum((refund.amount for refund in self.refunds), Decimal(0))


class Store:
    """Thread-safe: the server's thread and the test's both use it."""

    def __init__(self, keys: dict[str, tuple[str, Permissions]]) -> None:
        self.keys = keys  # consumer key -> (consumer secret, permissions)
        self.api_calls = 0  # every authenticated REST call answered, throttled ones too
        self.batch_calls = 0
        self._products: dict[int, Product] = {}
        self._orders: dict[int, Order] = {}
        self._ids = itertools.count(101)
        self._throttled = 0
        self._retry_after_s = 1
        self.lock = threading.RLock()

    # Products
    def add_product(
        self, sku: str, *, stock: int | None = None, backorders: Literal["no", "yes"] = "no"
    ) -> Product:
        """A simple product; ``stock`` None: the shop does not manage its stock."""
        with self.lock:
            product = Product(next(self._ids), sku, f"Product {sku}", backorders=backorders)
            self._products[product.id] = product
            if stock is not None:
                product.manage_stock = True
                product.set_stock(stock)
                product.stock_updates.clear()
            return product

    def add_variable(self, sku: str, variations: tuple[str, ...]) -> tuple[Product, list[Product]]:
        """A variable product and one variation per SKU, stock managed per variation."""
        with self.lock:
            parent = Product(next(self._ids), sku, f"Product {sku}", type="variable")
            self._products[parent.id] = parent
            children = []
            for child_sku in variations:
                child = Product(
                    next(self._ids), child_sku, f"{parent.name} - {child_sku}",
                    type="variation", parent_id=parent.id, manage_stock=True, stock_quantity=0,
                    stock_status="outofstock",
                )  # fmt: skip
                self._products[child.id] = child
                children.append(child)
            return parent, children

    def product(self, product_id: int) -> Product | None:
        with self.lock:
            return self._products.get(product_id)

    def by_sku(self, sku: str) -> Product | None:
        with self.lock:
            return next((p for p in self._products.values() if p.sku == sku), None)

    def products(self, skus: tuple[str, ...] | None, parent_id: int | None) -> list[Product]:
        """Products and variations in id order: with ``skus``, both kinds of those SKUs
        (as WooCommerce queries product and product_variation then); else the products,
        or the variations of ``parent_id``."""
        with self.lock:
            found = sorted(self._products.values(), key=lambda p: p.id)
        if skus is not None:
            found = [p for p in found if p.sku in skus]
        if parent_id is not None:
            return [p for p in found if p.parent_id == parent_id]
        if skus is None:
            return [p for p in found if p.type != "variation"]
        return found

    def variations_of(self, parent_id: int) -> list[int]:
        with self.lock:
            return [p.id for p in self._products.values() if p.parent_id == parent_id]

    # Orders
    def add_order(
        self,
        lines: list[tuple[str, int, str]],
        *,
        currency: str = "USD",
        status: str = "processing",
        created_gmt: str | None = None,
        payment_method: str = "bacs",
    ) -> Order:
        """An order of (sku, quantity, unit price) lines paid through ``payment_method`` (one
        of ``GATEWAYS``); ``created_gmt`` places it in the past (``YYYY-MM-DDTHH:MM:SS``,
        UTC)."""
        with self.lock:
            order_id = next(self._ids)
            items = []
            for sku, quantity, price in lines:
                product = self.by_sku(sku)
                items.append(
                    Line(next(self._ids), sku, product.id if product else 0, quantity,
                         Decimal(price))
                )  # fmt: skip
            order = Order(order_id, status, currency, tuple(items), payment_method)
            if created_gmt is not None:
                order.date_created_gmt = order.date_modified_gmt = created_gmt
            self._orders[order_id] = order
            return order

    def order(self, order_id: int) -> Order | None:
        with self.lock:
            return self._orders.get(order_id)

    def orders(self) -> list[Order]:
        with self.lock:
            return sorted(self._orders.values(), key=lambda o: o.id)

    def set_status(self, order: Order, status: str) -> None:
        with self.lock:
            order.status = status
            order.status_updates.append(status)
            order.date_modified_gmt = now_gmt()

    def add_note(self, order: Order, note: str, customer_note: bool) -> dict[str, object]:
        with self.lock:
            created = now_gmt()
            entry: dict[str, object] = {
                "id": next(self._ids), "author": "system", "date_created": created,
                "date_created_gmt": created, "note": note, "customer_note": customer_note,
            }  # fmt: skip
            order.notes.append(entry)
            return entry

    def create_refund(
        self,
        order: Order,
        amount: Decimal,
        reason: str,
        lines: list[tuple[int, int, Decimal, Decimal]],
        *,
        refund_payment: bool,
        restock: bool,
    ) -> Refund:
        """As ``wc_create_refund``: a refund of ``amount`` and of (line id, quantity, total,
        tax) lines (ids the order lacks are skipped, quantities not checked); the gateway
        pays it back when ``refund_payment``, the products managing stock get the units back
        when ``restock``; the order is ``refunded`` once nothing is left. RefundRefusedError
        with WooCommerce's message, and nothing kept, when it refuses."""
        with self.lock:
            if amount < 0 or amount > order.remaining_refund:
                raise RefundRefusedError("Invalid refund amount.")
            if refund_payment and order.payment_method not in REFUNDING_GATEWAYS:
                raise RefundRefusedError(
                    "The payment gateway for this order does not support automatic refunds."
                    if order.payment_method in GATEWAYS
                    else "The payment gateway for this order does not exist."
                )
            by_id = {line.id: line for line in order.lines}
            refund = Refund(
                next(self._ids), amount, reason, refund_payment,
                tuple(
                    RefundLine(next(self._ids), by_id[line_id], quantity, total, tax)
                    for line_id, quantity, total, tax in lines
                    if line_id in by_id and (quantity or total or tax)
                ),
            )  # fmt: skip
            order.refunds.append(refund)
            if restock:
                for line in refund.lines:
                    product = self.product(line.line.product_id)
                    if product is not None and product.manage_stock:
                        product.set_stock((product.stock_quantity or 0) + line.quantity)
            if order.remaining_refund == 0:
                order.status = "refunded"
            order.date_modified_gmt = now_gmt()
            return refund

    # Switches
    def throttle(self, requests: int, retry_after_s: int = 1) -> None:
        """Answer the next ``requests`` API calls 429 with ``Retry-After: retry_after_s``."""
        with self.lock:
            self._throttled = requests
            self._retry_after_s = retry_after_s

    def throttled(self) -> int | None:
        """Retry-After seconds if this call is throttled; counts the API call."""
        with self.lock:
            self.api_calls += 1
            if self._throttled <= 0:
                return None
            self._throttled -= 1
            return self._retry_after_s
