"""Cancellations made in Odoo, acknowledged on the channel the order came from.

An ``order_cancelled`` that Odoo's change capture published (source system ODOO) cancels
the order on its channel, so the shop stops showing it open, capturing its payment or
waiting for its shipment. A cancellation the channel published itself is not sent back
to it (the service's handler does not accept it). Restocking stays Odoo's business (its
levels reach the channels through storefront-inventory) and money goes back through the
refund events, so neither is asked of the channel:

- Shopify: ``orderCancel`` (GraphQL Admin API) with ``refund: false, restock: false``, the
  reason and a staff note; the cancellation runs as a background job, waited for, and the
  order read back;
- WooCommerce: ``PUT /wp-json/wc/v3/orders/<id>`` with ``status: cancelled``;
- SFCC: SCAPI Orders ``updateOrderStatus`` (``PUT …/orders/{orderNo}/status``) with
  ``status: cancelled``.

Idempotent on the channel's own state: an order cancelled there already is done with, so a
re-delivered event cancels nothing twice. An order the channel cannot cancel (fulfilled,
shipped, completed or refunded there, or a status SFCC will not leave) is a
``PermanentError`` naming the order and the channel's reason: a dead letter for a person.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from consumers.storefront_fulfillment.applier import each_event
from consumers.storefront_fulfillment.woocommerce import woo_order_id
from retailsync.consumer import Item
from retailsync.errors import PermanentError, TransientError
from retailsync.events import CancelReason, OrderCancelled
from retailsync.sfcc import SfccClient
from retailsync.storefront import StorefrontClient, StorefrontUserError
from retailsync.woocommerce import WooCommerceClient

log = logging.getLogger("retailsync.storefront.cancellations")

ORDER_CANCELLATION = """
query OrderCancellation($id: ID!) {
  order(id: $id) { id cancelledAt cancelReason fulfillments(first: 20) { id status } }
}
"""
CANCEL_ORDER = """
mutation CancelOrder(
  $orderId: ID!, $reason: OrderCancelReason!, $notifyCustomer: Boolean, $staffNote: String
) {
  orderCancel(
    orderId: $orderId, reason: $reason, refund: false, restock: false,
    notifyCustomer: $notifyCustomer, staffNote: $staffNote
  ) {
    job { id done }
    orderCancelUserErrors { field code message }
  }
}
"""
CANCEL_JOB = """
query CancelJob($id: ID!) { job(id: $id) { id done } }
"""
STAFF_NOTE = "Cancelled in Odoo (retailsync)"
# Shopify's OrderCancelReason for ours; Odoo keeps no reason (UNKNOWN).
SHOPIFY_REASONS = {
    CancelReason.UNKNOWN: "OTHER",
    CancelReason.CUSTOMER: "CUSTOMER",
    CancelReason.FRAUD: "FRAUD",
    CancelReason.INVENTORY: "INVENTORY",
    CancelReason.PAYMENT_DECLINED: "DECLINED",
    CancelReason.STAFF: "STAFF",
    CancelReason.OTHER: "OTHER",
}
# Fulfilments that do not stand in the way of a cancellation: they never shipped.
_VOID_FULFILMENTS = frozenset({"CANCELLED", "ERROR", "FAILURE"})
_JOB_POLL_S = 0.5


@dataclass(slots=True)
class ShopifyCanceller:
    client: StorefrontClient
    notify_customer: bool = True
    max_job_wait_s: float = 30.0
    sleep: Callable[[float], None] = time.sleep

    def apply(self, items: Sequence[Item]) -> dict[int, BaseException]:
        """Cancel each event's order; failures by position."""
        return each_event(items, self.cancel)

    def cancel(self, event: OrderCancelled) -> bool:
        """Whether the order was cancelled now: False when it was cancelled already."""
        order_gid = f"gid://shopify/Order/{event.order_ref.partition(':')[2]}"
        order = self._order(event, order_gid)
        if order.get("cancelledAt"):
            log.info("%s: cancelled on Shopify already", event.order_ref)
            return False
        shipped = [f for f in order["fulfillments"] if f["status"] not in _VOID_FULFILMENTS]
        if shipped:
            raise PermanentError(
                f"order {event.order_ref} cannot be cancelled on Shopify: it has "
                f"{len(shipped)} fulfillment(s); cancel them there first, or refund instead"
            )
        variables = {
            "orderId": order_gid,
            "reason": SHOPIFY_REASONS[event.reason],
            "notifyCustomer": self.notify_customer,
            "staffNote": STAFF_NOTE,
        }
        answer = self.client.execute(CANCEL_ORDER, variables)["orderCancel"]
        errors = answer["orderCancelUserErrors"]
        if errors:
            raise StorefrontUserError(
                f"Shopify refused to cancel order {event.order_ref}: "
                + "; ".join(error["message"] for error in errors),
                tuple(errors[0].get("field") or ()),
            )
        self._wait_for(answer["job"], event)
        if not self._order(event, order_gid).get("cancelledAt"):
            raise PermanentError(
                f"Shopify's cancellation job ended without cancelling order {event.order_ref}"
            )
        return True

    def _order(self, event: OrderCancelled, order_gid: str) -> dict[str, Any]:
        order = self.client.execute(ORDER_CANCELLATION, {"id": order_gid}).get("order")
        if order is None:
            raise PermanentError(f"order {event.order_ref} is not on the storefront")
        return dict(order)

    def _wait_for(self, job: dict[str, Any] | None, event: OrderCancelled) -> None:
        """Until Shopify's cancellation job is done; TransientError when it runs longer than
        ``max_job_wait_s`` (the retry finds the order cancelled, or cancels it)."""
        waited = 0.0
        while job is not None and not job.get("done"):
            if waited >= self.max_job_wait_s:
                raise TransientError(
                    f"Shopify's cancellation of {event.order_ref} ran over {waited:.0f}s"
                )
            self.sleep(_JOB_POLL_S)
            waited += _JOB_POLL_S
            job = self.client.execute(CANCEL_JOB, {"id": job["id"]}).get("job")


