"""Products as Odoo 18 has them: a template and its variant, ``default_code`` is the SKU.

Odoo delegates a variant's template fields (``_inherits``); here they are related fields
written through to the template. Creating a template makes its one variant; creating a
variant without a template makes the template first.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sandbox.odoo.models.company import the_company
from sandbox.odoo.models.units import company_currency, default_uom
from sandbox.odoo.orm import Model, ValsList, api_model, fields, vals_list_of

INVOICE_POLICIES = [("order", "Ordered quantities"), ("delivery", "Delivered quantities")]
PRODUCT_TYPES = [("consu", "Goods"), ("service", "Service"), ("combo", "Combo")]
_VARIANT_KEYS = ("default_code", "barcode")


def _default_sale_taxes(env: Any) -> list[int]:
    """The company's default sales tax (15 % on a fresh database), as Odoo gives a product."""
    company = the_company(env)
    tax = company.account_sale_tax_id if company else None
    return [tax] if tax else []


def _default_category(env: Any) -> Any:
    """What Odoo's ``product.product_category_all`` is: the first category, ``All``."""
    first = env["product.category"].search([], order="id", limit=1)
    return first.ids[0] if first else None


class ProductCategory(Model):
    _name = "product.category"
    _description = "Product Category"
    _order = "name, id"
    _parent_name = "parent_id"

    name = fields.Char(required=True)
    parent_id = fields.Many2one("product.category", "Parent Category")
    complete_name = fields.Char("Complete Name", compute="_compute_complete_name")

    def _compute_complete_name(self) -> dict[int, Any]:
        return {
            category.id: " / ".join(self.browse(id_).name for id_ in reversed(category._lineage()))
            for category in self
        }

    def _lineage(self) -> list[int]:
        """This category's id, then its parent's, up to the root."""
        lineage = [self.id]
        while parent := self.browse(lineage[-1]).parent_id:
            lineage.append(parent)
        return lineage


class ProductTemplate(Model):
    _name = "product.template"
    _description = "Product"
    _order = "name, id"

    name = fields.Char(required=True)
    type = fields.Selection(PRODUCT_TYPES, "Product Type", required=True, default="consu")
    is_storable = fields.Boolean("Track Inventory", default=False)
    list_price = fields.Float("Sales Price", default=1.0)
    standard_price = fields.Float("Cost", default=0.0)
    categ_id = fields.Many2one(
        "product.category", "Product Category", required=True, default=_default_category
    )
    sale_ok = fields.Boolean("Can be Sold", default=True)
    description_sale = fields.Text("Sales Description")
    uom_id = fields.Many2one("uom.uom", "Unit", required=True, default=default_uom)
    weight = fields.Float(default=0.0)
    taxes_id = fields.Many2many("account.tax", "Sales Taxes", default=_default_sale_taxes)
    invoice_policy = fields.Selection(INVOICE_POLICIES, "Invoicing Policy", default="order")
    currency_id = fields.Many2one("res.currency", "Currency", compute="_compute_currency_id")
    active = fields.Boolean(default=True)
    default_code = fields.Char("Internal Reference", compute="_compute_default_code")
    product_variant_ids = fields.One2many("product.product", "product_tmpl_id", "Products")
    qty_available = fields.Float("Quantity On Hand", compute="_compute_qty_available")

    @api_model
    def create(self, vals_list: ValsList) -> Any:
        many = vals_list_of(vals_list)
        variant_vals = [{k: v for k, v in vals.items() if k in _VARIANT_KEYS} for vals in many]
        templates = super().create(
            [{k: v for k, v in vals.items() if k not in _VARIANT_KEYS} for vals in many]
        )
        if not self.env.context.get("create_product_product"):
            variants = self.env["product.product"].with_context(create_product_product=True)
            for template, extra in zip(templates, variant_vals, strict=True):
                variants.create({"product_tmpl_id": template.id, **extra})
        return templates

    def write(self, vals: Mapping[str, Any]) -> bool:
        extra = {k: v for k, v in vals.items() if k in _VARIANT_KEYS}
        if "active" in vals:
            # Archiving a product archives its variants, restoring it restores them
            # (Odoo's product.template.write and _create_variant_ids).
            extra["active"] = bool(vals["active"])
        super().write({k: v for k, v in vals.items() if k not in _VARIANT_KEYS})
        if extra:
            variants = self.env["product.product"].with_context(active_test=False)
            variants.search([("product_tmpl_id", "in", list(self.ids))]).write(extra)
        return True

    def get_contextual_price(self, product: Any = None) -> float:
        """The unit price of this product under the context's ``pricelist`` for its
        ``quantity`` (1 by default), now: Odoo's public way to ask for a computed price."""
        self.ensure_one()
        pricelist = self.env["product.pricelist"].browse(
            [self.env.context["pricelist"]] if self.env.context.get("pricelist") else []
        )
        return float(pricelist._get_product_price(self, self.env.context.get("quantity", 1.0)))

    def _categories(self) -> list[int]:
        """The product's category and every category above it."""
        lineage: list[int] = self.env["product.category"].browse(self.categ_id)._lineage()
        return lineage

    def _compute_default_code(self) -> dict[int, Any]:
        variants = self.env["product.product"].search([("product_tmpl_id", "in", list(self.ids))])
        codes: dict[int, list[Any]] = {id_: [] for id_ in self.ids}
        for row in variants._values(["product_tmpl_id", "default_code"]):
            codes[row["product_tmpl_id"]].append(row["default_code"])
        return {id_: found[0] if len(found) == 1 else None for id_, found in codes.items()}

    def _compute_qty_available(self) -> dict[int, Any]:
        return self._sum_of("product.product", "product_tmpl_id", "qty_available")

    def _compute_currency_id(self) -> dict[int, Any]:
        return dict.fromkeys(self.ids, company_currency(self.env))


