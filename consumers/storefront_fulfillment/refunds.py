"""Applying returns: the storefront refund of exactly the goods Odoo received, created once.

A ``return_received`` becomes one Shopify ``refundCreate`` on the order its ``order_ref``
names: the received quantities of the order's line items with restock type NO_RESTOCK
(Odoo's receipt put the goods back in stock; the storefront's stock follows from Odoo's
levels), and a REFUND transaction on the order's payment gateway for what the customer is
due.

Before refunding, the order's refunds are read:

- one whose note names the return (``retailsync return <return_ref>``) means the refund was
  made already: a re-delivered event refunds nothing twice;
- units of a line the channel refunded by other means (a refund without our note, made
  before the goods came back) count as refunded: only the rest of the received quantity is
  refunded, with its share of the amount.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from retailsync.consumer import Item
from retailsync.errors import PermanentError, TargetUnavailableError
from retailsync.events import ReturnReceived
from retailsync.events.returns import ReturnLine
from retailsync.storefront import StorefrontClient, StorefrontUserError

log = logging.getLogger("retailsync.storefront.refunds")

ORDER_REFUNDS = """
query OrderRefunds($id: ID!) {
  order(id: $id) {
    id
    presentmentCurrencyCode
    lineItems(first: 100) { nodes { id sku quantity refundableQuantity } }
    transactions(first: 10) { id kind status gateway }
    refunds(first: 50) {
      id note
      refundLineItems(first: 50) { nodes { quantity lineItem { id } } }
    }
  }
}
"""
CREATE_REFUND = """
mutation CreateRefund($input: RefundInput!) {
  refundCreate(input: $input) {
    refund { id note totalRefundedSet { shopMoney { amount currencyCode } } }
    userErrors { field message }
  }
}
"""
_PAID = frozenset({"SALE", "CAPTURE"})
_CENT = Decimal("0.01")


def has_refunds(client: StorefrontClient, order_id: str) -> bool:
    """Whether the storefront's order ``order_id`` (its legacy id) has any refund."""
    order = client.execute(ORDER_REFUNDS, {"id": f"gid://shopify/Order/{order_id}"}).get("order")
    return bool(order and order["refunds"])


def refund_note(return_ref: str) -> str:
    """The note of the refund made for a return: how a re-delivery finds it."""
    return f"retailsync return {return_ref}"


@dataclass(slots=True)
class RefundApplier:
    client: StorefrontClient
    channel: str  # orders of this channel live on this storefront
    notify_customer: bool = True

    def apply(self, items: Sequence[Item]) -> dict[int, BaseException]:
        """Refund each return; failures by position. Once the storefront is unavailable,
        the rest of the batch fails with it, untried."""
        failures: dict[int, BaseException] = {}
        for index, item in enumerate(items):
            try:
                self.refund(item.event)
            except TargetUnavailableError as exc:
                failures.update({later: exc for later in range(index, len(items))})
                break
            except Exception as exc:  # reported per item, classified by the runtime
                failures[index] = exc
        return failures

    def refund(self, returned: ReturnReceived) -> str | None:
        """The id of the refund created, or None when there was nothing to do: another
        storefront's order, a refund for this return already there, or every received
        unit refunded on the channel already."""
        channel, _, order_id = returned.order_ref.partition(":")
        if channel != self.channel:
            return None
        data = self.client.execute(ORDER_REFUNDS, {"id": f"gid://shopify/Order/{order_id}"})
        order = data.get("order")
        if order is None:
            raise PermanentError(f"order {returned.order_ref} is not on the storefront")
        note = refund_note(returned.return_ref)
        if any(refund.get("note") == note for refund in order["refunds"]):
            log.info("%s: %s is refunded already", returned.order_ref, returned.return_ref)
            return None
        if order["presentmentCurrencyCode"] != returned.currency:
            raise PermanentError(
                f"return {returned.return_ref} is in {returned.currency}, "
                f"order {returned.order_ref} in {order['presentmentCurrencyCode']}"
            )
        lines, amount = _allocate(order, returned)
        if not lines:
            log.info("%s: %s was refunded on the channel", returned.order_ref, returned.return_ref)
            return None
        refund: dict[str, Any] = {
            "orderId": order["id"],
            "note": note,
            "notify": self.notify_customer,
            "refundLineItems": lines,
        }
        if amount > 0:
            refund["transactions"] = [_transaction(order, amount)]
        return self._create(refund)

    def _create(self, refund: dict[str, Any]) -> str:
        created = self.client.execute(CREATE_REFUND, {"input": refund})["refundCreate"]
        errors = created["userErrors"]
        if errors:
            raise StorefrontUserError(
                "; ".join(error["message"] for error in errors),
                tuple(errors[0].get("field") or ()),
            )
        return str(created["refund"]["id"])


