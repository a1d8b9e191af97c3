"""The records a fresh Odoo 18 database with Inventory and Sales has, and the pipeline needs.

Ids match a real database where the pipeline might care: the superuser is 1 and the
administrator 2, the company's partner is 1.
"""

from __future__ import annotations

from sandbox.odoo.models.bank import ACCOUNTS, SUSPENSE
from sandbox.odoo.orm import REGISTRY, Env

COUNTRIES = [("Belgium", "BE"), ("France", "FR"), ("Germany", "DE"), ("United States", "US")]
# The company's currency first; the others as a shop selling in them has activated them.
CURRENCIES = [("USD", "$"), ("EUR", "€"), ("GBP", "£"), ("CAD", "$")]
# (name, percent, price included): the first is a fresh database's default sales tax.
TAXES = [
    ("15%", 15.0, False),
    ("20% incl.", 20.0, True),
    ("19% incl.", 19.0, True),
    ("19%", 19.0, False),
    ("7%", 7.0, False),
    ("0%", 0.0, False),
]
# A pricelist per currency but CAD: an order in CAD has no pricelist to land in.
PRICELISTS = [("Default", "USD"), ("EUR", "EUR"), ("GBP", "GBP")]
# A fresh database's journals with Invoicing (name, code, type, sequence; Odoo 19 calls the
# sales journal "Sales" and makes no cash journal): invoices, then where payments land.
JOURNALS = {
    18: [
        ("Customer Invoices", "INV", "sale", 5),
        ("Bank", "BNK1", "bank", 7),
        ("Cash", "CSH1", "cash", 10),
    ],
    19: [("Sales", "INV", "sale", 5), ("Bank", "BNK1", "bank", 7)],
}


def seed(env: Env, *, login: str) -> None:
    """Create the company, users, countries, currencies, taxes, pricelists, journals, the
    product category ``All``, unit, warehouse ``WH`` and its locations. No product: change
    capture would publish it."""
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
    currencies = env["res.currency"].create(
        [{"name": name, "symbol": symbol} for name, symbol in CURRENCIES]
    )
    by_code = dict(zip((code for code, _ in CURRENCIES), currencies.ids, strict=True))
    # The first category is ``product.product_category_all``.
    env["product.category"].create({"name": "All"})
    # The first unit is ``uom.product_uom_unit``.
    env["uom.uom"].create({"name": "Units"})
    taxes = env["account.tax"].create(
        [
            {
                "name": name,
                "amount": rate,
                "price_include_override": "tax_included" if included else "tax_excluded",
            }
            for name, rate, included in TAXES
        ]
    )
    env["res.company"].create(
        {
            "name": "YourCompany",
            "partner_id": partners.ids[0],
            "currency_id": by_code["USD"],
            "account_sale_tax_id": taxes.ids[0],
        }
    )
    env["product.pricelist"].create(
        [{"name": name, "currency_id": by_code[code]} for name, code in PRICELISTS]
    )
    accounts = env["account.account"].create(
        [
            {"code": code, "name": name, "account_type": kind, "reconcile": reconcile}
            for code, name, kind, reconcile in ACCOUNTS
        ]
    )
    by_account = dict(zip((code for code, *_ in ACCOUNTS), accounts.ids, strict=True))
    # A bank or cash journal's own account, and the suspense account of every one.
    own = {"bank": by_account["101401"], "cash": by_account["101501"]}
    env["account.journal"].create(
        [
            {
                "name": name,
                "code": code,
                "type": kind,
                "sequence": sequence,
                "default_account_id": own.get(kind),
                "suspense_account_id": by_account[SUSPENSE] if kind in own else None,
            }
            for name, code, kind, sequence in JOURNALS[min(env.version, 19)]
        ]
    )
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
