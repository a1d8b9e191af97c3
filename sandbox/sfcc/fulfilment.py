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
- The same with ``{"adjustment": {id, type, occurredAt, status: pending | completed |
  failed, lineItems: [{id, quantity (signed)}], totals: [{type, amount (signed integer, in
  minor units), displayText}], description}}`` (a return, refund, credit or cancellation
  an OMS reports): 202. Exactly one of ``fulfillmentEvent`` and ``adjustment``.

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
_ADJUSTMENT_FIELDS = frozenset(
    {"id", "type", "occurredAt", "status", "lineItems", "totals", "description"}
)
ADJUSTMENT_STATUSES = ("pending", "completed", "failed")
_MAX_TEXT = 256


def stored_order(
    store: Store, refused: Callable[[Request], Response | None], request: Request
) -> StoredOrder | Response:
    """The order a call under ``…/orders/{order_no}`` names, or the answer to give: the call
    refused (throttled, unauthorized, no site), or 404 as SCAPI's ``OrderNotFound``."""
    if (answer := refused(request)) is not None:
        return answer
    number = request.path_params["order_no"]
    stored = store.order(request.query_params["siteId"], number)
    if stored is None:
        return problem(
            404, "order-not-found", "Order Not Found", f"No order with number '{number}' was found."
        )
    return stored


def fulfilment_routes(
    store: Store, orders: str, refused: Callable[[Request], Response | None]
) -> list[Route]:
    """The routes under ``orders`` (the organization's orders path); ``refused`` answers a
    call that does not get through (throttled, unauthorized, no site)."""

    def found(request: Request) -> StoredOrder | Response:
        return stored_order(store, refused, request)

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
        wrong = _wrong_status_event(body, stored)
        if wrong is not None:
            return _bad_request(wrong)
        if "adjustment" in body:
            store.add_adjustment(stored, body["adjustment"])
        else:
            store.add_fulfilment_event(stored, body["fulfillmentEvent"])
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


def _wrong_status_event(body: Any, order: StoredOrder) -> str | None:
    """What makes ``body`` no status event of ``order``, or None."""
    kinds = set(body) & {"fulfillmentEvent", "adjustment"} if isinstance(body, dict) else set()
    if not isinstance(body, dict) or set(body) - {"omsOrderId", *kinds} or len(kinds) != 1:
        return "A status event is {omsOrderId?, fulfillmentEvent} or {omsOrderId?, adjustment}."
    if "adjustment" in body:
        return _wrong_adjustment(body["adjustment"]) or _wrong_adjusted(body["adjustment"], order)
    event = body["fulfillmentEvent"]
    if not isinstance(event, dict):
        return "fulfillmentEvent is an object."
    return _wrong_event(event) or _wrong_lines(event.get("lineItems"), order)


def _wrong_adjustment(adjustment: Any) -> str | None:
    """What makes ``adjustment`` no OMS adjustment, or None."""
    if not isinstance(adjustment, dict):
        return "adjustment is an object."
    if extra := set(adjustment) - _ADJUSTMENT_FIELDS:
        return f"adjustment has no property {sorted(extra)[0]}."
    for name in ("id", "type", "occurredAt", "description"):
        text = adjustment.get(name)
        if (name != "description" or name in adjustment) and not (
            isinstance(text, str) and 1 <= len(text) <= _MAX_TEXT
        ):
            return f"adjustment.{name} is a text of 1 to {_MAX_TEXT} characters."
    if adjustment.get("status") not in ADJUSTMENT_STATUSES:
        return f"adjustment.status is one of {ADJUSTMENT_STATUSES}."
    return None


def _wrong_adjusted(adjustment: dict[str, Any], order: StoredOrder) -> str | None:
    """What makes the adjustment's line items and totals none of ``order``'s, or None."""
    items = {str(item.get("itemId")) for item in order.document.get("productItems", ())}
    for index, line in enumerate(adjustment.get("lineItems") or ()):
        quantity = line.get("quantity") if isinstance(line, dict) else None
        if not isinstance(quantity, int) or isinstance(quantity, bool):
            return f"adjustment.lineItems[{index}].quantity is an integer."
        if line.get("id") not in items:
            return f"adjustment.lineItems[{index}].id is no line item of the order."
    for index, total in enumerate(adjustment.get("totals") or ()):
        amount = total.get("amount") if isinstance(total, dict) else None
        if not isinstance(amount, int) or isinstance(amount, bool) or not total.get("type"):
            return f"adjustment.totals[{index}] has a type and an integer amount (minor units)."
    return None
