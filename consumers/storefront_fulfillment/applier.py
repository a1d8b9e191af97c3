"""Applying shipments: a storefront fulfilment with carrier and tracking, created once."""

from __future__ import annotations

import logging
from collections.abc import Sequence
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
        """Fulfil each shipment; failures by position. Once the storefront is unavailable,
        the rest of the batch fails with it, untried."""
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


def _wanted_key(shipment: ShipmentDispatched, line_ref: str | None, sku: str) -> str:
    # A v1 shipment's line_ref is Odoo's line id, not the channel's: those go by SKU.
    if line_ref and shipment.envelope.schema_version >= 2:
        return f"item gid://shopify/LineItem/{line_ref}"
    return f"sku {sku}"


def _tracked(order: dict[str, Any], number: str) -> bool:
    return any(
        info.get("number") == number
        for fulfilment in order["fulfillments"]
        for info in fulfilment.get("trackingInfo") or ()
    )


def _allocate(order: dict[str, Any], shipment: ShipmentDispatched) -> list[dict[str, Any]]:
    """The open fulfilment order lines that cover the shipped quantities: of the order's line
    item a shipped line names (its ``line_ref``), else of the shipped SKU."""
    wanted: dict[str, Decimal] = {}
    for line in shipment.lines:
        key = _wanted_key(shipment, line.line_ref, line.sku)
        wanted[key] = wanted.get(key, Decimal(0)) + line.quantity
    by_order: dict[str, list[dict[str, Any]]] = {}
    for fulfilment_order in order["fulfillmentOrders"]["nodes"]:
        if fulfilment_order["status"] not in _FULFILLABLE:
            continue
        for line in fulfilment_order["lineItems"]["nodes"]:
            item = line.get("lineItem") or {}
            remaining = Decimal(line["remainingQuantity"])
            taken = Decimal(0)
            for key in (f"item {item.get('id')}", f"sku {item.get('sku') or ''}"):
                take = min(wanted.get(key, Decimal(0)), remaining - taken)
                if take > 0:
                    wanted[key] -= take
                    taken += take
            if taken > 0:
                by_order.setdefault(fulfilment_order["id"], []).append(
                    {"id": line["id"], "quantity": int(taken)}
                )
    return [
        {"fulfillmentOrderId": order_id, "fulfillmentOrderLineItems": lines}
        for order_id, lines in by_order.items()
    ]