class ProductProduct(Model):
    _name = "product.product"
    _description = "Product Variant"
    _order = "default_code, id"

    product_tmpl_id = fields.Many2one(
        "product.template", "Product Template", required=True, ondelete="cascade"
    )
    default_code = fields.Char("Internal Reference")
    barcode = fields.Char()
    active = fields.Boolean(default=True)
    name = fields.Char(related="product_tmpl_id.name")
    type = fields.Selection(PRODUCT_TYPES, "Product Type", related="product_tmpl_id.type")
    is_storable = fields.Boolean("Track Inventory", related="product_tmpl_id.is_storable")
    list_price = fields.Float("Sales Price", related="product_tmpl_id.list_price")
    standard_price = fields.Float("Cost", related="product_tmpl_id.standard_price")
    categ_id = fields.Many2one(
        "product.category", "Product Category", related="product_tmpl_id.categ_id"
    )
    lst_price = fields.Float("Sales Price", related="product_tmpl_id.list_price")
    sale_ok = fields.Boolean("Can be Sold", related="product_tmpl_id.sale_ok")
    description_sale = fields.Text("Sales Description", related="product_tmpl_id.description_sale")
    uom_id = fields.Many2one("uom.uom", "Unit", related="product_tmpl_id.uom_id")
    weight = fields.Float(related="product_tmpl_id.weight")
    taxes_id = fields.Many2many("account.tax", "Sales Taxes", related="product_tmpl_id.taxes_id")
    invoice_policy = fields.Selection(
        INVOICE_POLICIES, "Invoicing Policy", related="product_tmpl_id.invoice_policy"
    )
    currency_id = fields.Many2one("res.currency", "Currency", related="product_tmpl_id.currency_id")
    qty_available = fields.Float("Quantity On Hand", compute="_compute_qty_available")
    free_qty = fields.Float("Free To Use Quantity", compute="_compute_free_qty")

    @api_model
    def create(self, vals_list: ValsList) -> Any:
        many = vals_list_of(vals_list)
        related = {name for name, field in self._fields.items() if field.related}
        templates = self.env["product.template"].with_context(create_product_product=True)
        for vals in many:
            if not vals.get("product_tmpl_id"):
                inherited = {k: vals.pop(k) for k in list(vals) if k in related}
                inherited.pop("lst_price", None)
                vals["product_tmpl_id"] = templates.create(inherited).id
        return super().create(many)

    def _compute_display_name(self) -> dict[int, Any]:
        return {
            row["id"]: f"[{row['default_code']}] {row['name']}"
            if row["default_code"]
            else row["name"]
            for row in self._values(["default_code", "name"])
        }

    def _compute_qty_available(self) -> dict[int, Any]:
        return self._stock(free=False)

    def _compute_free_qty(self) -> dict[int, Any]:
        return self._stock(free=True)

    def _stock(self, *, free: bool) -> dict[int, float]:
        # Odoo counts the internal locations of every warehouse; the free quantity leaves
        # out what deliveries have reserved.
        quants = self.env["stock.quant"].search(
            [("product_id", "in", list(self.ids)), ("location_id.usage", "=", "internal")]
        )
        totals = dict.fromkeys(self.ids, 0.0)
        for row in quants._values(["product_id", "quantity", "reserved_quantity"]):
            totals[row["product_id"]] += row["quantity"] - (
                row["reserved_quantity"] if free else 0.0
            )
        return totals
