"""Returns refunded on a WooCommerce channel: one order refund (``POST
/wp-json/wc/v3/orders/<id>/refunds``) of exactly the received lines not refunded yet.

- ``line_items``: per order line item, the units refunded (``quantity``), and their share of
  the amount split as the line's own total and taxes are: ``refund_tax`` per tax rate of
  the line, ``refund_total`` (without tax) the rest, so that each line adds up to its share;
- ``amount``: the whole refund, to the cent (WooCommerce takes it over the lines' sum);
- ``reason``: ``retailsync return <return_ref>``, by which a re-delivered event finds the
  refund made already (``GET /orders/<id>/refunds``);
- ``api_refund: true``: the order's payment gateway pays the money back, as Shopify's
  REFUND transaction does. A gateway that cannot (bank transfer, cheque, cash on delivery)
  makes WooCommerce refuse the refund: a dead letter with its reason, for a person to pay
  back by hand and refund in WooCommerce's admin;
- ``api_restock: false``: restocking is Odoo's business (WooCommerce restocks by default).

Units of a line refunded by a refund without our reason (the merchant's, in the admin)
count as refunded. A refund over what the order has left is refused by WooCommerce
("Invalid refund amount."): a dead letter too.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from consumers.storefront_fulfillment.applier import each_event
from consumers.storefront_fulfillment.refunds import (
    CENT,
    OrderLine,
    Refunding,
    allocate,
    check_currency,
    is_ours,
    refund_note,
)
from consumers.storefront_fulfillment.woocommerce import woo_order_id
from retailsync.consumer import Item
from retailsync.errors import PermanentError
from retailsync.events import ReturnReceived
from retailsync.woocommerce import WooCommerceClient

log = logging.getLogger("retailsync.woocommerce.refunds")
REFUNDED_ITEM = "_refunded_item_id"  # the meta naming the order line a refund line is of


def has_refunds(client: WooCommerceClient, order_id: str) -> bool:
    """Whether the shop's order ``order_id`` has any refund."""
    return order_id.isdigit() and bool(client.order_refunds(int(order_id)))


@dataclass(slots=True)
class WooCommerceRefundApplier:
    """Returns of one WooCommerce channel's orders, refunded there."""

    client: WooCommerceClient

    def apply(self, items: Sequence[Item]) -> dict[int, BaseException]:
        """Refund each return; failures by position."""
        return each_event(items, self.refund)

    def refund(self, returned: ReturnReceived) -> int | None:
        """The id of the refund made, or None when there was nothing to do: a refund for
        this return is there already, or every received unit was refunded on the shop."""
        order_id = woo_order_id(returned.order_ref)
        order = self.client.order(order_id)
        if order is None:
            raise PermanentError(f"order {returned.order_ref} is not on the WooCommerce shop")
        refunds = self.client.order_refunds(order_id)
        note = refund_note(returned.return_ref)
        if any(refund.get("reason") == note for refund in refunds):
            log.info("%s: %s is refunded already", returned.order_ref, returned.return_ref)
            return None
        check_currency(returned, order.get("currency"))
        items, lines = _lines(order, _refunded_units(refunds, merchants_only=False))
        refunding = allocate(returned, lines, _refunded_units(refunds, merchants_only=True))
        if not refunding.quantities:
            log.info("%s: %s was refunded on the shop", returned.order_ref, returned.return_ref)
            return None
        made = self.client.create_refund(order_id, _request(refunding, items, note))
        return int(made["id"])


def _lines(
    order: dict[str, Any], refunded: dict[str, Decimal]
) -> tuple[dict[str, dict[str, Any]], list[OrderLine]]:
    """The order's line items by id, and each as an order line with the units left."""
    try:
        items = {str(item["id"]): item for item in order.get("line_items") or ()}
        return items, [
            OrderLine(line_id, str(item.get("sku") or ""),
                      Decimal(str(item["quantity"])) - refunded.get(line_id, Decimal(0)))
            for line_id, item in items.items()
        ]  # fmt: skip
    except (KeyError, TypeError, ArithmeticError):
        raise PermanentError(
            "the WooCommerce order has a line item without id or quantity"
        ) from None


def _request(refunding: Refunding, items: dict[str, Any], note: str) -> dict[str, Any]:
    return {
        "amount": str(refunding.amount),
        "reason": note,
        "api_refund": refunding.amount > 0,
        "api_restock": False,
        "line_items": [
            line_refund(items[line_id], quantity, refunding.amounts[line_id])
            for line_id, quantity in refunding.quantities.items()
        ],
    }


def line_refund(item: dict[str, Any], quantity: int, amount: Decimal) -> dict[str, Any]:
    """The refund of ``quantity`` units of the order's line ``item`` worth ``amount`` with
    tax: each of its tax rates' part in the proportion of the line's taxes to its total."""
    taxes = [(tax["id"], Decimal(str(tax.get("total") or 0))) for tax in item.get("taxes") or ()]
    gross = Decimal(str(item.get("total") or 0)) + sum((t for _, t in taxes), Decimal(0))
    refund_tax = [
        (rate, (amount * tax / gross).quantize(CENT, ROUND_HALF_UP) if gross else Decimal(0))
        for rate, tax in taxes
    ]
    net = amount - sum((tax for _, tax in refund_tax), Decimal(0))
    return {
        "id": int(item["id"]),
        "quantity": quantity,
        # Numbers, as WooCommerce documents them: a two-decimal amount survives a double.
        "refund_total": float(net),
        "refund_tax": [{"id": rate, "refund_total": float(tax)} for rate, tax in refund_tax],
    }


def _refunded_units(refunds: list[dict[str, Any]], *, merchants_only: bool) -> dict[str, Decimal]:
    """Units of each order line the refunds gave back (their lines' quantities are
    negative); with ``merchants_only``, of the refunds that are not a return's of ours."""
    units: dict[str, Decimal] = {}
    for refund in refunds:
        if merchants_only and is_ours(refund.get("reason")):
            continue
        for line in refund.get("line_items") or ():
            refunded_item = next(
                (
                    m.get("value")
                    for m in line.get("meta_data") or ()
                    if m.get("key") == REFUNDED_ITEM
                ),
                None,
            )
            if refunded_item is not None:
                item = str(refunded_item)
                units[item] = units.get(item, Decimal(0)) - Decimal(line.get("quantity") or 0)
    return units
