"""Products and variations: looked up (by SKU too), their stock set one by one or in
batches of at most 100, each batch item answered on its own."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.woocommerce.auth import READS, refusal
from sandbox.woocommerce.documents import error, invalid_param, product_document, read_json
from sandbox.woocommerce.paging import page_of
from sandbox.woocommerce.store import STOCK_STATUSES, Product, Store

BATCH_LIMIT = 100
_WRITES = ["GET", "POST", "PUT", "PATCH"]


def product_routes(store: Store, api: str) -> list[Route]:
    def document(product: Product) -> dict[str, Any]:
        return product_document(product, store.variations_of(product.id))

    async def products(request: Request) -> Response:
        if (answer := refusal(store, request)) is not None:
            return answer
        sku = request.query_params.get("sku")
        skus = tuple(s.strip() for s in sku.split(",")) if sku else None
        parent = request.path_params.get("parent")
        if parent is not None and _parent(store, parent) is None:
            return error(404, "woocommerce_rest_product_invalid_id", "Invalid ID.")
        return page_of(request, [document(p) for p in store.products(skus, parent)])

    async def product(request: Request) -> Response:
        if (answer := refusal(store, request)) is not None:
            return answer
        found = _one(store, request)
        if found is None:
            code = "variation" if "parent" in request.path_params else "product"
            status = 404 if request.method in READS else 400
            return error(status, f"woocommerce_rest_{code}_invalid_id", "Invalid ID.")
        if request.method in READS:
            return JSONResponse(document(found))
        body = await read_json(request)
        if not isinstance(body, dict):
            return error(400, "rest_invalid_json", "Invalid JSON body passed.")
        return _update(store, found, body) or JSONResponse(document(found))

    async def batch(request: Request) -> Response:
        if (answer := refusal(store, request)) is not None:
            return answer
        store.batch_calls += 1
        parent = request.path_params.get("parent")
        if parent is not None and _parent(store, parent) is None:
            return error(404, "woocommerce_rest_product_invalid_id", "Invalid ID.")
        body = await read_json(request)
        updates = _batch_updates(body)
        if isinstance(updates, Response):
            return updates
        kind = "product" if parent is None else "product_variation"
        answers = [_batch_update(store, item, parent, kind, document) for item in updates]
        return JSONResponse({"update": answers})

    batch_methods = ["POST", "PUT", "PATCH"]
    return [
        Route(f"{api}/products", products, methods=["GET"]),
        Route(f"{api}/products/batch", batch, methods=batch_methods),
        Route(f"{api}/products/{{id:int}}", product, methods=_WRITES),
        Route(f"{api}/products/{{parent:int}}/variations", products, methods=["GET"]),
        Route(f"{api}/products/{{parent:int}}/variations/batch", batch, methods=batch_methods),
        Route(f"{api}/products/{{parent:int}}/variations/{{id:int}}", product, methods=_WRITES),
    ]


def _batch_updates(body: Any) -> list[Any] | Response:
    """The batch's update items, or the answer refusing the whole batch."""
    if not isinstance(body, dict):
        return error(400, "rest_invalid_json", "Invalid JSON body passed.")
    actions = {name: body.get(name) or [] for name in ("create", "update", "delete")}
    for name, items in actions.items():
        if not isinstance(items, list):
            return invalid_param(name, f"{name} is not of type array.")
    if sum(len(items) for items in actions.values()) > BATCH_LIMIT:
        return error(
            413,
            "woocommerce_rest_request_entity_too_large",
            f"Unable to accept more than {BATCH_LIMIT} items for this request.",
        )
    if actions["create"] or actions["delete"]:
        return invalid_param("update", "the sandbox models batch updates only")
    return list(actions["update"])


def _parent(store: Store, parent_id: int) -> Product | None:
    parent = store.product(parent_id)
    return parent if parent is not None and parent.type == "variable" else None


def _one(store: Store, request: Request) -> Product | None:
    found = store.product(request.path_params["id"])
    parent = request.path_params.get("parent")
    if found is None or (parent is not None and found.parent_id != parent):
        return None
    if parent is None and found.type == "variation":
        return None  # a variation is reached under its product
    return found


def _update(store: Store, product: Product, body: dict[str, Any]) -> Response | None:
    """Apply ``body``'s stock fields as WooCommerce does; an error answer, or None."""
    manage = body.get("manage_stock", product.manage_stock)
    if not isinstance(manage, bool):
        return invalid_param("manage_stock", "manage_stock is not of type boolean.")
    quantity = body.get("stock_quantity")
    if isinstance(quantity, bool) or not isinstance(quantity, int | None):
        return invalid_param("stock_quantity", "stock_quantity is not of type integer.")
    status = body.get("stock_status")
    if status is not None and status not in STOCK_STATUSES:
        return invalid_param(
            "stock_status", f"stock_status is not one of {', '.join(STOCK_STATUSES)}."
        )
    with store.lock:
        product.manage_stock = manage
        if not manage:
            # WooCommerce drops the quantity of a product whose stock it does not manage.
            product.stock_quantity = None
            if status is not None:
                product.stock_status = status
        elif quantity is not None:
            product.set_stock(quantity)
    return None


def _batch_update(
    store: Store, item: Any, parent: int | None, kind: str, document: Any
) -> dict[str, Any]:
    """One batch item's answer: the updated item, or its error."""
    item_id = item.get("id") if isinstance(item, dict) else None
    found = store.product(item_id) if isinstance(item_id, int) else None
    if (
        found is None
        or found.parent_id != (parent or 0)
        or (parent is None and found.type == "variation")
    ):
        invalid = {"code": f"woocommerce_rest_{kind}_invalid_id", "message": "Invalid ID.",
                   "data": {"status": 400}}  # fmt: skip
        return {"id": item_id or 0, "error": invalid}
    problem = _update(store, found, item)
    if problem is not None:
        return {"id": item_id, "error": json.loads(bytes(problem.body))}
    return dict(document(found))
