"""Records the contract tests make for themselves: products with stock, customers, orders."""

from __future__ import annotations

from dataclasses import dataclass

from retailsync.odoo import OdooClient

INVENTORY_MODE = {"inventory_mode": True}


@dataclass(frozen=True)
class Warehouse:
    stock_id: int
    customers_id: int
    inventory_id: int
    out_type_id: int
    in_type_id: int


def main_warehouse(client: OdooClient) -> Warehouse:
    [warehouse] = client.search_read(
        "stock.warehouse", [], ["lot_stock_id", "out_type_id", "in_type_id"], order="id", limit=1
    )
    [customers] = client.search_read(
        "stock.location", [("usage", "=", "customer")], ["id"], order="id", limit=1
    )
    [inventory] = client.search_read(
        "stock.location", [("usage", "=", "inventory")], ["id"], order="id", limit=1
    )
    return Warehouse(
        stock_id=warehouse["lot_stock_id"][0],
        customers_id=customers["id"],
        inventory_id=inventory["id"],
        out_type_id=warehouse["out_type_id"][0],
        in_type_id=warehouse["in_type_id"][0],
    )


def new_product(client: OdooClient, unique: str, *, price: float = 12.5) -> int:
    [product] = client.create(
        "product.product",
        [
            {
                "name": f"Contract widget {unique}",
                "default_code": f"SKU-{unique}",
                "type": "consu",
                "is_storable": True,
                "list_price": price,
            }
        ],
    )
    return product


def count_stock(client: OdooClient, product_id: int, location_id: int, quantity: float) -> int:
    """Set the on-hand quantity the way Odoo wants it: count it, then apply the count."""
    [quant] = client.create(
        "stock.quant",
        [{"product_id": product_id, "location_id": location_id, "inventory_quantity": quantity}],
        context=INVENTORY_MODE,
    )
    client.call("stock.quant", "action_apply_inventory", [quant], context=INVENTORY_MODE)
    return quant


def stock_at(client: OdooClient, product_id: int, location_id: int) -> tuple[float, float]:
    """On-hand and reserved quantity of a product in one location."""
    quants = client.search_read(
        "stock.quant",
        [("product_id", "=", product_id), ("location_id", "=", location_id)],
        ["quantity", "reserved_quantity"],
    )
    return sum(q["quantity"] for q in quants), sum(q["reserved_quantity"] for q in quants)


def new_customer(client: OdooClient, unique: str) -> int:
    [partner] = client.create(
        "res.partner",
        [{"name": f"Contract customer {unique}", "email": f"customer-{unique}@example.test"}],
    )
    return partner


def new_order(
    client: OdooClient, partner_id: int, product_id: int, quantity: float, unique: str
) -> int:
    [order] = client.create(
        "sale.order",
        [
            {
                "partner_id": partner_id,
                "client_order_ref": f"web-{unique}",
                "order_line": [
                    [
                        0,
                        0,
                        {"product_id": product_id, "product_uom_qty": quantity, "price_unit": 12.5},
                    ]
                ],
            }
        ],
    )
    return order


def move_description(major_version: int, text: str) -> dict[str, str]:
    """A new stock move's description: required up to Odoo 18, no such field in 19."""
    return {"name": text} if major_version < 19 else {}
