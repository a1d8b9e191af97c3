"""Order edits from a storefront applied to the Odoo order: its lines and quantities.

An order_edited carries the order's whole set of lines after a change, so it is compared
with the Odoo order, quantity per product, and only a difference is written: most of them
(every Shopify orders/updated, every WooCommerce order.updated) change no line, and a
re-delivered edit finds nothing left to do.

- The order is not in Odoo yet: ``OrderNotYetError``, parked until its order_created.
- A cancelled Odoo order: nothing; the cancellation wins.
- Only the product lines count: the shipping line and the adjustment lines (fees and
  discounts) stay as the order was made. A new line gets the Odoo taxes of its tax lines,
  as a new order's lines do (``money``).
- Editable (draft, or confirmed with no delivery done): each product's first line gets
  the new quantity, its further lines and the lines of products no longer ordered get 0
  (Odoo refuses to delete a confirmed order's line), a new product gets a new line; Odoo
  then adjusts the delivery's demand.
- Not editable (a delivery done): the edit is posted in the order's chatter for a person,
  once per event id, and not applied. Not dead-lettered: a channel's current quantities
  also fall when delivered goods are refunded or returned, which refund_issued and
  return_received carry, and a dead letter would page someone for every such return.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from consumers.odoo_orders.lifecycle import OrderNotYetError, post_once
from consumers.odoo_orders.money import OdooMoney
from consumers.odoo_orders.orders import ORDER, discount_percent, find_products
from consumers.odoo_orders.settings import OrdersSettings
from retailsync.errors import PermanentError
from retailsync.events import OrderEdited, OrderLine
from retailsync.odoo import OdooClient

LINE = "sale.order.line"
PICKING = "stock.picking"
_EDITABLE_STATES = frozenset({"draft", "sent", "sale"})

LineCommand = list[object]


def apply_edit(odoo: OdooClient, event: OrderEdited, settings: OrdersSettings) -> None:
    """Apply ``event`` to its Odoo order; lines of the adjustment product are not products."""
    rows = odoo.search_read(ORDER, [("client_order_ref", "=", event.order_ref)], ["state"])
    if not rows:
        raise OrderNotYetError(event.order_ref)
    order_id, state = int(str(rows[0]["id"])), str(rows[0]["state"])
    if state == "cancel":
        return
    commands = _commands(odoo, order_id, event, settings)
    if not commands:
        return
    if state in _EDITABLE_STATES and not _delivered(odoo, order_id):
        odoo.write(ORDER, [order_id], {"order_line": commands})
        return
    lines = ", ".join(f"{line.quantity.normalize()} of {line.sku}" for line in event.lines)
    post_once(
        odoo,
        order_id,
        event,
        f"The storefront changed this order's lines to: {lines or 'none'}. Not applied: "
        "a delivery is done; adjust the order by hand if the change still stands.",
    )


def _commands(
    odoo: OdooClient, order_id: int, event: OrderEdited, settings: OrdersSettings
) -> list[LineCommand]:
    """Odoo's one2many commands that make the order's lines say what ``event`` says."""
    products = find_products(odoo, {line.sku for line in event.lines})
    unknown = sorted({line.sku for line in event.lines} - products.keys())
    if unknown:
        raise PermanentError(
            f"order {event.order_ref}: no Odoo product has the SKU {', '.join(unknown)}"
        )
    wanted: dict[int, Decimal] = {}
    first: dict[int, OrderLine] = {}
    for line in event.lines:
        product = products[line.sku]
        wanted[product] = wanted.get(product, Decimal(0)) + line.quantity
        first.setdefault(product, line)
    commands: list[LineCommand] = []
    seen: set[int] = set()
    product_lines = [
        ("order_id", "=", order_id),
        ("is_delivery", "=", False),
        ("product_id.default_code", "!=", settings.odoo_orders_adjustment_sku),
    ]
    for row in odoo.search_read(LINE, product_lines, ["product_id", "product_uom_qty"]):
        of = _many2one_id(row["product_id"])
        quantity = Decimal(0) if of is None or of in seen else wanted.get(of, Decimal(0))
        if of is not None:
            seen.add(of)
        if Decimal(str(row["product_uom_qty"])) != quantity:
            commands.append([1, int(str(row["id"])), {"product_uom_qty": float(quantity)}])
    new = [(product, quantity) for product, quantity in wanted.items() if product not in seen]
    if new:
        money = OdooMoney(odoo, (), settings.odoo_orders_taxes, {})
        commands.extend(
            [0, 0, _new_line(product, quantity, first[product], money, event)]
            for product, quantity in new
        )
    return commands


def _new_line(
    product: int, quantity: Decimal, line: OrderLine, money: OdooMoney, event: OrderEdited
) -> Mapping[str, object]:
    return {
        "product_id": product,
        "name": line.title or line.sku,
        "product_uom_qty": float(quantity),
        "price_unit": float(line.unit_price),
        "discount": float(discount_percent(line)),
        # Without it Odoo would give the line its product's default taxes.
        money.line_taxes_field: [[6, 0, list(money.line_tax_ids(event, line))]],
    }


def _delivered(odoo: OdooClient, order_id: int) -> bool:
    return odoo.search_count(PICKING, [("sale_id", "=", order_id), ("state", "=", "done")]) > 0


def _many2one_id(value: object) -> int | None:
    # Odoo answers a many2one as [id, "display name"], or false when empty.
    return int(str(value[0])) if isinstance(value, list) and value else None
