"""Returns recorded on an SFCC channel's order, through what SCAPI Orders v1 (spec 1.5.2)
documents for an order management system.

SCAPI cannot move money: B2C Commerce leaves refunds to the payment service provider and
the OMS. Its payment transactions take custom attributes only (``c_…``, defined per
instance in Business Manager), its payment status knows no refund (``paid``, ``part_paid``,
``not_paid``), and it has no order notes. What the API documents for an OMS is to tell the
order, and that is what this does, in two calls:

1. ``createOmsStatusEvent`` with an ``adjustment`` of type ``return``, status ``completed``:
   id the return ref, the refunded product items with negative quantities, the refund as
   the ``total`` (negative, in the currency's minor units), the refund note as its
   description. SCAPI forwards it to the order's event subscribers (the storefront's order
   history and e-mails, a payment integration that pays refunds back); the same id is the
   same event to them.
2. ``updateOrderExternalStatus``: the order's external status, which the merchant's staff
   see on the order, says what is refunded: ``refund 25.00 USD for returns WH/IN/00012
   20.00; WH/IN/00013 5.00 (retailsync)``. It is how a re-delivered event finds its return
   recorded; written after the event, so a crash in between sends the same event again and
   never records a return twice.

What it does not do: pay the customer (the payment service provider does, by its own
integration subscribed to the adjustments or by a person), change the order's payment
status (the change poll would read it as a payment) or its status. SCAPI shows no refund
made elsewhere, so only the returns recorded here count as refunded. A refund over what is
left of the order's total is a dead letter naming both amounts; so is a return that no
longer fits the external status's 256 characters (a person records it then).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from consumers.storefront_fulfillment.applier import each_event
from consumers.storefront_fulfillment.refunds import (
    OrderLine,
    Refunding,
    allocate,
    check_currency,
    refund_note,
)
from retailsync.consumer import Item
from retailsync.errors import PermanentError
from retailsync.events import ReturnReceived
from retailsync.sfcc import SfccClient

log = logging.getLogger("retailsync.sfcc.refunds")

_RECORD = re.compile(r"refund (\S+) ([A-Z]{3}) for returns (.+) \(retailsync\)")
_MAX_TEXT = 256  # the longest external status and adjustment text SCAPI takes
# ISO 4217 currencies whose minor unit is not the cent (all others have two decimals).
_MINOR_DIGITS = {
    **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
    **dict.fromkeys(
        ("BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "VND",
         "VUV", "XAF", "XOF", "XPF"),
        0,
    ),
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class RefundRecord:
    """The returns refunded on an order, as its external status keeps them."""

    currency: str
    returns: dict[str, Decimal] = field(default_factory=dict)  # return ref -> amount

    @property
    def total(self) -> Decimal:
        return sum(self.returns.values(), Decimal(0))

    @classmethod
    def of(cls, external_status: object, currency: str) -> RefundRecord:
        """The record an external status holds; none when it is not ours."""
        found = _RECORD.fullmatch(str(external_status or ""))
        if found is None:
            return cls(currency)
        entries = (entry.rpartition(" ") for entry in found.group(3).split("; "))
        return cls(found.group(2), {ref: Decimal(amount) for ref, _, amount in entries})

    def text(self) -> str:
        entries = "; ".join(f"{ref} {amount}" for ref, amount in self.returns.items())
        return f"refund {self.total} {self.currency} for returns {entries} (retailsync)"


def has_refunds(client: SfccClient, order_no: str) -> bool:
    """Whether retailsync recorded a refund on the site's order ``order_no``."""
    order = client.order(order_no)
    return order is not None and bool(RefundRecord.of(order.get("externalOrderStatus"), "").returns)


@dataclass(slots=True)
class SfccRefundApplier:
    """Returns of one SFCC channel's orders, recorded there."""

    client: SfccClient

    def apply(self, items: Sequence[Item]) -> dict[int, BaseException]:
        """Record each return's refund; failures by position."""
        return each_event(items, self.refund)

    def refund(self, returned: ReturnReceived) -> Decimal | None:
        """The amount recorded, or None when the return was recorded already."""
        order_no = returned.order_ref.partition(":")[2]
        order = self.client.order(order_no)
        if order is None:
            raise PermanentError(f"order {returned.order_ref} is not on the SFCC site")
        record = RefundRecord.of(order.get("externalOrderStatus"), returned.currency)
        if returned.return_ref in record.returns:
            log.info("%s: %s is recorded already", returned.order_ref, returned.return_ref)
            return None
        check_currency(returned, order.get("currency"))
        refunding = allocate(returned, _lines(order), {})
        total = Decimal(str(order.get("orderTotal") or 0))
        if refunding.amount > total - record.total:
            raise PermanentError(
                f"return {returned.return_ref} refunds {refunding.amount} {returned.currency}; "
                f"order {returned.order_ref} has {total - record.total} of {total} left"
            )
        recorded = RefundRecord(
            record.currency, {**record.returns, returned.return_ref: refunding.amount}
        )
        if len(recorded.text()) > _MAX_TEXT:
            raise PermanentError(
                f"order {returned.order_ref}'s external status holds no more returns: "
                f"record {returned.return_ref} ({refunding.amount}) there by hand"
            )
        self.client.report_adjustment(order_no, _adjustment(returned, refunding))
        self.client.set_external_status(order_no, recorded.text())
        return refunding.amount


def _lines(order: dict[str, Any]) -> list[OrderLine]:
    """The order's product items, each refundable in full (SCAPI shows no refunded units)."""
    try:
        return [
            OrderLine(str(item["itemId"]), str(item["productId"]), Decimal(str(item["quantity"])))
            for item in order.get("productItems") or ()
        ]
    except (KeyError, TypeError, ArithmeticError):
        raise PermanentError("the SFCC order has a product item without id or quantity") from None


def _adjustment(returned: ReturnReceived, refunding: Refunding) -> dict[str, Any]:
    minor = Decimal(10) ** _MINOR_DIGITS.get(returned.currency, 2)
    return {
        "id": returned.return_ref[:_MAX_TEXT],
        "type": "return",
        "occurredAt": returned.envelope.occurred_at.isoformat(timespec="milliseconds"),
        "status": "completed",
        "lineItems": [
            {"id": item, "quantity": -quantity} for item, quantity in refunding.quantities.items()
        ],
        "totals": [
            {"type": "total", "amount": -int(refunding.amount * minor), "displayText": "Refund"}
        ],
        "description": refund_note(returned.return_ref)[:_MAX_TEXT],
    }
