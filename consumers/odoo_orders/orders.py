"""Storefront orders into Odoo: confirmed sale orders, found again by their order ref.

The order ref (``channel:order id``) is the sale order's ``client_order_ref``: a re-delivered
order_created finds its order and changes nothing (a draft left by a crash between create
and confirm is confirmed). Under a backlog a batch of orders costs a handful of calls: one
``search_read`` each for existing orders, products and customers, one ``create`` of the
missing customers, one of the orders, and one ``action_confirm``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import TypeVar

from retailsync.errors import PermanentError
from retailsync.events import OrderCreated, OrderLine
from retailsync.odoo import OdooClient

ORDER = "sale.order"
PRODUCT = "product.product"
PARTNER = "res.partner"
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
        products = self._products({line.sku for order in orders for line in order.lines})
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
        created, errors = self._create_orders(fresh, products, partners)
        failures.update(errors)
        failures.update(self._each_on_failure("action_confirm", to_confirm + created))
        return failures

    def _each_on_failure(
        self, method: str, targets: Sequence[tuple[int, int]]
    ) -> dict[int, BaseException]:
        """Call ``method`` on every order at once; if Odoo refuses, on each, for the culprits."""
        if not targets:
            return {}
        try:
            self._odoo.call(ORDER, method, [order_id for _, order_id in targets])
            return {}
        except PermanentError:
            return _one_by_one(
                targets, lambda order_id: self._odoo.call(ORDER, method, [order_id])
            )[1]

    def _create_orders(
        self,
        fresh: Sequence[tuple[int, OrderCreated]],
        products: Mapping[str, int],
        partners: Mapping[str, int],
    ) -> tuple[list[tuple[int, int]], dict[int, BaseException]]:
        """The new orders as (position, id), and the failures by position."""
        values = [
            _order_values(order, products, partners[_partner_ref(order)]) for _, order in fresh
        ]
        if not values:
            return [], {}
        positions = [index for index, _ in fresh]
        try:
            return list(zip(positions, self._odoo.create(ORDER, values), strict=True)), {}
        except PermanentError:
            # One bad order fails the whole call (one transaction): create them one by one
            # so the others go through and only the bad one is dead-lettered.
            pairs = list(zip(positions, values, strict=True))
            return _one_by_one(pairs, lambda vals: self._odoo.create(ORDER, [vals])[0])

    def _products(self, skus: set[str]) -> dict[str, int]:
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
            ids = self._odoo.create(PARTNER, [_partner_values(o) for o in missing.values()])
            found.update(zip(missing, ids, strict=True))
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


def _partner_values(order: OrderCreated) -> dict[str, object]:
    address = order.shipping_address
    values: dict[str, object] = {"ref": _partner_ref(order), "name": _partner_ref(order)}
    if address is not None:
        values.update(
            {
                "name": address.name or _partner_ref(order),
                "street": address.line1,
                "city": address.city,
                "zip": address.postal_code,
                "phone": address.phone,
            }
        )
    return {key: value for key, value in values.items() if value is not None}


def _order_values(
    order: OrderCreated, products: Mapping[str, int], partner: int
) -> dict[str, object]:
    return {
        "partner_id": partner,
        "client_order_ref": order.order_ref,
        "origin": order.order_number or order.order_ref,
        "order_line": [[0, 0, _line_values(line, products[line.sku])] for line in order.lines],
    }


def _line_values(line: OrderLine, product: int) -> dict[str, object]:
    gross = line.unit_price * line.quantity
    # The storefront gives the line's discount as an amount; Odoo keeps a percentage.
    discount = (line.discount / gross * 100) if gross else Decimal(0)
    return {
        "product_id": product,
        "name": line.title,
        "product_uom_qty": float(line.quantity),
        "price_unit": float(line.unit_price),
        "discount": float(round(discount, 4)),
    }
