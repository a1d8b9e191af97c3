"""The Admin API operations the sandbox serves, over the store, in Shopify's shapes."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from sandbox.storefront.store import Fulfilment, Order, Store, gid

Resolver = Callable[[Store, Mapping[str, Any]], Any]

# The reasons Shopify accepts for inventory changes.
_REASONS = frozenset(
    {"correction", "cycle_count_available", "damaged", "movement_created", "movement_updated",
     "movement_received", "movement_canceled", "other", "promotion", "quality_control",
     "received", "reservation_created", "reservation_deleted", "reservation_updated",
     "restock", "safety_stock", "shrinkage"}
)  # fmt: skip
_STALE = "The compareQuantity argument no longer matches the persisted quantity."
_SKU_TERM = re.compile(r'sku:(?:"((?:[^"\\]|\\.)*)"|(\S+))')


def skus_searched(query: str) -> list[str]:
    """The SKUs of a Shopify search ``sku:A OR sku:"B C"``."""
    return [
        (quoted.replace('\\"', '"').replace("\\\\", "\\") if quoted else bare)
        for quoted, bare in _SKU_TERM.findall(query)
    ]


def inventory_items(store: Store, arguments: Mapping[str, Any]) -> dict[str, Any]:
    """``inventoryItems(first:, query: "sku:A OR sku:B")`` with each item's levels."""
    wanted = skus_searched(arguments.get("query") or "")
    first = int(arguments.get("first") or 50)
    with store.locked():
        skus = [sku for sku in wanted if sku in store.items] if wanted else list(store.items)
        nodes = [_item(store, sku) for sku in skus[:first]]
    return {"nodes": nodes, "pageInfo": {"hasNextPage": len(skus) > first}}


def _item(store: Store, sku: str) -> dict[str, Any]:
    item = store.items[sku]
    levels = [
        {
            "location": {"id": location, "name": store.locations[location]},
            "quantities": [{"name": name, "quantity": value} for name, value in level.items()],
        }
        for (level_item, location), level in store.levels.items()
        if level_item == item
    ]
    return {"id": item, "sku": sku, "tracked": True, "inventoryLevels": {"nodes": levels}}


def order(store: Store, arguments: Mapping[str, Any]) -> dict[str, Any] | None:
    """``order(id:)`` with its fulfilments and fulfilment orders."""
    with store.locked():
        found = store.orders.get(str(arguments.get("id")))
        return _order(found) if found is not None else None


def orders(store: Store, arguments: Mapping[str, Any]) -> dict[str, Any]:
    """``orders(first:, after:)``, oldest first, paged by an opaque cursor (here the last
    order's id), with each order's ``legacyResourceId`` (the id its webhooks carry) and
    ``test`` flag. Shopify's ``query`` filter is not modelled: every order is listed."""
    first = min(int(arguments.get("first") or 50), 250)
    after = int(arguments.get("after") or 0)
    with store.locked():
        listed = sorted(
            (found for found in store.orders.values() if found.id > after), key=lambda o: o.id
        )
        page = listed[:first]
        nodes = [
            {
                "id": found.gid,
                "legacyResourceId": str(found.id),
                "name": found.name,
                "createdAt": found.created_at.isoformat(),
                "test": True,  # the sandbox's orders are a development store's test orders
            }
            for found in page
        ]
    return {
        "nodes": nodes,
        "pageInfo": {
            "hasNextPage": len(listed) > first,
            "endCursor": str(page[-1].id) if page else None,
        },
    }


def _order(found: Order) -> dict[str, Any]:
    return {
        "id": found.gid,
        "name": found.name,
        "fulfillments": [_fulfilment(f) for f in found.fulfilments],
        "fulfillmentOrders": {
            "nodes": [
                {
                    "id": fo.id,
                    "status": fo.status,
                    "lineItems": {
                        "nodes": [
                            {
                                "id": line.id,
                                "remainingQuantity": line.remaining,
                                "totalQuantity": line.line.quantity,
                                "lineItem": {
                                    "id": gid("LineItem", line.line.id),
                                    "sku": line.line.sku,
                                },
                            }
                            for line in fo.lines
                        ]
                    },
                }
                for fo in found.fulfilment_orders
            ]
        },
    }


def _fulfilment(fulfilment: Fulfilment) -> dict[str, Any]:
    return {
        "id": fulfilment.id,
        "status": fulfilment.status,
        "createdAt": fulfilment.created_at.isoformat().replace("+00:00", "Z"),
        "trackingInfo": fulfilment.tracking,
    }


def inventory_set_quantities(store: Store, arguments: Mapping[str, Any]) -> dict[str, Any]:
    """``inventorySetQuantities(input:)``: all quantities or, on any user error, none."""
    given = arguments.get("input") or {}
    name = str(given.get("name"))
    with store.locked():
        errors = _set_errors(store, given)
        if errors:
            return {"inventoryAdjustmentGroup": None, "userErrors": errors}
        changes = []
        for entry in given["quantities"]:
            level = store.levels[(entry["inventoryItemId"], entry["locationId"])]
            delta = int(entry["quantity"]) - level[name]
            level[name] += delta
            if name == "available":
                level["on_hand"] += delta  # on hand follows what is available to sell
            sku = next(sku for sku, item in store.items.items() if item == entry["inventoryItemId"])
            store.quantities_set.append((sku, entry["locationId"], name, level[name]))
            changes.append(
                {"name": name, "delta": delta, "quantityAfterChange": level[name],
                 "item": {"id": entry["inventoryItemId"]}, "location": {"id": entry["locationId"]}}
            )  # fmt: skip
        store.mutations.append("inventorySetQuantities")
    group = {
        "createdAt": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        "reason": given.get("reason"),
        "referenceDocumentUri": given.get("referenceDocumentUri"),
        "changes": changes,
    }
    return {"inventoryAdjustmentGroup": group, "userErrors": []}


