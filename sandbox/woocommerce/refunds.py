"""Order refunds as WooCommerce's REST API v3 makes them (``WC_REST_Order_Refunds_Controller``
on ``wc_create_refund``, the classic path without ``compute_totals``).

- ``GET /orders/<id>/refunds``: the order's refunds, newest first, paged; an order the shop
  lacks has none (the listing is a query by parent id).
- ``POST /orders/<id>/refunds``: ``amount`` (a string; without it, the sum of the line items'
  ``refund_total`` and ``refund_tax``), ``reason``, ``api_refund`` and ``api_restock``
  (booleans, true unless sent false), ``line_items`` ``[{id, quantity, refund_total,
  refund_tax: [{id, refund_total}]}]``. 201 with the refund. WooCommerce checks no line's
  quantity and skips ids the order lacks.

Refusals as WooCommerce answers them: a negative amount is
``woocommerce_rest_invalid_order_refund``, an unknown order
``woocommerce_rest_invalid_order_id``, and whatever ``wc_create_refund`` refuses (an amount
over what the order has left to refund: "Invalid refund amount."; ``api_refund`` with a
gateway that cannot pay back) ``woocommerce_rest_cannot_create_order_refund`` — all HTTP 500,
since the controller passes the status as the error's bare data, which WordPress does not
read as one. A non-string ``amount`` fails WordPress's schema check: 400
``rest_invalid_param``.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.woocommerce.auth import refusal
from sandbox.woocommerce.documents import error, invalid_param, read_json, refund_document
from sandbox.woocommerce.paging import page_of
from sandbox.woocommerce.store import RefundRefusedError, Store

_REFUSED = "woocommerce_rest_cannot_create_order_refund"


def refund_routes(store: Store, api: str) -> list[Route]:
    async def refunds(request: Request) -> Response:
        if (answer := refusal(store, request)) is not None:
            return answer
        order = store.order(request.path_params["id"])
        if order is None:
            return page_of(request, [])
        site = str(request.base_url).rstrip("/")
        with store.lock:
            documents = [refund_document(r, order, site) for r in reversed(order.refunds)]
        return page_of(request, documents)

    async def create(request: Request) -> Response:
        if (answer := refusal(store, request)) is not None:
            return answer
        order = store.order(request.path_params["id"])
        site = str(request.base_url).rstrip("/")
        body = await read_json(request)
        # WordPress checks the body against the schema before the controller runs.
        if (answer := _invalid(body)) is not None:
            return answer
        if order is None:
            return error(500, "woocommerce_rest_invalid_order_id", "Invalid order ID.")
        lines = _lines(body.get("line_items"))
        amount = _number(body["amount"]) if "amount" in body else _sum(lines)
        try:
            made = store.create_refund(
                order,
                amount or Decimal(0),
                str(body.get("reason") or ""),
                [(line_id, quantity, total or Decimal(0), tax or Decimal(0))
                 for line_id, quantity, total, tax in lines],
                refund_payment=body.get("api_refund") is not False,
                restock=body.get("api_restock") is not False,
            )  # fmt: skip
        except RefundRefusedError as refused:
            return error(500, _REFUSED, str(refused))
        return JSONResponse(refund_document(made, order, site), 201)

    path = f"{api}/orders/{{id:int}}/refunds"
    return [Route(path, refunds, methods=["GET"]), Route(path, create, methods=["POST"])]


def _invalid(body: Any) -> Response | None:
    """The answer to a body WooCommerce refuses before making the refund, or None."""
    if not isinstance(body, dict):
        return error(400, "rest_invalid_json", "Invalid JSON body passed.")
    if "amount" not in body:
        return None
    if not isinstance(body["amount"], str):
        return invalid_param("amount", "amount is not of type string.")
    amount = _number(body["amount"])
    if amount is not None and amount < 0:
        message = "Refund amount must be greater than zero."
        return error(500, "woocommerce_rest_invalid_order_refund", message)
    return None


Line = tuple[int, int, Decimal | None, Decimal | None]  # id, quantity, total, tax


def _lines(items: Any) -> list[Line]:
    """The request's line items, ``refund_tax`` summed; what is not a line item is skipped."""
    lines: list[Line] = []
    for item in items if isinstance(items, list) else ():
        if not isinstance(item, dict) or not isinstance(item.get("id"), int):
            continue
        taxes = [_number(t.get("refund_total")) for t in item.get("refund_tax") or ()
                 if isinstance(t, dict)]  # fmt: skip
        tax = None if None in taxes else sum((t for t in taxes if t is not None), Decimal(0))
        quantity = item.get("quantity")
        lines.append(
            (item["id"], quantity if isinstance(quantity, int) else 0,
             _number(item.get("refund_total")), tax)
        )  # fmt: skip
    return lines


def _sum(lines: list[Line]) -> Decimal | None:
    """The amount WooCommerce makes of the line items: None unless every one has a numeric
    ``refund_total`` and taxes."""
    if not lines or any(total is None or tax is None for _, _, total, tax in lines):
        return None
    return sum(((total or Decimal(0)) + (tax or Decimal(0)) for _, _, total, tax in lines),
               Decimal(0))  # fmt: skip


def _number(value: Any) -> Decimal | None:
    """A number or numeric string as a Decimal (PHP's ``is_numeric``), else None."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None
