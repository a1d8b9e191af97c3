"""Storefront orders into Odoo: confirmed sale orders, each written exactly once.

The order ref (``channel:order id``) is the sale order's ``client_order_ref`` and names its
external id, ``retailsync.sale_order_<ref>`` in ``ir.model.data``, which Odoo keeps unique
on (module, name). A re-delivered order_created finds its order by ref and changes nothing
(a draft left by a crash between create and confirm is confirmed, unless a fraud check
holds it: ``risk``).

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

Each product line gets an external id too, naming the channel's line ref
(``retailsync.odoo.external_ids.sale_line_id``): change capture reads it back to tell
shipped lines by the channel's ref, with no custom field in Odoo.

Money (``money``): each line's taxes, the shipping line, fees, discounts and the pricelist
of the order's currency are written with the order; a tax or currency Odoo cannot take is
a permanent error for that order alone. Once confirmed, the orders' totals are read back:
an order whose ``amount_untaxed``, ``amount_tax`` or ``amount_total`` is not the channel's
(beyond the currency's rounding), or whose event did not add up, gets the tag
``FLAG_TAG`` and a chatter note saying what differs, for finance, and is counted
(``retailsync.odoo_orders.flagged``).

Under a backlog a batch of orders costs a handful of calls: one ``search_read`` each for
existing orders, products, customers, sales taxes, currencies and pricelists, one ``load``
of the missing customers, one of the orders, one ``action_confirm`` and one read of the
totals; a flagged order costs two or three more.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import TypeVar

from consumers.odoo_orders.money import (
    TOTALS,
    Line,
    OdooMoney,
    Products,
    differences,
    order_lines,
)
from consumers.odoo_orders.settings import OrdersSettings
from retailsync.errors import PermanentError
from retailsync.events import OrderCreated, OrderLine
from retailsync.metrics import ORDERS_FLAGGED
from retailsync.odoo import OdooClient
from retailsync.odoo.external_ids import external_id, sale_line_id

ORDER = "sale.order"
PRODUCT = "product.product"
PARTNER = "res.partner"
# Create once: an external id that exists already keeps its record as it is.
CREATE_ONCE = {"mode": "update", "noupdate": True}


TAG = "crm.tag"
# The tag finance filters orders by whose Odoo totals are not the channel's.
FLAG_TAG = "retailsync: totals differ from the channel"
# The tag of an order a fraud check holds for a person (``risk``).
HOLD_TAG = "retailsync: fraud risk, confirm or cancel"
PARTNER_FIELDS = ("id", "ref", "name", "street", "city", "zip", "phone")
_T = TypeVar("_T")
_R = TypeVar("_R")


def order_fields(line_taxes_field: str) -> tuple[str, ...]:
    """The import columns of an order; ``line_taxes_field`` is the lines' taxes field as
    this Odoo names it (``tax_id`` up to 18, ``tax_ids`` from 19)."""
    return (
        "id",
        "partner_id/.id",
        "client_order_ref",
        "origin",
        "pricelist_id/.id",
        "order_line/product_id/.id",
        "order_line/name",
        "order_line/product_uom_qty",
        "order_line/price_unit",
        "order_line/discount",
        f"order_line/{line_taxes_field}/.id",
        "order_line/is_delivery",
        # Each product line's external id keeps the channel's line ref (change capture
        # reads it).
        "order_line/id",
    )


class OrderBook:
    """Creates and finds storefront orders in Odoo."""

    def __init__(self, odoo: OdooClient, settings: OrdersSettings) -> None:
        self._odoo = odoo
        self._settings = settings

    def find(self, refs: Iterable[str]) -> dict[str, dict[str, object]]:
        """The sale orders of these order refs (id, state and tags), by ref."""
        wanted = sorted(set(refs))
        rows = self._odoo.search_read(
            ORDER, [("client_order_ref", "in", wanted)], ["client_order_ref", "state", "tag_ids"]
        )
        return {str(row["client_order_ref"]): row for row in rows}

    def create(
        self, orders: Sequence[OrderCreated], held: Collection[str] = ()
    ) -> dict[int, BaseException]:
        """Create and confirm ``orders`` not in Odoo yet, those of the ``held`` refs left
        quotations; failures by position."""
        settings = self._settings
        extra_skus = {settings.odoo_orders_shipping_sku, settings.odoo_orders_adjustment_sku}
        existing = self.find(order.order_ref for order in orders)
        products = find_products(
            self._odoo, {line.sku for o in orders for line in o.lines} | extra_skus
        )
        failures: dict[int, BaseException] = {}
        fresh: list[tuple[int, OrderCreated]] = []
        # A draft is what a crash between create and confirm leaves behind, or a hold.
        to_confirm: list[tuple[int, int]] = []
        drafts = [o for o in existing.values() if o["state"] == "draft"]
        holding = tag_id(self._odoo, HOLD_TAG) if drafts else None
        for index, order in enumerate(orders):
            unknown = sorted({line.sku for line in order.lines} - products.keys())
            found = existing.get(order.order_ref)
            if unknown:
                failures[index] = PermanentError(
                    f"order {order.order_ref}: no Odoo product has the SKU {', '.join(unknown)}"
                )
            elif found is None:
                fresh.append((index, order))
            elif found["state"] == "draft" and not (
                order.order_ref in held or holding in _ids(found["tag_ids"])
            ):
                to_confirm.append((index, int(str(found["id"]))))
        money = (
            OdooMoney(
                self._odoo,
                {order.currency for _, order in fresh},
                settings.odoo_orders_taxes,
                settings.odoo_orders_pricelists,
            )
            if fresh
            else None
        )
        extra = Products(
            products.get(settings.odoo_orders_shipping_sku),
            products.get(settings.odoo_orders_adjustment_sku),
            settings.odoo_orders_shipping_sku,
            settings.odoo_orders_adjustment_sku,
        )
        priced: list[tuple[int, OrderCreated, int, list[Line]]] = []
        for index, order in fresh:
            try:
                assert money is not None  # made when there are fresh orders
                pricelist = money.pricelist(order).id
                priced.append((index, order, pricelist, order_lines(order, products, money, extra)))
            except PermanentError as error:
                failures[index] = error
        partners = self._partners([order for _, order, _, _ in priced])
        created, errors = (
            self._load_orders(priced, partners, order_fields(money.line_taxes_field))
            if money is not None
            else ([], {})
        )
        failures.update(errors)
        placed = {index: order for index, order, _, _ in priced}
        confirming = [(i, order_id) for i, order_id in created if placed[i].order_ref not in held]
        failures.update(self._confirm(to_confirm + confirming))
        if money is not None:
            made = [(placed[i], order_id) for i, order_id in created if i not in failures]
            self._check_totals(made, money)
        return failures

    def _check_totals(self, made: Sequence[tuple[OrderCreated, int]], money: OdooMoney) -> None:
        """Flag for finance the new orders whose Odoo totals are not the channel's."""
        if not made:
            return
        rows = {
            int(str(row["id"])): row
            for row in self._odoo.read(ORDER, [order_id for _, order_id in made], list(TOTALS))
        }
        notes = {
            order_id: found
            for order, order_id in made
            if (found := differences(order, rows[order_id], money.pricelist(order).rounding))
        }
        if not notes:
            return
        self._odoo.write(ORDER, sorted(notes), {"tag_ids": [[4, tag_id(self._odoo, FLAG_TAG)]]})
        for order_id, found in notes.items():
            self._odoo.call(
                ORDER,
                "message_post",
                [order_id],
                body="retailsync: this order's totals are not the channel's: " + "; ".join(found),
            )
        unexplained = sum(
            1 for order, order_id in made if order_id in notes and order.mapping_difference
        )
        if unexplained:
            ORDERS_FLAGGED.add(unexplained, {"reason": "mapping_difference"})
        if len(notes) > unexplained:
            ORDERS_FLAGGED.add(len(notes) - unexplained, {"reason": "totals"})

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
        priced: Sequence[tuple[int, OrderCreated, int, list[Line]]],
        partners: Mapping[str, int],
        fields: Sequence[str],
    ) -> tuple[list[tuple[int, int]], dict[int, BaseException]]:
        """The new orders as (position, id), and the failures by position."""
        if not priced:
            return [], {}
        rows = {
            index: _order_rows(order, pricelist, lines, partners[_partner_ref(order)])
            for index, order, pricelist, lines in priced
        }
        try:
            ids = self._load(ORDER, fields, [row for rs in rows.values() for row in rs])
            return list(zip(rows, ids, strict=True)), {}
        except PermanentError:
            # One bad order fails the whole call (one transaction): load them one by one
            # so the others go through and only the bad one is dead-lettered.
            return _one_by_one(
                list(rows.items()), lambda order: self._load(ORDER, fields, order)[0]
            )

    def _load(self, model: str, fields: Sequence[str], rows: Sequence[Sequence[str]]) -> list[int]:
        return self._odoo.load(model, fields, rows, context=CREATE_ONCE)

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