def _set_errors(store: Store, given: Mapping[str, Any]) -> list[dict[str, Any]]:
    errors: list[dict[str, Any]] = []

    def error(field: list[str], code: str, message: str) -> None:
        errors.append({"field": field, "code": code, "message": message})

    name = given.get("name")
    if name not in ("available", "on_hand"):
        error(["input", "name"], "INVALID_NAME", "The quantity name must be available or on_hand.")
    if given.get("reason") not in _REASONS:
        error(["input", "reason"], "INVALID_REASON", "The specified reason is invalid.")
    for n, entry in enumerate(given.get("quantities") or []):
        at = ["input", "quantities", str(n)]
        item, location = entry.get("inventoryItemId"), entry.get("locationId")
        if item not in store.items.values():
            error([*at, "inventoryItemId"], "INVALID_INVENTORY_ITEM",
                  "The specified inventory item could not be found.")  # fmt: skip
        elif location not in store.locations:
            error([*at, "locationId"], "INVALID_LOCATION",
                  "The specified location could not be found.")  # fmt: skip
        elif (item, location) not in store.levels:
            error([*at, "locationId"], "ITEM_NOT_STOCKED_AT_LOCATION",
                  "The specified inventory item is not stocked at the location.")  # fmt: skip
        elif not given.get("ignoreCompareQuantity") and name in ("available", "on_hand"):
            compare = entry.get("compareQuantity")
            if compare is None:
                error([*at, "compareQuantity"], "COMPARE_QUANTITY_REQUIRED",
                      "The compareQuantity argument must be given to each quantity or ignored "
                      "using ignoreCompareQuantity.")  # fmt: skip
            elif store.levels[(item, location)][name] != compare:
                error([*at, "compareQuantity"], "COMPARE_QUANTITY_STALE", _STALE)
    return errors


def fulfillment_create(store: Store, arguments: Mapping[str, Any]) -> dict[str, Any]:
    """``fulfillmentCreate(fulfillment:)`` from open fulfilment orders, with tracking."""
    given = arguments.get("fulfillment") or {}
    with store.locked():
        plan, message = _fulfilment_plan(store, given.get("lineItemsByFulfillmentOrder") or [])
        if message is not None:
            return {
                "fulfillment": None,
                "userErrors": [{"field": ["fulfillment"], "message": message}],
            }
        order = next(
            o for o in store.orders.values() if any(fo in o.fulfilment_orders for fo, _ in plan)
        )
        for fulfilment_order, take in plan:
            for line in fulfilment_order.lines:
                line.remaining -= take.get(line.id, 0)
            open_left = any(line.remaining for line in fulfilment_order.lines)
            fulfilment_order.status = "IN_PROGRESS" if open_left else "CLOSED"
        tracking = given.get("trackingInfo") or {}
        created = Fulfilment(
            gid("Fulfillment", store.next_id()),
            [{"company": tracking.get("company"), "number": tracking.get("number"),
              "url": tracking.get("url")}] if tracking else [],
            datetime.now(UTC),
        )  # fmt: skip
        order.fulfilments.append(created)
        store.mutations.append("fulfillmentCreate")
    return {"fulfillment": _fulfilment(created), "userErrors": []}


def _fulfilment_plan(
    store: Store, groups: list[Mapping[str, Any]]
) -> tuple[list[tuple[Any, dict[str, int]]], str | None]:
    if not groups:
        return [], "Line items by fulfillment order must be given."
    by_id = {fo.id: fo for o in store.orders.values() for fo in o.fulfilment_orders}
    plan = []
    for group in groups:
        fulfilment_order = by_id.get(str(group.get("fulfillmentOrderId")))
        if fulfilment_order is None:
            return [], "Fulfillment order does not exist."
        if fulfilment_order.status not in ("OPEN", "IN_PROGRESS"):
            status = fulfilment_order.status.lower()
            return (
                [],
                f"Fulfillment order {fulfilment_order.id} has an unfulfillable status= {status}.",
            )
        lines = {line.id: line for line in fulfilment_order.lines}
        asked = group.get("fulfillmentOrderLineItems")
        take = (
            {line["id"]: int(line["quantity"]) for line in asked}
            if asked
            else {line.id: line.remaining for line in fulfilment_order.lines}
        )
        for line_id, quantity in take.items():
            if line_id not in lines or not 0 < quantity <= lines[line_id].remaining:
                return [], "Invalid fulfillment order line item quantity requested."
        plan.append((fulfilment_order, take))
    return plan, None


QUERIES: dict[str, Resolver] = {
    "inventoryItems": inventory_items,
    "order": order,
    "orders": orders,
}
MUTATIONS: dict[str, Resolver] = {
    "inventorySetQuantities": inventory_set_quantities,
    "fulfillmentCreate": fulfillment_create,
}
