"""What an order management system reports back to an order (SCAPI Orders v1, as of the
API's 1.5 specification): its shipping status, its status (a cancellation), its payment
status, and fulfilment events with carrier, tracking number and URL.

- ``PUT …/orders/{orderNo}/shipping-status?siteId`` ``{"status": "not_shipped" |
  "part_shipped" | "shipped"}``: 204.
- ``PUT …/orders/{orderNo}/status?siteId`` ``{"status": …}``: 204; the transitions the
  documentation allows (``new``/``completed`` -> ``cancelled`` and back, ``created`` ->
  anything, ``failed`` -> ``created``), else 409 ``status-transition-conflict``.
- ``PUT …/orders/{orderNo}/payment-status?siteId`` ``{"status": "not_paid" | "part_paid" |
  "paid"}``: 204 (``updateOrderPaymentStatus``).
- ``POST …/orders/{orderNo}/oms-status-events?siteId`` ``{"fulfillmentEvent": {id,
  occurredAt, type, lineItems: [{id, quantity}], trackingNumber, trackingUrl, carrier,
  description}}``: 202, queued for the order's event subscribers. ``trackingNumber`` and
  ``trackingUrl`` are required unless ``type`` is ``processing``; unknown properties are
  refused (the schema forbids additional ones).

Read conservatively where the documentation is silent: an event does not change the order
document (it is forwarded, not applied: no ``shipments[].trackingNumber`` is set), a line
item id the order does not have is refused 400, and an unknown order is 404
``order-not-found`` as on the other order endpoints.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox.sfcc.inventory import read_json
from sandbox.sfcc.problems import problem
from sandbox.sfcc.store import (
    PAYMENT_STATUSES,
    SHIPPING_STATUSES,
    Store,
    StoredOrder,
    TransitionRefusedError,
)

ORDER_STATUSES = ("created", "new", "completed", "cancelled", "failed", "failed_with_reopen")
_EVENT_FIELDS = frozenset(
    {"id", "occurredAt", "type", "lineItems", "trackingNumber", "trackingUrl", "carrier",
     "description"}
)  # fmt: skip


def fulfilment_routes(
    store: Store, orders: str, refused: Callable[[Request], Response | None]
) -> list[Route]:
    """The routes under ``orders`` (the organization's orders path); ``refused`` answers a
    call that does not get through (throttled, unauthorized, no site)."""

    def found(request: Request) -> StoredOrder | Response:
        if (answer := refused(request)) is not None:
            return answer
        number = request.path_params["order_no"]
        stored = store.order(request.query_params["siteId"], number)
        if stored is None:
            return problem(
                404, "order-not-found", "Order Not Found", f"No order with number '{number}'."
            )
        return stored

    async def shipping_status(request: Request) -> Response:
        stored = found(request)
        if isinstance(stored, Response):
            return stored
        status = _status(await read_json(request))
        if status not in SHIPPING_STATUSES:
            return _bad_request(f"status is one of {SHIPPING_STATUSES}.")
        store.set_shipping_status(stored, status)
        return Response(status_code=204)

    async def order_status(request: Request) -> Response:
        stored = found(request)
        if isinstance(stored, Response):
            return stored
        status = _status(await read_json(request))
        if status not in ORDER_STATUSES:
            return _bad_request(f"status is one of {ORDER_STATUSES}.")
        try:
            store.set_order_status(stored, "failed" if status == "failed_with_reopen" else status)
        except TransitionRefusedError as refusal:
            return problem(409, "status-transition-conflict", "Status Transition", str(refusal))
        return Response(status_code=204)

    async def payment_status(request: Request) -> Response:
        stored = found(request)
        if isinstance(stored, Response):
            return stored
        status = _status(await read_json(request))
        if status not in PAYMENT_STATUSES:
            return _bad_request(f"status is one of {PAYMENT_STATUSES}.")
        store.set_payment_status(stored, status)
        return Response(status_code=204)

    async def status_event(request: Request) -> Response:
        stored = found(request)
        if isinstance(stored, Response):
            return stored
        body = await read_json(request)
        if not isinstance(body, dict) or set(body) - {"omsOrderId", "fulfillmentEvent"}:
            return _bad_request("A status event is {omsOrderId?, fulfillmentEvent}.")
        event = body.get("fulfillmentEvent")
        if not isinstance(event, dict):
            return _bad_request("fulfillmentEvent is required.")
        wrong = _wrong_event(event) or _wrong_lines(event.get("lineItems"), stored)
        if wrong is not None:
            return _bad_request(wrong)
        store.add_fulfilment_event(stored, event)
        return Response(status_code=202)

    return [
        Route(orders + "/{order_no}/shipping-status", shipping_status, methods=["PUT"]),
        Route(orders + "/{order_no}/status", order_status, methods=["PUT"]),
        Route(orders + "/{order_no}/payment-status", payment_status, methods=["PUT"]),
        Route(orders + "/{order_no}/oms-status-events", status_event, methods=["POST"]),
    ]


def _status(body: Any) -> str | None:
    status = body.get("status") if isinstance(body, dict) else None
    return status if isinstance(status, str) else None


def _bad_request(detail: str) -> Response:
    return problem(400, "bad-request", "Bad Request", detail)


def _wrong_event(event: dict[str, Any]) -> str | None:
    """What makes ``event`` no fulfilment event, or None."""
    if extra := set(event) - _EVENT_FIELDS:
        return f"fulfillmentEvent has no property {sorted(extra)[0]}."
    required = ["id", "occurredAt", "type"]
    if event.get("type") != "processing":
        required += ["trackingNumber", "trackingUrl"]
    for name in required:
        if not isinstance(event.get(name), str) or not event[name]:
            return (
                f"fulfillmentEvent.{name} is required (trackingNumber and trackingUrl "
                "unless type is processing)."
            )
    return None


def _wrong_lines(lines: Any, order: StoredOrder) -> str | None:
    """What makes ``lines`` no line items of ``order``, or None."""
    if not isinstance(lines, list) or not 1 <= len(lines) <= 200:
        return "fulfillmentEvent.lineItems has 1 to 200 items."
    items = {str(item.get("itemId")) for item in order.document.get("productItems", ())}
    for index, line in enumerate(lines):
        quantity = line.get("quantity") if isinstance(line, dict) else None
        if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 0:
            return f"fulfillmentEvent.lineItems[{index}].quantity is an integer >= 0."
        if line.get("id") not in items:
            return f"fulfillmentEvent.lineItems[{index}].id is no line item of the order."
    return None