def tag_id(odoo: OdooClient, name: str) -> int:
    """The id of the order tag ``name``, made on first use."""
    found = odoo.search_read(TAG, [("name", "=", name)], ["id"], limit=1)
    if found:
        return int(str(found[0]["id"]))
    [tag] = odoo.create(TAG, [{"name": name}])
    return tag


def _ids(value: object) -> list[object]:
    return value if isinstance(value, list) else []


def find_products(odoo: OdooClient, skus: set[str]) -> dict[str, int]:
    """The Odoo product ids of these SKUs, by SKU; an unknown SKU is absent."""
    if not skus:
        return {}
    rows = odoo.search_read(PRODUCT, [("default_code", "in", sorted(skus))], ["default_code"])
    return {str(row["default_code"]): int(str(row["id"])) for row in rows}


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


def _order_rows(
    order: OrderCreated, pricelist: int, lines: Sequence[Line], partner: int
) -> list[list[str]]:
    """The order in import format: its cells and first line, then one row per further line."""
    head = [
        external_id("sale_order", order.order_ref),
        str(partner),
        order.order_ref,
        order.order_number or order.order_ref,
        str(pricelist),
    ]
    cells = [_line_cells(line, order.order_ref) for line in lines]
    blank = [""] * len(head)
    return [head + cells[0]] + [blank + more for more in cells[1:]]


def _line_cells(line: Line, order_ref: str) -> list[str]:
    return [
        str(line.product),
        line.name,
        str(line.quantity),
        str(line.price_unit),
        str(line.discount),
        # An empty cell imports as no taxes (not the product's default ones).
        ",".join(str(tax) for tax in line.taxes),
        "1" if line.is_delivery else "0",
        # Shipping, fee and discount lines have no line ref at the channel.
        sale_line_id(order_ref, line.line_ref) if line.line_ref else "",
    ]


def discount_percent(line: OrderLine) -> Decimal:
    """The line's discount as Odoo keeps it, a percentage; the storefront gives an amount."""
    gross = line.unit_price * line.quantity
    return round(line.discount / gross * 100, 4) if gross else Decimal(0)
