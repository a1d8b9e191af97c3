"""OCAPI's Data API (23.2) product inventory records: what an inventory list allocates of a
product. ``PATCH`` updates a record, ``PUT`` creates one; faults are OCAPI's fault document
``{"_v", "fault": {"type", "message"}}``."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.sfcc.store import Store

DATA_API_VERSION = "23.2"
RECORDS = "/s/-/dw/data/v{version}/inventory_lists/{list_id}/product_inventory_records/{product_id}"


def inventory_routes(store: Store) -> list[Route]:
    async def record(request: Request) -> Response:
        refused = _refused(store, request)
        if refused is not None:
            return refused
        list_id, product_id = request.path_params["list_id"], request.path_params["product_id"]
        if request.method == "GET":
            amount = store.allocation(list_id, product_id)
            if amount is None:
                return fault(404, "ProductInventoryRecordNotFoundException", "No record.")
            return JSONResponse(_record(product_id, amount))
        return _write(store, request.method, list_id, product_id, await read_json(request))

    return [Route(RECORDS, record, methods=["GET", "PATCH", "PUT"])]


def _refused(store: Store, request: Request) -> Response | None:
    refused = data_api_refused(store, request)
    if refused is not None:
        return refused
    list_id = request.path_params["list_id"]
    if not store.has_list(list_id):
        return fault(404, "InventoryListNotFoundException", f"No inventory list {list_id}.")
    return None


def data_api_refused(store: Store, request: Request) -> Response | None:
    """The answer to a Data API call that does not get through: throttled, without a valid
    token, or for another API version."""
    retry_after = store.throttled()
    if retry_after is not None:
        return fault(
            429, "QuotaExceededException", "Too many requests.", {"Retry-After": str(retry_after)}
        )
    scheme, _, bearer = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not store.token_valid(bearer):
        return fault(401, "InvalidAccessTokenException", "The access token is invalid.")
    if request.path_params["version"] != DATA_API_VERSION.replace(".", "_"):
        return fault(400, "UnsupportedVersionException", "Unsupported API version.")
    return None


def _write(store: Store, method: str, list_id: str, product_id: str, body: Any) -> Response:
    allocation = body.get("allocation") if isinstance(body, dict) else None
    amount = allocation.get("amount") if isinstance(allocation, dict) else None
    if not isinstance(amount, int | float) or isinstance(amount, bool) or amount < 0:
        return fault(400, "InvalidDocumentException", "allocation.amount is a number >= 0.")
    exists = store.allocation(list_id, product_id) is not None
    if method == "PATCH" and not exists:
        return fault(404, "ProductInventoryRecordNotFoundException", "No record.")
    if method == "PUT" and not store.has_product(product_id):
        return fault(404, "ProductNotFoundException", f"No product {product_id}.")
    store.set_allocation(list_id, product_id, float(amount))
    return JSONResponse(_record(product_id, float(amount)), 200 if exists else 201)


def fault(status: int, kind: str, message: str, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse(
        {"_v": DATA_API_VERSION, "fault": {"type": kind, "message": message}},
        status,
        headers=headers,
    )


def _record(product_id: str, amount: float) -> dict[str, Any]:
    return {
        "_v": DATA_API_VERSION,
        "_type": "product_inventory_record",
        "product_id": product_id,
        "allocation": {"amount": amount},
        "ats": amount,
    }


async def read_json(request: Request) -> Any:
    """The request's JSON body, or None when it is not JSON."""
    try:
        return json.loads(await request.body())
    except ValueError:
        return None
