"""Storefront orders into Odoo: confirmed sale orders, each written exactly once.

The order ref (``channel:order id``) is the sale order's ``client_order_ref`` and names its
external id, ``retailsync.sale_order_<ref>`` in ``ir.model.data``, which Odoo keeps unique
on (module, name). A re-delivered order_created finds its order by ref and changes nothing
(a draft left by a crash between create and confirm is confirmed).

Why external ids: a search before a create is not idempotent when a ``create`` outlives
the client's timeout and commits afterwards (a loaded Odoo with several workers does
this): the retry's search finds nothing yet and a second order is made. So orders (and
new customers, ``retailsync.res_partner_<ref>``) are written with Odoo's import,
``load``, which creates a record and its external id in one transaction, with the
module-data rule ``mode: update`` + ``noupdate``: an external id that exists already
returns its record, untouched (a plain ``load`` would write it again and append the lines
a second time). A late write that arrives after the retry made the order thus changes
nothing; one that races it is refused by Odoo (a serialization failure, transient) and
the retry then finds the order. Another key Odoo enforces was not at hand:
``client_order_ref`` has no unique constraint, and adding one needs a module on the
Odoo side.

Each line gets an external id too, naming the channel's line ref
(``retailsync.odoo.external_ids.sale_line_id``): change capture reads it back to tell
shipped lines by the channel's ref, with no custom field in Odoo.

Under a backlog a batch of orders costs a handful of calls: one ``search_read`` each for
existing orders, products and customers, one ``load`` of the missing customers, one of
the orders, and one ``action_confirm``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import TypeVar

from retailsync.errors import PermanentError
from retailsync.events import OrderCreated, OrderLine
from retailsync.odoo import OdooClient
from retailsync.odoo.external_ids import external_id, sale_line_id

ORDER = "sale.order"
PRODUCT = "product.product"
PARTNER = "res.partner"
# Create once: an external id that exists already keeps its record as it is.
CREATE_ONCE = {"mode": "update", "noupdate": True}
ORDER_FIELDS = (
    "id",
    "partner_id/.id",
    "client_order_ref",
    "origin",
    "order_line/product_id/.id",
    "order_line/name",
    "order_line/product_uom_qty",
    "order_line/price_unit",
    "order_line/discount",
    # Each line's external id keeps the channel's line ref (change capture reads it back).
    "order_line/id",
)
PARTNER_FIELDS = ("id", "ref", "name", "street", "city", "zip", "phone")
_T = TypeVar("_T")
_R = TypeVar("_R")


class OrderBook:
    """Creates and finds storefront orders in Odoo."""

    def __init__(self, odoo: OdooClient) -> None:
        self._odoo = odoo

    def find(self, refs: Iterable[str]) -> dict[str, dict[str, object]]:
        """The sale orders of these order refs (id and state), by ref."""
        wanted = sorted(set(refs))
        rows = self._odoo.search_read(
            ORDER, [("client_order_ref", "in", wanted)], ["client_order_ref", "state"]
        )
        return {str(row["client_order_ref"]): row for row in rows}

    def create(self, orders: Sequence[OrderCreated]) -> dict[int, BaseException]:
        """Create and confirm ``orders`` not in Odoo yet; failures by position."""
        existing = self.find(order.order_ref for order in orders)
        products = self.products({line.sku for order in orders for line in order.lines})
        failures: dict[int, BaseException] = {}
        fresh: list[tuple[int, OrderCreated]] = []
        # A draft is what a crash between create and confirm leaves behind.
        to_confirm: list[tuple[int, int]] = []
        for index, order in enumerate(orders):
            unknown = sorted({line.sku for line in order.lines} - products.keys())
            found = existing.get(order.order_ref)
            if unknown:
                failures[index] = PermanentError(
                    f"order {order.order_ref}: no Odoo product has the SKU {', '.join(unknown)}"
                )
            elif found is None:
                fresh.append((index, order))
            elif found["state"] == "draft":
                to_confirm.append((index, int(str(found["id"]))))
        partners = self._partners([order for _, order in fresh])
        created, errors = self._load_orders(fresh, products, partners)
        failures.update(errors)
        failures.update(self._confirm(to_confirm + created))
        return failures

    def _confirm(self, targets: Sequence[tuple[int, int]]) -> dict[int, BaseException]:
        """Confirm every order at once; if Odoo refuses, each draft alone, for the culprits."""
        if not targets:
            return {}
        order_ids = [order_id for _, order_id in targets]
        try:
            self._odoo.call(ORDER, "action_confirm", order_ids)
            return {}
        except PermanentError:
            # Odoo refuses the whole call for one order it cannot confirm, or for one that
            # another try made and confirmed already (load returns it too): skip those.
            drafts = {
                int(str(row["id"]))
                for row in self._odoo.search_read(
                    ORDER, [("id", "in", order_ids), ("state", "=", "draft")], ["id"]
                )
            }
            return _one_by_one(
                [(index, order_id) for index, order_id in targets if order_id in drafts],
                lambda order_id: self._odoo.call(ORDER, "action_confirm", [order_id]),
            )[1]

    def _load_orders(
        self,
        fresh: Sequence[tuple[int, OrderCreated]],
        products: Mapping[str, int],
        partners: Mapping[str, int],
    ) -> tuple[list[tuple[int, int]], dict[int, BaseException]]:
        """The new orders as (position, id), and the failures by position."""
        if not fresh:
            return [], {}
        rows = {
            index: _order_rows(order, products, partners[_partner_ref(order)])
            for index, order in fresh
        }
        try:
            ids = self._load(ORDER, ORDER_FIELDS, [row for rs in rows.values() for row in rs])
            return list(zip(rows, ids, strict=True)), {}
        except PermanentError:
            # One bad order fails the whole call (one transaction): load them one by one
            # so the others go through and only the bad one is dead-lettered.
            return _one_by_one(
                list(rows.items()), lambda order: self._load(ORDER, ORDER_FIELDS, order)[0]
            )

    def _load(self, model: str, fields: Sequence[str], rows: Sequence[Sequence[str]]) -> list[int]:
        return self._odoo.load(model, fields, rows, context=CREATE_ONCE)

    def products(self, skus: set[str]) -> dict[str, int]:
        """The Odoo product ids of these SKUs, by SKU; an unknown SKU is absent."""
        if not skus:
            return {}
        rows = self._odoo.search_read(
            PRODUCT, [("default_code", "in", sorted(skus))], ["default_code"]
        )
        return {str(row["default_code"]): int(str(row["id"])) for row in rows}

    def _partners(self, orders: Sequence[OrderCreated]) -> dict[str, int]:
        """The customer of each order by partner ref, creating the ones Odoo lacks."""
        refs = sorted({_partner_ref(order) for order in orders})
        if not refs:
            return {}
        rows = self._odoo.search_read(PARTNER, [("ref", "in", refs)], ["ref"])
        found = {str(row["ref"]): int(str(row["id"])) for row in rows}
        missing = {_partner_ref(o): o for o in orders if _partner_ref(o) not in found}
        if missing:
            new = [_partner_row(order) for order in missing.values()]
            found.update(zip(missing, self._load(PARTNER, PARTNER_FIELDS, new), strict=True))
        return found


def _one_by_one(
    targets: Sequence[tuple[int, _T]], action: Callable[[_T], _R]
) -> tuple[list[tuple[int, _R]], dict[int, BaseException]]:
    """``action`` on each target alone: the results and the permanent failures, by position."""
    done: list[tuple[int, _R]] = []
    errors: dict[int, BaseException] = {}
    for index, target in targets:
        try:
            done.append((index, action(target)))
        except PermanentError as error:
            errors[index] = error
    return done, errors


def _partner_ref(order: OrderCreated) -> str:
    # A guest checkout has no customer: the order's own ref names its contact.
    return order.customer_ref or order.order_ref


def _partner_row(order: OrderCreated) -> list[str]:
    ref = _partner_ref(order)
    address = order.shipping_address
    if address is None:
        return [external_id("res_partner", ref), ref, ref, "", "", "", ""]
    cells = (address.name or ref, address.line1, address.city, address.postal_code, address.phone)
    return [external_id("res_partner", ref), ref, *(cell or "" for cell in cells)]


def _order_rows(order: OrderCreated, products: Mapping[str, int], partner: int) -> list[list[str]]:
    """The order in import format: its cells and first line, then one row per further line."""
    head = [
        external_id("sale_order", order.order_ref),
        str(partner),
        order.order_ref,
        order.order_number or order.order_ref,
    ]
    lines = [
        [*_line_cells(line, products[line.sku]), sale_line_id(order.order_ref, line.line_ref)]
        for line in order.lines
    ] or [[""] * 6]
    blank = [""] * len(head)
    return [head + lines[0]] + [blank + cells for cells in lines[1:]]


def _line_cells(line: OrderLine, product: int) -> list[str]:
    return [
        str(product),
        # An empty cell imports as no value, and Odoo requires a line's description.
        line.title or line.sku,
        str(line.quantity),
        str(line.unit_price),
        str(discount_percent(line)),
    ]


def discount_percent(line: OrderLine) -> Decimal:
    """The line's discount as Odoo keeps it, a percentage; the storefront gives an amount."""
    gross = line.unit_price * line.quantity
    return round(line.discount / gross * 100, 4) if gross else Decimal(0)
