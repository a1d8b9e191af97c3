"""The records a fresh Odoo 18 database with Inventory and Sales has, and the pipeline needs.

Ids match a real database where the pipeline might care: the superuser is 1 and the
administrator 2, the company's partner is 1.
"""

from __future__ import annotations

from sandbox.odoo.orm import REGISTRY, Env

COUNTRIES = [("Belgium", "BE"), ("France", "FR"), ("Germany", "DE"), ("United States", "US")]


def seed(env: Env, *, login: str) -> None:
    """Create the company, users, countries, currency, unit, warehouse ``WH`` and its locations."""
    partners = env["res.partner"].create(
        [
            {"name": "YourCompany", "is_company": True},
            {"name": "OdooBot", "active": False},
            {"name": "Administrator"},
        ]
    )
    env["res.users"].create(
        [
            {
                "name": "OdooBot",
                "login": "__system__",
                "partner_id": partners.ids[1],
                "active": False,
            },
            {"name": "Administrator", "login": login, "partner_id": partners.ids[2]},
        ]
    )
    env["res.country"].create([{"name": name, "code": code} for name, code in COUNTRIES])
    # A fresh database's company currency and first unit (``uom.product_uom_unit``).
    env["res.currency"].create({"name": "USD", "symbol": "$"})
    env["uom.uom"].create({"name": "Units"})
    env["ir.model"].create(
        [{"model": name, "name": model._description or name} for name, model in REGISTRY.items()]
    )
    _warehouse(env)


def _warehouse(env: Env) -> None:
    locations = env["stock.location"]
    physical, partners, virtual = locations.create(
        [
            {"name": "Physical Locations", "usage": "view"},
            {"name": "Partners", "usage": "view"},
            {"name": "Virtual Locations", "usage": "view"},
        ]
    ).ids
    vendors, customers = locations.create(
        [
            {"name": "Vendors", "usage": "supplier", "location_id": partners},
            {"name": "Customers", "usage": "customer", "location_id": partners},
        ]
    ).ids
    locations.create({"name": "Inventory adjustment", "usage": "inventory", "location_id": virtual})
    view = locations.create({"name": "WH", "usage": "view", "location_id": physical}).id
    stock = locations.create({"name": "Stock", "usage": "internal", "location_id": view}).id
    warehouse = env["stock.warehouse"].create(
        {"name": "YourCompany", "code": "WH", "view_location_id": view, "lot_stock_id": stock}
    )
    receipts, deliveries = (
        env["stock.picking.type"]
        .create(
            [
                {
                    "name": "Receipts",
                    "code": "incoming",
                    "sequence_code": "IN",
                    "warehouse_id": warehouse.id,
                    "default_location_src_id": vendors,
                    "default_location_dest_id": stock,
                },
                {
                    "name": "Delivery Orders",
                    "code": "outgoing",
                    "sequence_code": "OUT",
                    "warehouse_id": warehouse.id,
                    "default_location_src_id": stock,
                    "default_location_dest_id": customers,
                },
            ]
        )
        .ids
    )
    warehouse.write({"in_type_id": receipts, "out_type_id": deliveries})
