"""Applying shipments: a storefront fulfilment with carrier and tracking, created once."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from consumers.storefront_fulfillment.settings import FulfillmentSettings
from retailsync.consumer import Item
from retailsync.errors import PermanentError, TargetUnavailableError
from retailsync.events import ShipmentDispatched
from retailsync.storefront import StorefrontClient, StorefrontSettings, StorefrontUserError

log = logging.getLogger("retailsync.storefront.fulfillment")

ORDER_FULFILMENTS = """
query OrderFulfillments($id: ID!) {
  order(id: $id) {
    id
    fulfillments(first: 20) { id status trackingInfo(first: 5) { company number url } }
    fulfillmentOrders(first: 5) {
      nodes {
        id status
        lineItems(first: 50) { nodes { id remainingQuantity lineItem { id sku } } }
      }
    }
  }
}
"""
CREATE_FULFILMENT = """
mutation CreateFulfillment($fulfillment: FulfillmentInput!) {
  fulfillmentCreate(fulfillment: $fulfillment) {
    fulfillment { id status trackingInfo(first: 5) { company number url } }
    userErrors { field message }
  }
}
"""
_FULFILLABLE = frozenset({"OPEN", "IN_PROGRESS"})


@dataclass(slots=True)
class FulfillmentApplier:
    client: StorefrontClient
    channel: str  # orders of this channel live on this storefront
    notify_customer: bool = True

    @classmethod
    def from_settings(
        cls, storefront: StorefrontSettings, settings: FulfillmentSettings
    ) -> FulfillmentApplier:
        return cls(
            StorefrontClient.from_settings(storefront),
            settings.storefront_channel,
            settings.storefront_notify_customer,
        )

    def apply(self, items: Sequence[Item]) -> dict[int, BaseException]:
        """Fulfil each shipment; failures by position."""
        return each_event(items, self.fulfil)

    def fulfil(self, shipment: ShipmentDispatched) -> str | None:
        """The id of the fulfilment created, or None when there was nothing to do: another
        storefront's order, a fulfilment with this tracking number already there, or no
        open quantity left for the shipped SKUs (a re-delivery)."""
        channel, _, order_id = shipment.order_ref.partition(":")
        if channel != self.channel:
            return None
        data = self.client.execute(ORDER_FULFILMENTS, {"id": f"gid://shopify/Order/{order_id}"})
        order = data.get("order")
        if order is None:
            raise PermanentError(f"order {shipment.order_ref} is not on the storefront")
        if shipment.tracking_number and _tracked(order, shipment.tracking_number):
            log.info("%s: %s is fulfilled already", shipment.order_ref, shipment.shipment_ref)
            return None
        lines = _allocate(order, shipment)
        if not lines:
            return None
        return self._create(shipment, lines)

    def _create(self, shipment: ShipmentDispatched, lines: list[dict[str, Any]]) -> str:
        tracking = {
            "company": shipment.carrier,
            "number": shipment.tracking_number,
            "url": shipment.tracking_url,
        }
        fulfilment = {
            "lineItemsByFulfillmentOrder": lines,
            "notifyCustomer": self.notify_customer,
            "trackingInfo": {name: value for name, value in tracking.items() if value},
        }
        data = self.client.execute(CREATE_FULFILMENT, {"fulfillment": fulfilment})
        created = data["fulfillmentCreate"]
        errors = created["userErrors"]
        if errors:
            raise StorefrontUserError(
                "; ".join(error["message"] for error in errors),
                tuple(errors[0].get("field") or ()),
            )
        return str(created["fulfillment"]["id"])


def each_event(items: Sequence[Item], apply: Callable[[Any], object]) -> dict[int, BaseException]:
    """``apply`` each event of ``items``; failures by position. Once the channel is
    unavailable, the rest of the batch fails with it, untried."""
    failures: dict[int, BaseException] = {}
    for index, item in enumerate(items):
        try:
            apply(item.event)
        except TargetUnavailableError as exc:
            failures.update({later: exc for later in range(index, len(items))})
            break
        except Exception as exc:  # reported per item, classified by the runtime
            failures[index] = exc
    return failures


def _tracked(order: dict[str, Any], number: str) -> bool:
    return any(
        info.get("number") == number
        for fulfilment in order["fulfillments"]
        for info in fulfilment.get("trackingInfo") or ()
    )


def _allocate(order: dict[str, Any], shipment: ShipmentDispatched) -> list[dict[str, Any]]:
    """The open fulfilment order lines that cover the shipped quantities: first on the line
    items the shipped lines name (their ``line_ref``), then, for the rest and for lines
    without one, on any line item of the shipped SKU."""
    open_lines = [
        (fulfilment_order["id"], line, line.get("lineItem") or {})
        for fulfilment_order in order["fulfillmentOrders"]["nodes"]
        if fulfilment_order["status"] in _FULFILLABLE
        for line in fulfilment_order["lineItems"]["nodes"]
    ]
    remaining = {line["id"]: Decimal(line["remainingQuantity"]) for _, line, _ in open_lines}
    taken: dict[str, Decimal] = {}

    def take(quantity: Decimal, field: str, value: object) -> Decimal:
        """Take ``quantity`` from the open lines whose line item has ``field`` = ``value``;
        answer what could not be taken."""
        for _, line, item in open_lines:
            if quantity <= 0:
                break
            if item.get(field) == value:
                share = min(quantity, remaining[line["id"]])
                remaining[line["id"]] -= share
                taken[line["id"]] = taken.get(line["id"], Decimal(0)) + share
                quantity -= share
        return quantity

    left_by_sku = [
        (line.sku, take(line.quantity, "id", item) if item else line.quantity)
        for line in shipment.lines
        for item in [_line_item(shipment, line.line_ref)]
    ]
    for sku, left in left_by_sku:
        take(left, "sku", sku)
    by_order: dict[str, list[dict[str, Any]]] = {}
    for order_id, line, _ in open_lines:
        if taken.get(line["id"], 0) > 0:
            by_order.setdefault(order_id, []).append(
                {"id": line["id"], "quantity": int(taken[line["id"]])}
            )
    return [
        {"fulfillmentOrderId": order_id, "fulfillmentOrderLineItems": lines}
        for order_id, lines in by_order.items()
    ]


def _line_item(shipment: ShipmentDispatched, line_ref: str | None) -> str | None:
    """The storefront line item a shipped line names; none for a v1 shipment, whose
    line_ref is Odoo's line id, not the channel's."""
    if line_ref and shipment.envelope.schema_version >= 2:
        return f"gid://shopify/LineItem/{line_ref}"
    return None
