"""What happens to an order after it was placed: authorizations and cancellation.

An authorization is posted in the order's chatter, where Odoo users read it on the order's
form, with no accounting entry (nothing was taken yet); the note names the event id, so a
re-delivered event posts nothing twice. A cancelled order that was paid is refunded first
(``accounting``: a credit note and the money paid back), then cancelled.

A payment, refund or cancellation can arrive before its order (a platform sends its
webhooks in no promised order): the order missing is a TransientError, so the key-ordered
retry path parks the event and the later events of its order wait behind it, while the
order_created overtakes them (its handler is registered with ``overtakes``); the retry then
finds the order. An order that never comes ends in the dead-letter topic with that reason.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from consumers.odoo_orders.orders import ORDER
from retailsync.errors import TransientError
from retailsync.events import (
    Event,
    OrderCancelled,
    PaymentAuthorized,
    SourceSystem,
)
from retailsync.odoo import OdooClient

if TYPE_CHECKING:
    from consumers.odoo_orders.accounting import Ledger


class OrderNotYetError(TransientError):
    """The event's order is not in Odoo yet: retried until its order_created was applied."""

    def __init__(self, order_ref: str) -> None:
        super().__init__(f"the order {order_ref} is not in Odoo yet")


def post_money_note(odoo: OdooClient, event: PaymentAuthorized) -> None:
    what = f"Payment {event.payment_ref} authorized via {event.gateway}"
    note = f"{what}: {event.amount} {event.currency}"
    post_once(odoo, _order_id(odoo, event.order_ref), event, note)


def post_once(odoo: OdooClient, order_id: int, event: Event, text: str) -> None:
    """Post ``text`` in the order's chatter, naming the event, unless an earlier delivery
    of the event did."""
    marker = str(event.envelope.event_id)
    posted = odoo.search_count(
        "mail.message",
        [("model", "=", ORDER), ("res_id", "=", order_id), ("body", "ilike", marker)],
    )
    if posted:
        return
    body = f"<p>{text}</p><p>retailsync event {marker}</p>"
    odoo.call(ORDER, "message_post", [order_id], body=body, message_type="comment")


def cancel(odoo: OdooClient, event: OrderCancelled, ledger: Ledger) -> None:
    if event.envelope.source.system is SourceSystem.ODOO:
        return  # Odoo's own cancellation, published by the change capture: already done
    rows = odoo.search_read(
        ORDER, [("client_order_ref", "=", event.order_ref)], ["state", "invoice_ids"]
    )
    if not rows:
        raise OrderNotYetError(event.order_ref)
    if rows[0]["invoice_ids"]:
        ledger.refund_order(
            int(str(rows[0]["id"])),
            event.order_ref,
            f"retailsync cancellation {event.order_ref}",
            None,
        )
    if rows[0]["state"] != "cancel":
        # Odoo 17+ asks for confirmation in a wizard unless told not to.
        odoo.call(
            ORDER,
            "action_cancel",
            [int(str(rows[0]["id"]))],
            context={"disable_cancel_warning": True},
        )


def _order_id(odoo: OdooClient, order_ref: str) -> int:
    rows = odoo.search_read(ORDER, [("client_order_ref", "=", order_ref)], ["id"])
    if not rows:
        raise OrderNotYetError(order_ref)
    return int(str(rows[0]["id"]))
