"""Orders a fraud check flags: held as quotations for a person to confirm or cancel.

The rule (``OrdersSettings.odoo_orders_hold_risk``, default HIGH) names the risk levels of
order_risk_assessed that hold an order. An order assessed so before it reached Odoo is
created and left a quotation; one confirmed already is cancelled and set back to a
quotation (its delivery cancelled, its stock unreserved), unless it was invoiced or shipped:
then money or goods have moved and it is only flagged. A held or flagged order gets the tag
``HOLD_TAG`` and a chatter note with the level, the provider and its facts; a person
confirms or cancels it in Odoo. A later, lower assessment releases nothing (its note says
what was assessed): only a person does.

Holding a confirmed order takes two calls, cancel then set to quotation. The order wears
``REVIEW_PENDING`` from before the first until after the second, so change capture never
publishes it as cancelled (the channel would cancel it), and a re-delivered assessment that
finds it cancelled with that tag (a crash between the calls) finishes the hold.

A held order's capture waits (``OrderHeldError``, retried, then dead-lettered naming the
hold) until a person confirmed it, and is then redriven; re-delivering a held order's
order_created confirms nothing.
"""

from __future__ import annotations

from collections.abc import Collection

from consumers.odoo_orders.lifecycle import OrderNotYetError, post_once
from consumers.odoo_orders.orders import HOLD_TAG, ORDER, tag_id
from retailsync.errors import TransientError
from retailsync.events import OrderRiskAssessed, RiskLevel
from retailsync.odoo import OdooClient
from retailsync.odoo.tags import REVIEW_PENDING


class OrderHeldError(TransientError):
    """The event's order is a quotation (held for review): retried until it is confirmed."""

    def __init__(self, order_ref: str) -> None:
        super().__init__(
            f"the order {order_ref} is a quotation, not a sale (held for fraud review?): "
            "confirm it in Odoo, then redrive this event"
        )


def apply_assessment(
    odoo: OdooClient, event: OrderRiskAssessed, hold_levels: Collection[RiskLevel]
) -> None:
    """Hold, flag or note the assessed order, which must be in Odoo."""
    rows = odoo.search_read(
        ORDER,
        [("client_order_ref", "=", event.order_ref)],
        ["state", "invoice_ids", "delivery_status", "tag_ids"],
    )
    if not rows:
        raise OrderNotYetError(event.order_ref)
    order_id, state = int(str(rows[0]["id"])), rows[0]["state"]
    said = f"Fraud risk {event.risk_level.value}" + (
        f" by {event.provider}" if event.provider else ""
    )
    facts = "".join(f"; {fact}" for fact in event.facts)
    if event.risk_level not in hold_levels:
        post_once(odoo, order_id, event, f"{said}{facts}.")
        return
    pending = tag_id(odoo, REVIEW_PENDING)
    interrupted = state == "cancel" and pending in rows[0]["tag_ids"]
    if state == "cancel" and not interrupted:
        post_once(odoo, order_id, event, f"{said}{facts}.")
        return
    moved = bool(rows[0]["invoice_ids"]) or rows[0]["delivery_status"] in ("partial", "full")
    if state == "sale" and not moved:
        odoo.write(ORDER, [order_id], {"tag_ids": [[4, pending]]})
        odoo.call(ORDER, "action_cancel", [order_id], context={"disable_cancel_warning": True})
    if (state == "sale" and not moved) or interrupted:
        odoo.call(ORDER, "action_draft", [order_id])
    odoo.write(ORDER, [order_id], {"tag_ids": [[3, pending], [4, tag_id(odoo, HOLD_TAG)]]})
    if state == "sale" and moved:
        outcome = "already invoiced or shipped, so left confirmed: review it"
    else:
        outcome = "held as a quotation: confirm or cancel it"
    post_once(odoo, order_id, event, f"{said}{facts}. {outcome}.")
