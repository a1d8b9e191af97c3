"""Products, variations, orders and errors as WooCommerce's REST API v3 writes them: money
as strings with two decimals, ``*_gmt`` times without an offset, errors as WordPress's
``{"code", "message", "data": {"status"}}``."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from sandbox.woocommerce.store import GATEWAYS, Order, Product, Refund

_CENT = Decimal("0.01")


def error(status: int, code: str, message: str, **data: Any) -> JSONResponse:
    """WordPress's REST error (a ``WP_Error``), as every WooCommerce endpoint answers one."""
    return JSONResponse({"code": code, "message": message, "data": {"status": status, **data}},
                        status)  # fmt: skip


def invalid_param(name: str, why: str) -> JSONResponse:
    return error(400, "rest_invalid_param", f"Invalid parameter(s): {name}", params={name: why})


def product_document(product: Product, variations: list[int]) -> dict[str, Any]:
    document: dict[str, Any] = {
        "id": product.id,
        "name": product.name,
        "type": product.type,
        "parent_id": product.parent_id,
        "sku": product.sku,
        "manage_stock": product.manage_stock,
        "stock_quantity": product.stock_quantity,
        "stock_status": product.stock_status,
        "backorders": product.backorders,
        "date_modified_gmt": product.date_modified_gmt,
    }
    if product.type != "variation":
        document["variations"] = variations
    return document


def _money(amount: Decimal) -> str:
    return str(amount.quantize(_CENT))


def order_document(order: Order, site_url: str) -> dict[str, Any]:
    """A REST v3 order (also the body of its order.created / order.updated webhooks):
    untaxed lines, no shipping, paid by bank transfer; the amounts add up."""
    lines = [
        {
            "id": line.id,
            "name": f"Product {line.sku}",
            "product_id": line.product_id,
            "variation_id": 0,
            "quantity": line.quantity,
            "tax_class": "",
            "subtotal": _money(line.price * line.quantity),
            "subtotal_tax": "0.00",
            "total": _money(line.price * line.quantity),
            "total_tax": "0.00",
            "taxes": [],
            "meta_data": [],
            "sku": line.sku,
            "price": float(line.price),
        }
        for line in order.lines
    ]
    return {
        "id": order.id,
        "parent_id": 0,
        "number": str(order.id),
        "created_via": "checkout",
        "status": order.status,
        "currency": order.currency,
        "date_created_gmt": order.date_created_gmt,
        "date_modified_gmt": order.date_modified_gmt,
        "date_paid_gmt": order.date_created_gmt,
        "discount_total": "0.00",
        "discount_tax": "0.00",
        "shipping_total": "0.00",
        "shipping_tax": "0.00",
        "cart_tax": "0.00",
        "total": _money(order.total),
        "total_tax": "0.00",
        "prices_include_tax": False,
        "customer_id": 0,
        "billing": {
            "first_name": "Sandbox",
            "last_name": "Customer",
            "country": "US",
            "email": "customer@example.com",
        },
        "shipping": {"first_name": "Sandbox", "last_name": "Customer", "country": "US"},
        "payment_method": order.payment_method,
        "payment_method_title": GATEWAYS.get(order.payment_method, order.payment_method),
        "transaction_id": "",
        "line_items": lines,
        "tax_lines": [],
        "shipping_lines": [],
        "fee_lines": [],
        "coupon_lines": [],
        # Newest first, each total negative, as WooCommerce lists an order's refunds.
        "refunds": [
            {"id": r.id, "reason": r.reason, "total": _money(Decimal(0) - r.amount)}
            for r in reversed(order.refunds)
        ],
        "_links": {"self": [{"href": f"{site_url}/wp-json/wc/v3/orders/{order.id}"}]},
    }


def refund_document(refund: Refund, order: Order, site_url: str) -> dict[str, Any]:
    """A REST v3 order refund: its line items are copies of the order's with negative
    quantity and amounts, each naming the order's line in its ``_refunded_item_id`` meta."""
    lines = [
        {
            "id": line.id,
            "name": f"Product {line.line.sku}",
            "product_id": line.line.product_id,
            "variation_id": 0,
            "quantity": -line.quantity,
            "tax_class": "",
            "subtotal": _money(Decimal(0) - line.total),
            "subtotal_tax": _money(Decimal(0) - line.tax),
            "total": _money(Decimal(0) - line.total),
            "total_tax": _money(Decimal(0) - line.tax),
            "taxes": [],
            "meta_data": [
                {
                    "id": line.id,
                    "key": "_refunded_item_id",
                    "value": str(line.line.id),
                    "display_key": "_refunded_item_id",
                    "display_value": str(line.line.id),
                }
            ],
            "sku": line.line.sku,
            "price": float(-line.total / line.quantity) if line.quantity else 0.0,
            "refund_total": float(line.total),
        }
        for line in refund.lines
    ]
    base = f"{site_url}/wp-json/wc/v3/orders/{order.id}"
    return {
        "id": refund.id,
        "date_created": refund.date_created_gmt,
        "date_created_gmt": refund.date_created_gmt,
        "amount": _money(refund.amount),
        "reason": refund.reason,
        "refunded_by": 1,
        "refunded_payment": refund.refunded_payment,
        "meta_data": [],
        "line_items": lines,
        "shipping_lines": [],
        "tax_lines": [],
        "fee_lines": [],
        "_links": {
            "self": [{"href": f"{base}/refunds/{refund.id}"}],
            "collection": [{"href": f"{base}/refunds"}],
            "up": [{"href": base}],
        },
    }


async def read_json(request: Request) -> Any:
    """The request's JSON body, or None when it is not JSON."""
    try:
        return json.loads(await request.body())
    except ValueError:
        return None