# WooCommerce statuses an order is not cancelled from: it was delivered, or paid back.
_WOO_SETTLED = frozenset({"completed", "refunded"})


@dataclass(slots=True)
class WooCommerceCanceller:
    client: WooCommerceClient

    def apply(self, items: Sequence[Item]) -> dict[int, BaseException]:
        """Cancel each event's order; failures by position."""
        return each_event(items, self.cancel)

    def cancel(self, event: OrderCancelled) -> bool:
        """Whether the order was cancelled now: False when it was cancelled already."""
        order_id = woo_order_id(event.order_ref)
        order = self.client.order(order_id)
        if order is None:
            raise PermanentError(f"order {event.order_ref} is not on the WooCommerce shop")
        status = order.get("status")
        if status == "cancelled":
            log.info("%s: cancelled on the WooCommerce shop already", event.order_ref)
            return False
        if status in _WOO_SETTLED:
            raise PermanentError(
                f"order {event.order_ref} cannot be cancelled on the WooCommerce shop: "
                f"it is {status} there"
            )
        self.client.set_order_status(order_id, "cancelled")
        return True


# SFCC shipping statuses an order is not cancelled from: goods left the warehouse.
_SFCC_SHIPPED = frozenset({"part_shipped", "shipped"})


@dataclass(slots=True)
class SfccCanceller:
    client: SfccClient

    def apply(self, items: Sequence[Item]) -> dict[int, BaseException]:
        """Cancel each event's order; failures by position."""
        return each_event(items, self.cancel)

    def cancel(self, event: OrderCancelled) -> bool:
        """Whether the order was cancelled now: False when it was cancelled already."""
        order_no = event.order_ref.partition(":")[2]
        order = self.client.order(order_no)
        if order is None:
            raise PermanentError(f"order {event.order_ref} is not on the SFCC site")
        if order.get("status") == "cancelled":
            log.info("%s: cancelled on the SFCC site already", event.order_ref)
            return False
        if order.get("shippingStatus") in _SFCC_SHIPPED:
            raise PermanentError(
                f"order {event.order_ref} cannot be cancelled on the SFCC site: it is "
                f"{order['shippingStatus']} there"
            )
        refused = self.client.set_order_status(order_no, "cancelled")
        if refused is not None:
            raise PermanentError(
                f"order {event.order_ref} cannot be cancelled on the SFCC site: {refused}"
            )
        return True
