"""Shipments to an SFCC channel, through what SCAPI Orders v1 documents for an order
management system: a fulfilment event (``createOmsStatusEvent``, type ``shipped``) with the
shipped line items, carrier, tracking number and URL, and the order's shipping status
(``updateOrderShippingStatus``): ``shipped`` once every product item's quantity has gone,
``part_shipped`` before.

SCAPI has no call that writes a shipment's ``trackingNumber``; the event is where tracking
goes (the API forwards it to the order's event subscribers). The event requires a tracking
number and URL: a shipment without both reports its shipping status only.

A shipped line names the SFCC product item it came from (its ``line_ref`` is the item's
``itemId``, as ``producers/sfcc`` mapped the order); a line without one (a v1 shipment)
takes the open quantity of the product items of its SKU. The event's id is the shipment
ref, so a re-delivered shipment is the same event to whoever receives it; and an order
SFCC already calls ``shipped`` gets nothing again.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from consumers.storefront_fulfillment.applier import each_event
from retailsync.consumer import Item
from retailsync.errors import PermanentError
from retailsync.events import ShipmentDispatched
from retailsync.sfcc import SfccClient, ShippingStatus

log = logging.getLogger("retailsync.sfcc.fulfillment")

# The longest id and text the event's fields take.
_MAX_TEXT = 256


@dataclass(slots=True)
class SfccFulfillmentApplier:
    client: SfccClient
    # order number -> shipment ref -> product item id -> quantity reported shipped; what
    # this process reported, so that a shipment is counted once and an order whose last
    # shipment covers the rest becomes shipped.
    reported: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)

    def apply(self, items: Sequence[Item]) -> dict[int, BaseException]:
        """Report each shipment; failures by position."""
        return each_event(items, self.fulfil)

    def fulfil(self, shipment: ShipmentDispatched) -> ShippingStatus | None:
        """The shipping status set, or None when there was nothing to do: the order is
        shipped already, or no shipped line is one of its product items."""
        order_no = shipment.order_ref.partition(":")[2]
        order = self.client.order(order_no)
        if order is None:
            raise PermanentError(f"order {shipment.order_ref} is not on the SFCC site")
        if order.get("shippingStatus") == "shipped":
            log.info("%s: the order is shipped already", shipment.order_ref)
            self.reported.pop(order_no, None)
            return None
        ordered = _ordered(order)
        shipments = self.reported.setdefault(order_no, {})
        lines = shipments.get(shipment.shipment_ref)
        if lines is None:
            lines = _allocate(ordered, _shipped(shipments), shipment)
            if not lines:
                return None
            self._report(order_no, shipment, lines)
            shipments[shipment.shipment_ref] = lines
        done = _shipped(shipments)
        complete = all(done.get(item, 0) >= quantity for item, (_, quantity) in ordered.items())
        status: ShippingStatus = "shipped" if complete else "part_shipped"
        self.client.set_shipping_status(order_no, status)
        if complete:
            self.reported.pop(order_no, None)
        return status

    def _report(self, order_no: str, shipment: ShipmentDispatched, lines: dict[str, int]) -> None:
        if not (shipment.tracking_number and shipment.tracking_url):
            log.info("%s: %s has no tracking number and URL; shipping status only",
                     shipment.order_ref, shipment.shipment_ref)  # fmt: skip
            return
        event: dict[str, Any] = {
            "id": shipment.shipment_ref[:_MAX_TEXT],
            "occurredAt": shipment.envelope.occurred_at.isoformat(timespec="milliseconds"),
            "type": "shipped",
            "lineItems": [{"id": item, "quantity": quantity} for item, quantity in lines.items()],
            "trackingNumber": shipment.tracking_number[:_MAX_TEXT],
            "trackingUrl": shipment.tracking_url,
        }
        if shipment.carrier:
            event["carrier"] = shipment.carrier[:_MAX_TEXT]
        self.client.report_fulfilment(order_no, event)


def _ordered(order: dict[str, Any]) -> dict[str, tuple[str, int]]:
    """The order's product items: item id -> (product id, quantity)."""
    try:
        return {
            str(item["itemId"]): (str(item["productId"]), int(item["quantity"]))
            for item in order.get("productItems") or ()
        }
    except (KeyError, TypeError, ValueError):
        raise PermanentError("the SFCC order has a product item without id or quantity") from None


def _shipped(shipments: dict[str, dict[str, int]]) -> dict[str, int]:
    """Item id -> quantity reported shipped by ``shipments``."""
    total: dict[str, int] = {}
    for lines in shipments.values():
        for item, quantity in lines.items():
            total[item] = total.get(item, 0) + quantity
    return total


def _allocate(
    ordered: dict[str, tuple[str, int]], shipped: dict[str, int], shipment: ShipmentDispatched
) -> dict[str, int]:
    """Item id -> quantity of ``shipment``: each line on the product item it names, else
    on the open quantity of the items of its SKU."""
    open_quantity = {
        item: quantity - shipped.get(item, 0) for item, (_, quantity) in ordered.items()
    }
    lines: dict[str, int] = {}

    def take(item: str, quantity: int) -> int:
        share = min(quantity, open_quantity[item])
        if share > 0:
            open_quantity[item] -= share
            lines[item] = lines.get(item, 0) + share
        return quantity - share

    for line in shipment.lines:
        left = int(line.quantity)
        named = line.line_ref if shipment.envelope.schema_version >= 2 else None
        if named is not None and named in ordered:
            left = take(named, left)
        for item, (sku, _) in ordered.items():
            if left <= 0:
                break
            if sku == line.sku:
                left = take(item, left)
    return lines
