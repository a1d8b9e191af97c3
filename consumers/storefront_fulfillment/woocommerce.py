"""Shipments to a WooCommerce channel: the order is completed and gets a customer note with
the carrier, tracking number and tracking URL.

WooCommerce core has no tracking field. Its Shipment Tracking extension has an endpoint
(``/wp-json/wc-shipment-tracking/v3/orders/<id>/shipment-trackings``) but only shops that
bought and installed it answer there; an order note is core, every shop has it, shows in
the admin's order screen and, as a customer note, is emailed to the customer — what a
tracking number is for. The note is written before the order is completed, so a retry after
a failure in between finds the note and only completes the order.

Idempotent on the shop's own state: a note with the shipment's tracking number means the
shipment is there already; a completed order is not completed again. WooCommerce has no
partial fulfilment: the first shipment of an order completes it, later ones add their notes.
A shipment of an order cancelled, refunded or failed on the shop is dead-lettered for a
person, and the order left as it is.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from retailsync.consumer import Item
from retailsync.errors import PermanentError, TargetUnavailableError
from retailsync.events import ShipmentDispatched
from retailsync.woocommerce import WooCommerceClient

log = logging.getLogger("retailsync.woocommerce.fulfillment")

COMPLETED = "completed"
# An order in one of these states was called off on the shop: completing it would be wrong,
# and a shipment of it is for a person to look at.
CALLED_OFF = frozenset({"cancelled", "refunded", "failed", "trash"})


@dataclass(slots=True)
class WooCommerceFulfillmentApplier:
    client: WooCommerceClient
    channel: str  # orders of this channel live on this shop
    notify_customer: bool = True

    def apply(self, items: Sequence[Item]) -> dict[int, BaseException]:
        """Fulfil each shipment; failures by position. Once the shop is unavailable, the
        rest of the batch fails with it, untried."""
        failures: dict[int, BaseException] = {}
        for index, item in enumerate(items):
            try:
                self.fulfil(item.event)
            except TargetUnavailableError as exc:
                failures.update({later: exc for later in range(index, len(items))})
                break
            except Exception as exc:  # reported per item, classified by the runtime
                failures[index] = exc
        return failures

    def fulfil(self, shipment: ShipmentDispatched) -> bool:
        """Whether the shop changed: False for another channel's order or a re-delivery."""
        if shipment.order_ref.partition(":")[0] != self.channel:
            return False
        order_id = woo_order_id(shipment.order_ref)
        order = self.client.order(order_id)
        if order is None:
            raise PermanentError(f"order {shipment.order_ref} is not on the WooCommerce shop")
        if order.get("status") in CALLED_OFF:
            raise PermanentError(
                f"order {shipment.order_ref} is {order['status']} on the WooCommerce shop: "
                f"{shipment.shipment_ref} is not recorded there"
            )
        changed = False
        number = shipment.tracking_number
        if number and not any(
            number in str(n.get("note")) for n in self.client.order_notes(order_id)
        ):
            self.client.add_order_note(
                order_id, tracking_note(shipment), customer_note=self.notify_customer
            )
            changed = True
        if order.get("status") != COMPLETED:
            self.client.set_order_status(order_id, COMPLETED)
            changed = True
        if not changed:
            log.info("%s: %s is on the shop already", shipment.order_ref, shipment.shipment_ref)
        return changed


def woo_order_id(order_ref: str) -> int:
    """The WooCommerce order id an order ref names; PermanentError when it names none."""
    order_id = order_ref.partition(":")[2]
    if not order_id.isdigit():
        raise PermanentError(f"{order_ref}: a WooCommerce order id is a number")
    return int(order_id)


def tracking_note(shipment: ShipmentDispatched) -> str:
    """The note's text: carrier, tracking number and, when there is one, the URL."""
    text = f"Your order has shipped with {shipment.carrier}. Tracking number: "
    text += f"{shipment.tracking_number}."
    if shipment.tracking_url:
        text += f" Track it at {shipment.tracking_url}"
    return text
