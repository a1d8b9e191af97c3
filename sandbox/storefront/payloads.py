"""Webhook payloads of the sandbox's orders, in the shape of Shopify's REST Order resource.
The buyer is the same fictitious person every time: no real personal data."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sandbox.storefront.store import Order

_ADDRESS = {
    "first_name": "Example", "last_name": "Customer", "name": "Example Customer",
    "address1": "1 Example Street", "address2": None, "city": "Köln", "zip": "50667",
    "province": None, "province_code": None, "country": "Germany", "country_code": "DE",
    "company": None, "phone": "555-555-0100",
}  # fmt: skip


def order_payload(
    order: Order, *, currency: str = "EUR", financial_status: str = "paid"
) -> dict[str, Any]:
    """The body of orders/create (and orders/paid) for ``order``."""
    subtotal = sum((Decimal(line.price) * line.quantity for line in order.lines), Decimal(0))
    created = order.created_at.isoformat()
    return {
        "id": order.id,
        "admin_graphql_api_id": order.gid,
        "name": order.name,
        "order_number": order.id,
        "email": "customer@example.com",
        "created_at": created,
        "updated_at": created,
        "processed_at": created,
        "cancelled_at": None,
        "cancel_reason": None,
        "currency": currency,
        "presentment_currency": currency,
        "financial_status": financial_status,
        "fulfillment_status": None,
        "taxes_included": True,
        "total_price": str(subtotal),
        "subtotal_price": str(subtotal),
        "total_line_items_price": str(subtotal),
        "total_tax": "0.00",
        "total_discounts": "0.00",
        "payment_gateway_names": ["bogus"],
        "test": True,
        "line_items": [
            {
                "id": line.id,
                "admin_graphql_api_id": f"gid://shopify/LineItem/{line.id}",
                "variant_id": None,
                "sku": line.sku,
                "title": line.title,
                "name": line.title,
                "quantity": line.quantity,
                "price": line.price,
                "total_discount": "0.00",
                "discount_allocations": [],
                "tax_lines": [],
                "requires_shipping": True,
                "fulfillable_quantity": line.quantity,
            }
            for line in order.lines
        ],
        "shipping_lines": [],
        "shipping_address": _ADDRESS,
        "billing_address": _ADDRESS,
        "customer": {"id": 115310627314723954, "email": "customer@example.com"},
        "refunds": [],
    }


def order_node(order: Order) -> dict[str, Any]:
    """``order`` as the Admin GraphQL API's ``Order`` object: the same order as
    :func:`order_payload`'s REST body, in GraphQL's names and shapes (money as ``MoneyBag``s
    of the shop's and the presentment currency, ids as gids with ``legacyResourceId``,
    enums in capitals, line and shipping lines as connections)."""
    rest = order_payload(order, currency=order.currency)
    currency = rest["currency"]

    def bag(amount: str) -> dict[str, Any]:
        money = {"amount": amount, "currencyCode": currency}
        return {"shopMoney": money, "presentmentMoney": money}

    address = rest["shipping_address"]
    return {
        "id": order.gid,
        "legacyResourceId": str(order.id),
        "name": rest["name"],
        "createdAt": graphql_time(order.created_at),
        "updatedAt": graphql_time(order.created_at),
        "processedAt": graphql_time(order.created_at),
        "cancelledAt": graphql_time(order.cancelled_at) if order.cancelled_at else None,
        "cancelReason": order.cancel_reason,
        "currencyCode": currency,
        "presentmentCurrencyCode": currency,
        "displayFinancialStatus": rest["financial_status"].upper(),
        "taxesIncluded": rest["taxes_included"],
        "test": rest["test"],
        "paymentGatewayNames": rest["payment_gateway_names"],
        "subtotalPriceSet": bag(rest["subtotal_price"]),
        "totalPriceSet": bag(rest["total_price"]),
        "totalTaxSet": bag(rest["total_tax"]),
        "totalDiscountsSet": bag(rest["total_discounts"]),
        "customer": {
            "id": f"gid://shopify/Customer/{rest['customer']['id']}",
            "legacyResourceId": str(rest["customer"]["id"]),
        },
        "shippingAddress": {
            "name": address["name"],
            "company": address["company"],
            "address1": address["address1"],
            "address2": address["address2"],
            "city": address["city"],
            "provinceCode": address["province_code"],
            "zip": address["zip"],
            "countryCodeV2": address["country_code"],
            "phone": address["phone"],
        },
        "lineItems": {
            "nodes": [
                {
                    "id": line["admin_graphql_api_id"],
                    "sku": line["sku"],
                    "title": line["title"],
                    "name": line["name"],
                    "quantity": line["quantity"],
                    "currentQuantity": line["quantity"],
                    "variant": None,
                    "originalUnitPriceSet": bag(line["price"]),
                    "totalDiscountSet": bag(line["total_discount"]),
                    "discountAllocations": [],
                    "taxLines": [],
                }
                for line in rest["line_items"]
            ],
            "pageInfo": {"hasNextPage": False, "endCursor": None},
        },
        "shippingLines": {"nodes": [], "pageInfo": {"hasNextPage": False, "endCursor": None}},
        "refunds": [],
    }


def graphql_time(moment: datetime) -> str:
    """A ``DateTime`` as the Admin API writes it: UTC, whole seconds, ``Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
