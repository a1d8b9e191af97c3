"""Orders: read, their status set (``completed`` when shipped), and their notes, which is
where a shop without a tracking extension keeps the tracking of a shipment."""

from __future__ import annotations

from datetime import datetime

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.woocommerce.auth import READS, refusal
from sandbox.woocommerce.documents import error, invalid_param, order_document, read_json
from sandbox.woocommerce.paging import page_of
from sandbox.woocommerce.store import ORDER_STATUSES, Store


def order_routes(store: Store, api: str) -> list[Route]:
    async def orders(request: Request) -> Response:
        if (answer := refusal(store, request)) is not None:
            return answer
        site = str(request.base_url).rstrip("/")
        status = request.query_params.get("status")
        found = [o for o in store.orders() if status in (None, "any", o.status)]
        after = request.query_params.get("after")
        if after is not None:
            # Orders created after the time (WordPress's date query is exclusive), read as
            # GMT: the sandbox's site time is GMT, so with or without dates_are_gmt.
            try:
                since = datetime.fromisoformat(after).replace(tzinfo=None)
            except ValueError:
                return invalid_param("after", "Invalid date.")
            found = [o for o in found if datetime.fromisoformat(o.date_created_gmt) > since]
        return page_of(request, [order_document(o, site) for o in found])

    async def order(request: Request) -> Response:
        if (answer := refusal(store, request)) is not None:
            return answer
        found = store.order(request.path_params["id"])
        site = str(request.base_url).rstrip("/")
        if found is None:
            status = 404 if request.method in READS else 400
            return error(status, "woocommerce_rest_shop_order_invalid_id", "Invalid ID.")
        if request.method in READS:
            return JSONResponse(order_document(found, site))
        body = await read_json(request)
        if not isinstance(body, dict):
            return error(400, "rest_invalid_json", "Invalid JSON body passed.")
        if "status" in body:
            if body["status"] not in ORDER_STATUSES:
                why = f"status is not one of {', '.join(ORDER_STATUSES)}."
                return invalid_param("status", why)
            store.set_status(found, str(body["status"]))
        return JSONResponse(order_document(found, site))

    async def notes(request: Request) -> Response:
        if (answer := refusal(store, request)) is not None:
            return answer
        found = store.order(request.path_params["id"])
        if found is None:
            return error(404, "woocommerce_rest_order_invalid_id", "Invalid order ID.")
        if request.method in READS:
            with store.lock:
                return JSONResponse(list(reversed(found.notes)))  # newest first
        body = await read_json(request)
        if not isinstance(body, dict) or not body.get("note"):
            return error(
                400, "rest_missing_callback_param", "Missing parameter(s): note", params=["note"]
            )
        if not isinstance(body["note"], str):
            return invalid_param("note", "note is not of type string.")
        entry = store.add_note(found, body["note"], bool(body.get("customer_note", False)))
        return JSONResponse(entry, 201)

    return [
        Route(f"{api}/orders", orders, methods=["GET"]),
        Route(f"{api}/orders/{{id:int}}", order, methods=["GET", "POST", "PUT", "PATCH"]),
        Route(f"{api}/orders/{{id:int}}/notes", notes, methods=["GET", "POST"]),
    ]