def _allocate(
    order: dict[str, Any], returned: ReturnReceived
) -> tuple[list[dict[str, Any]], Decimal]:
    """The refund line items for the received quantities not refunded yet, and what they
    are worth: the whole return's ``refund_total`` when every received unit is refunded,
    else each line's share of its amount, to the cent."""
    items = order["lineItems"]["nodes"]
    refundable = {item["id"]: Decimal(item["refundableQuantity"]) for item in items}
    covered = _refunded_by_channel(order)  # line item -> units refunded without a return
    refunding: dict[str, Decimal] = {}
    amount = Decimal(0)
    for line in returned.lines:
        candidates = _line_items(returned, line, items)
        if not candidates:
            raise PermanentError(
                f"return {returned.return_ref}: {line.sku} is not on order {returned.order_ref}"
            )
        left = line.quantity
        for candidate in candidates:  # what the channel refunded itself counts first
            share = min(left, covered.get(candidate, Decimal(0)))
            covered[candidate] = covered.get(candidate, Decimal(0)) - share
            left -= share
        for candidate in candidates:
            share = min(left, refundable[candidate] - refunding.get(candidate, Decimal(0)))
            if share > 0:
                refunding[candidate] = refunding.get(candidate, Decimal(0)) + share
                amount += line.amount * share / line.quantity
                left -= share
    if sum(refunding.values()) == sum(line.quantity for line in returned.lines):
        amount = returned.refund_total
    lines = [
        {"lineItemId": item, "quantity": int(quantity), "restockType": "NO_RESTOCK"}
        for item, quantity in refunding.items()
    ]
    return lines, amount.quantize(_CENT, ROUND_HALF_UP)


def _refunded_by_channel(order: dict[str, Any]) -> dict[str, Decimal]:
    """Units of each line item refunded by refunds that are not a return's of ours."""
    units: dict[str, Decimal] = {}
    for refund in order["refunds"]:
        if (refund.get("note") or "").startswith(refund_note("")):
            continue
        for line in refund["refundLineItems"]["nodes"]:
            item = line["lineItem"]["id"]
            units[item] = units.get(item, Decimal(0)) + Decimal(line["quantity"])
    return units


def _line_items(
    returned: ReturnReceived, line: ReturnLine, items: list[dict[str, Any]]
) -> list[str]:
    """The line items a received line may be of: the one its channel line ref names (v2),
    else (v1, whose line_ref is Odoo's line id, no ref, or a ref the order lacks) those of
    its SKU."""
    if line.line_ref and returned.envelope.schema_version >= 2:
        named = f"gid://shopify/LineItem/{line.line_ref}"
        if any(item["id"] == named for item in items):
            return [named]
    return [str(item["id"]) for item in items if item.get("sku") == line.sku]


def _transaction(order: dict[str, Any], amount: Decimal) -> dict[str, Any]:
    """A REFUND of ``amount`` against the order's successful payment."""
    paid = [
        transaction
        for transaction in order["transactions"]
        if transaction["kind"] in _PAID and transaction["status"] == "SUCCESS"
    ]
    if not paid:
        raise PermanentError(f"order {order['id']} has no successful payment to refund")
    return {
        "orderId": order["id"],
        "parentId": paid[0]["id"],
        "gateway": paid[0]["gateway"],
        "kind": "REFUND",
        "amount": str(amount),
    }
