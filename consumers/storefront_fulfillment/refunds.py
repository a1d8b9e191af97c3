"""Applying returns: the channel's refund of exactly the goods Odoo received, made once.

A ``return_received`` becomes one refund on the order its ``order_ref`` names, on that
order's channel: a Shopify ``refundCreate`` here (``RefundApplier``), a WooCommerce order
refund (``woocommerce_refunds.py``), a refund recorded on an SFCC order
(``sfcc_refunds.py``). Restocking stays Odoo's business (its receipt put the goods back;
the channels' stock follows from Odoo's levels): no channel is asked to restock.

What the platforms share lives here:

- the refund's note (Shopify) or reason (WooCommerce) or record (SFCC), ``retailsync return
  <return_ref>``: a re-delivered event finds the refund made already and refunds nothing;
- ``allocate``: which of the order's lines each received line is (the one its channel line
  ref names, v2; else those of its SKU), units of a line the channel refunded by other
  means first counted as refunded (a refund without our note, made before the goods came
  back), and the rest refunded up to what the line has left;
- the amount, to the cent: the whole return's ``refund_total`` when every received unit is
  refunded, else each line's share of its amount; per order line, amounts that add up to it.

Shopify's refund has the received quantities with restock type NO_RESTOCK and a REFUND
transaction on the order's payment gateway for what the customer is due.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from consumers.storefront_fulfillment.applier import each_event
from retailsync.consumer import Item
from retailsync.errors import PermanentError
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
CENT = Decimal("0.01")


def has_refunds(client: StorefrontClient, order_id: str) -> bool:
    """Whether the storefront's order ``order_id`` (its legacy id) has any refund."""
    order = client.execute(ORDER_REFUNDS, {"id": f"gid://shopify/Order/{order_id}"}).get("order")
    return bool(order and order["refunds"])


def refund_note(return_ref: str) -> str:
    """The note of the refund made for a return: how a re-delivery finds it."""
    return f"retailsync return {return_ref}"


def is_ours(note: str | None) -> bool:
    """Whether a refund with this note or reason was made for a return by retailsync."""
    return (note or "").startswith(refund_note(""))


@dataclass(frozen=True, slots=True)
class OrderLine:
    """A line of the channel's order: its id there, its SKU, and the units it has left to
    refund (ordered less refunded by any refund)."""

    id: str
    sku: str
    refundable: Decimal


@dataclass(frozen=True, slots=True)
class Refunding:
    """What a return refunds: units and amount per order line id; the line amounts add up
    to ``amount``. No lines: every received unit was refunded on the channel already."""

    quantities: dict[str, int]
    amounts: dict[str, Decimal]
    amount: Decimal


def check_currency(returned: ReturnReceived, currency: object) -> None:
    """PermanentError unless the channel's order is in the return's currency."""
    if currency != returned.currency:
        raise PermanentError(
            f"return {returned.return_ref} is in {returned.currency}, "
            f"order {returned.order_ref} in {currency}"
        )


def allocate(
    returned: ReturnReceived,
    lines: Sequence[OrderLine],
    covered: Mapping[str, Decimal],
    line_id: Callable[[str], str] = str,
) -> Refunding:
    """The order lines and amounts that refund the received quantities not refunded yet:
    ``covered`` is the units of each order line the channel refunded without a return of
    ours; ``line_id`` names the order line a channel line ref is (v2 returns)."""
    refundable = {line.id: line.refundable for line in lines}
    covered = dict(covered)
    quantities: dict[str, Decimal] = {}
    shares: dict[str, Decimal] = {}  # order line -> exact amount
    for line in returned.lines:
        candidates = _candidates(returned, line, lines, line_id)
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
            share = min(left, refundable[candidate] - quantities.get(candidate, Decimal(0)))
            if share > 0:
                quantities[candidate] = quantities.get(candidate, Decimal(0)) + share
                shares[candidate] = shares.get(candidate, Decimal(0)) + (
                    line.amount * share / line.quantity
                )
                left -= share
    if sum(quantities.values()) == sum(line.quantity for line in returned.lines):
        total = returned.refund_total
    else:
        total = sum(shares.values(), Decimal(0))
    total = total.quantize(CENT, ROUND_HALF_UP)
    return Refunding(
        {line: int(quantity) for line, quantity in quantities.items()},
        _to_the_cent(shares, total),
        total,
    )


def _to_the_cent(shares: dict[str, Decimal], total: Decimal) -> dict[str, Decimal]:
    """Each share rounded to the cent, the last taking what makes them add up to ``total``."""
    amounts = {line: share.quantize(CENT, ROUND_HALF_UP) for line, share in shares.items()}
    if amounts:
        last = next(reversed(amounts))
        amounts[last] += total - sum(amounts.values(), Decimal(0))
    return amounts


def _candidates(
    returned: ReturnReceived,
    line: ReturnLine,
    lines: Sequence[OrderLine],
    line_id: Callable[[str], str],
) -> list[str]:
    """The order lines a received line may be of: the one its channel line ref names (v2),
    else (v1, whose line_ref is Odoo's line id, no ref, or a ref the order lacks) those of
    its SKU."""
    if line.line_ref and returned.envelope.schema_version >= 2:
        named = line_id(line.line_ref)
        if any(order_line.id == named for order_line in lines):
            return [named]
    return [order_line.id for order_line in lines if order_line.sku == line.sku]


@dataclass(slots=True)
class RefundApplier:
    """Returns of one Shopify channel's orders, refunded there."""

    client: StorefrontClient
    channel: str  # orders of this channel live on this storefront
    notify_customer: bool = True

    def apply(self, items: Sequence[Item]) -> dict[int, BaseException]:
        """Refund each return; failures by position."""
        return each_event(items, self.refund)

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
        check_currency(returned, order["presentmentCurrencyCode"])
        lines = [
            OrderLine(str(item["id"]), item.get("sku") or "", Decimal(item["refundableQuantity"]))
            for item in order["lineItems"]["nodes"]
        ]
        refunding = allocate(
            returned,
            lines,
            _refunded_by_channel(order),
            lambda ref: f"gid://shopify/LineItem/{ref}",
        )
        if not refunding.quantities:
            log.info("%s: %s was refunded on the channel", returned.order_ref, returned.return_ref)
            return None
        refund: dict[str, Any] = {
            "orderId": order["id"],
            "note": note,
            "notify": self.notify_customer,
            "refundLineItems": [
                {"lineItemId": line, "quantity": quantity, "restockType": "NO_RESTOCK"}
                for line, quantity in refunding.quantities.items()
            ],
        }
        if refunding.amount > 0:
            refund["transactions"] = [_transaction(order, refunding.amount)]
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


def _refunded_by_channel(order: dict[str, Any]) -> dict[str, Decimal]:
    """Units of each line item refunded by refunds that are not a return's of ours."""
    units: dict[str, Decimal] = {}
    for refund in order["refunds"]:
        if is_ours(refund.get("note")):
            continue
        for line in refund["refundLineItems"]["nodes"]:
            item = line["lineItem"]["id"]
            units[item] = units.get(item, Decimal(0)) + Decimal(line["quantity"])
    return units


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
