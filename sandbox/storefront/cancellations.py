"""Cancelling orders: ``orderCancel`` and the ``job`` it answers with.

``orderCancel(orderId:, reason:, refund:, restock:, notifyCustomer:, staffNote:)`` cancels
in a background job on Shopify: the payload holds the ``job`` (``done: false``) and the
``orderCancelUserErrors`` of what was refused at once. The sandbox runs the job before it
answers, so ``job(id:)`` reads ``done: true`` and the order's ``cancelledAt`` is set. What it
refuses (codes of ``OrderCancelUserErrorCode``; the wording is the sandbox's): an unknown
order (``NOT_FOUND``), an order cancelled already or one with fulfilments (``INVALID``, as
the documentation's criteria say such an order cannot be cancelled), and a reason outside
``OrderCancelReason`` or a missing ``refund``/``restock`` (``INVALID``; Shopify refuses
those as invalid variables before running the mutation). Cancelling closes the order's
fulfilment orders; ``refund: true`` refunds what was received and is not refunded yet;
restocking is recorded, not modelled.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sandbox.storefront.store import Order, Refund, Store, gid

REASONS = frozenset({"CUSTOMER", "DECLINED", "FRAUD", "INVENTORY", "OTHER", "STAFF"})


def order_cancel(store: Store, arguments: Mapping[str, Any]) -> dict[str, Any]:
    with store.locked():
        found = store.orders.get(str(arguments.get("orderId")))
        refusal = _refusal(found, arguments)
        if refusal is not None:
            return {"job": None, "orderCancelUserErrors": [refusal], "userErrors": [refusal]}
        assert found is not None
        now = datetime.now(UTC).replace(microsecond=0)
        found.cancelled_at, found.cancel_reason = now, str(arguments["reason"])
        found.cancel_note = arguments.get("staffNote")
        for fulfilment_order in found.fulfilment_orders:
            fulfilment_order.status = "CLOSED"
        left = found.total - found.refunded
        if arguments["refund"] and left > 0:
            found.refunds.append(Refund(gid("Refund", store.next_id()), None, [], left, now))
        job = f"gid://shopify/Job/{uuid.uuid4()}"
        store.jobs.add(job)
        store.mutations.append("orderCancel")
    return {"job": {"id": job, "done": False}, "orderCancelUserErrors": [], "userErrors": []}


def job(store: Store, arguments: Mapping[str, Any]) -> dict[str, Any] | None:
    """``job(id:)``: a job this shop started, done; None for another id."""
    with store.locked():
        known = str(arguments.get("id")) in store.jobs
    return {"id": arguments.get("id"), "done": True} if known else None


def _refusal(found: Order | None, arguments: Mapping[str, Any]) -> dict[str, Any] | None:
    def error(field: str, code: str, message: str) -> dict[str, Any]:
        return {"field": [field], "code": code, "message": message}

    if found is None:
        return error("orderId", "NOT_FOUND", "Order does not exist.")
    if arguments.get("reason") not in REASONS:
        return error("reason", "INVALID", "Reason is not an OrderCancelReason.")
    for flag in ("refund", "restock"):
        if not isinstance(arguments.get(flag), bool):
            return error(flag, "INVALID", f"{flag.capitalize()} must be true or false.")
    if found.cancelled_at is not None:
        return error("orderId", "INVALID", "Order has already been cancelled.")
    if any(fulfilment.status == "SUCCESS" for fulfilment in found.fulfilments):
        return error("orderId", "INVALID", "Cannot cancel an order that has fulfillments.")
    return None


QUERIES = {"job": job}
MUTATIONS = {"orderCancel": order_cancel}
