"""The Admin API operations the sandbox serves, over the store, in Shopify's shapes."""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sandbox.storefront import payouts
from sandbox.storefront.payloads import graphql_time, order_node
from sandbox.storefront.store import Fulfilment, Order, Refund, RefundLine, Store, gid

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
    """``orders(first:, after:, query:)``, oldest first (Shopify's default sort key, ``ID``),
    paged by an opaque cursor (here the last order's id), each order whole
    (``payloads.order_node``). Of Shopify's search syntax, ``query`` reads the
    ``created_at`` terms (``created_at:>='2026-11-01T00:00:00Z'``, also ``>``, ``<``,
    ``<=`` and a bare date, taken as midnight UTC), all of which must hold; other terms are
    not modelled and match every order."""
    first = min(int(arguments.get("first") or 50), 250)
    after = int(arguments.get("after") or 0)
    bounds = created_bounds(str(arguments.get("query") or ""))
    with store.locked():
        listed = sorted(
            (
                found
                for found in store.orders.values()
                if found.id > after and all(compare(found.created_at, at) for compare, at in bounds)
            ),
            key=lambda o: o.id,
        )
        page = listed[:first]
        nodes = [order_node(found) for found in page]
    return {
        "nodes": nodes,
        "pageInfo": {
            "hasNextPage": len(listed) > first,
            "endCursor": str(page[-1].id) if page else None,
        },
    }


_CREATED_TERM = re.compile(r"""created_at:(>=|<=|>|<)?\s*(?:'([^']*)'|"([^"]*)"|(\S+))""")
_COMPARE: dict[str, Callable[[datetime, datetime], bool]] = {
    ">=": operator.ge, "<=": operator.le, ">": operator.gt, "<": operator.lt, "": operator.eq,
}  # fmt: skip


def created_bounds(query: str) -> list[tuple[Callable[[datetime, datetime], bool], datetime]]:
    """The ``created_at`` terms of a Shopify search query: (comparison, time) each."""
    bounds = []
    for comparison, single, double, bare in _CREATED_TERM.findall(query):
        moment = datetime.fromisoformat(single or double or bare)
        bounds.append(
            (_COMPARE[comparison], moment if moment.tzinfo else moment.replace(tzinfo=UTC))
        )
    return bounds


