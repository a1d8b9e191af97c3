"""Webhook payloads of the sandbox's orders, in the shape of Shopify's REST Order resource.
The buyer is the same fictitious person every time: no real personal data."""

from __future__ import annotations

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
