"""The Odoo models the pipeline touches; importing this package registers them."""

from sandbox.odoo.models import (
    base,
    carriers,
    company,
    mail,
    model_data,
    pricelists,
    products,
    sale_lines,
    sales,
    stock_locations,
    stock_moves,
    stock_pickings,
    stock_quants,
    stock_wizards,
    taxes,
    units,
)

__all__ = [
    "base",
    "carriers",
    "company",
    "mail",
    "model_data",
    "pricelists",
    "products",
    "sale_lines",
    "sales",
    "stock_locations",
    "stock_moves",
    "stock_pickings",
    "stock_quants",
    "stock_wizards",
    "taxes",
    "units",
]