def _order(found: Order) -> dict[str, Any]:
    return {
        "id": found.gid,
        "name": found.name,
        "cancelledAt": graphql_time(found.cancelled_at) if found.cancelled_at else None,
        "cancelReason": found.cancel_reason,
        "currencyCode": found.currency,
        "presentmentCurrencyCode": found.currency,
        "totalReceivedSet": _money(found.total, found.currency),
        "totalRefundedSet": _money(found.refunded, found.currency),
        "lineItems": {
            "nodes": [
                {
                    "id": gid("LineItem", line.id),
                    "sku": line.sku,
                    "quantity": line.quantity,
                    "refundableQuantity": line.quantity - found.refunded_quantity(line),
                    "originalUnitPriceSet": _money(Decimal(line.price), found.currency),
                }
                for line in found.lines
            ]
        },
        "transactions": _transactions(found),
        "refunds": [_refund(refund, found.currency) for refund in found.refunds],
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


def _money(amount: Decimal, currency: str) -> dict[str, Any]:
    shop = {"amount": str(amount.quantize(Decimal("0.01"))), "currencyCode": currency}
    return {"shopMoney": shop, "presentmentMoney": shop}


def _transactions(found: Order) -> list[dict[str, Any]]:
    """The order's SALE (its id is the order's number) and a REFUND per refund with money."""
    sale = {
        "id": gid("OrderTransaction", found.id),
        "kind": "SALE",
        "status": "SUCCESS",
        "gateway": found.gateway,
        "amountSet": _money(found.total, found.currency),
    }
    refunds = [
        {
            "id": refund.id.replace("/Refund/", "/OrderTransaction/"),
            "kind": "REFUND",
            "status": "SUCCESS",
            "gateway": found.gateway,
            "amountSet": _money(refund.amount, found.currency),
        }
        for refund in found.refunds
        if refund.amount
    ]
    return [sale, *refunds]


def _refund(refund: Refund, currency: str) -> dict[str, Any]:
    return {
        "id": refund.id,
        "note": refund.note,
        "createdAt": refund.created_at.isoformat().replace("+00:00", "Z"),
        "totalRefundedSet": _money(refund.amount, currency),
        "refundLineItems": {
            "nodes": [
                {
                    "quantity": line.quantity,
                    "restockType": line.restock_type,
                    "lineItem": {"id": gid("LineItem", line.line.id), "sku": line.line.sku},
                }
                for line in refund.lines
            ]
        },
    }


def refund_create(store: Store, arguments: Mapping[str, Any]) -> dict[str, Any]:
    """``refundCreate(input:)``: line items (restocking is not modelled; the restock type
    is kept) and REFUND transactions, all or, on any user error, nothing. Refunding more of
    a line than is left unrefunded, or more money than was received and not yet refunded,
    is refused as Shopify does."""
    given = arguments.get("input") or {}
    with store.locked():
        found = store.orders.get(str(given.get("orderId")))
        try:
            if found is None:
                raise _RefusedError(["orderId"], "Order does not exist.")
            lines = _refund_lines(found, given.get("refundLineItems") or [])
            amount = _refund_amount(found, given.get("transactions") or [])
            if not lines and not amount:
                raise _RefusedError(["refundLineItems"], "A refund needs line items or an amount.")
        except _RefusedError as refused:
            error = {"field": refused.field, "message": str(refused)}
            return {"refund": None, "order": None, "userErrors": [error]}
        created = Refund(
            gid("Refund", store.next_id()), given.get("note"), lines, amount, datetime.now(UTC)
        )
        found.refunds.append(created)
        store.mutations.append("refundCreate")
        return {
            "refund": _refund(created, found.currency),
            "order": _order(found),
            "userErrors": [],
        }


class _RefusedError(Exception):
    def __init__(self, field: list[str], message: str) -> None:
        super().__init__(message)
        self.field = field


def _refund_lines(found: Order, entries: list[Mapping[str, Any]]) -> list[RefundLine]:
    lines = {gid("LineItem", line.id): line for line in found.lines}
    refunded: list[RefundLine] = []
    for n, entry in enumerate(entries):
        line = lines.get(str(entry.get("lineItemId")))
        if line is None:
            raise _RefusedError(
                ["refundLineItems", str(n), "lineItemId"], "Line item does not exist."
            )
        taken = sum(r.quantity for r in refunded if r.line is line)
        quantity = int(entry.get("quantity") or 0)
        if not 0 < quantity <= line.quantity - found.refunded_quantity(line) - taken:
            raise _RefusedError(
                ["refundLineItems", str(n), "quantity"],
                "Quantity cannot refund more items than were purchased.",
            )
        refunded.append(RefundLine(line, quantity, str(entry.get("restockType") or "RETURN")))
    return refunded


def _refund_amount(found: Order, transactions: list[Mapping[str, Any]]) -> Decimal:
    amount = Decimal(0)
    for n, transaction in enumerate(transactions):
        at = ["transactions", str(n)]
        if transaction.get("kind") != "REFUND":
            raise _RefusedError([*at, "kind"], "Kind must be refund.")
        if transaction.get("gateway") != found.gateway:
            raise _RefusedError([*at, "gateway"], "Gateway is not a gateway of this order.")
        try:
            amount += Decimal(str(transaction.get("amount")))
        except InvalidOperation:
            raise _RefusedError([*at, "amount"], "Amount is invalid.") from None
    left = found.total - found.refunded
    if not 0 <= amount <= left:
        raise _RefusedError(
            ["transactions"],
            f"Refund amount {amount} is greater than the refundable amount {left}.",
        )
    return amount


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


def shop(store: Store, _: Mapping[str, Any]) -> dict[str, Any]:
    """``shop``: the store's ``myshopifyDomain`` (the X-Shopify-Shop-Domain of its webhooks)."""
    return {"myshopifyDomain": store.shop_domain}


def shopify_payments_account(store: Store, arguments: Mapping[str, Any]) -> dict[str, Any]:
    """``shopifyPaymentsAccount { payouts(…) balanceTransactions(…) }``: the arguments are
    its nested fields' (see ``sandbox.storefront.payouts``)."""
    with store.locked():
        return {
            "id": gid("ShopifyPaymentsAccount", 1),
            "payouts": payouts.payouts_page(store.payouts, arguments.get("payouts") or {}),
            "balanceTransactions": payouts.balance_transactions_page(
                store.payouts, arguments.get("balanceTransactions") or {}
            ),
        }


QUERIES: dict[str, Resolver] = {
    "shop": shop,
    "inventoryItems": inventory_items,
    "shopifyPaymentsAccount": shopify_payments_account,
    "order": order,
    "orders": orders,
}
MUTATIONS: dict[str, Resolver] = {
    "inventorySetQuantities": inventory_set_quantities,
    "fulfillmentCreate": fulfillment_create,
    "refundCreate": refund_create,
}
