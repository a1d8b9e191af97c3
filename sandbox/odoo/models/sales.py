"""Sales orders: a quotation until ``action_confirm``, which makes the delivery and reserves it.

The order's currency is its pricelist's (the company's without one); its amounts are its
lines' taxes rounded by the company's ``tax_calculation_rounding_method``.
"""

from __future__ import annotations

from typing import Any

from sandbox.odoo.exceptions import UserError
from sandbox.odoo.models.company import the_company
from sandbox.odoo.models.invoices import invoiced
from sandbox.odoo.models.mail import post_message
from sandbox.odoo.models.taxes import order_amounts
from sandbox.odoo.models.units import company_currency
from sandbox.odoo.orm import Model, ValsList, api_model, fields, vals_list_of

ORDER_STATES = [
    ("draft", "Quotation"),
    ("sent", "Quotation Sent"),
    ("sale", "Sales Order"),
    ("cancel", "Cancelled"),
]
INVOICE_STATUSES = [
    ("upselling", "Upselling Opportunity"),
    ("invoiced", "Fully Invoiced"),
    ("to invoice", "To Invoice"),
    ("no", "Nothing to Invoice"),
]
DELIVERY_STATUSES = [
    ("pending", "Not Delivered"),
    ("started", "Started"),
    ("partial", "Partially Delivered"),
    ("full", "Fully Delivered"),
]


class SaleOrder(Model):
    _name = "sale.order"
    _description = "Sales Order"
    _order = "date_order desc, id desc"

    name = fields.Char("Order Reference", required=True, default="New")
    partner_id = fields.Many2one("res.partner", "Customer", required=True)
    partner_shipping_id = fields.Many2one("res.partner", "Delivery Address")
    client_order_ref = fields.Char("Customer Reference")
    origin = fields.Char("Source Document")
    state = fields.Selection(ORDER_STATES, "Status", default="draft", readonly=True)
    date_order = fields.Datetime("Order Date", default=lambda env: env.now)
    warehouse_id = fields.Many2one(
        "stock.warehouse",
        "Warehouse",
        default=lambda env: env["stock.warehouse"].search([], limit=1).id,
    )
    pricelist_id = fields.Many2one("product.pricelist", "Pricelist")
    currency_id = fields.Many2one("res.currency", "Currency", compute="_compute_currency_id")
    tag_ids = fields.Many2many("crm.tag", "Tags")
    note = fields.Text("Terms and conditions")
    order_line = fields.One2many("sale.order.line", "order_id", "Order Lines")
    picking_ids = fields.One2many("stock.picking", "sale_id", "Transfers")
    amount_untaxed = fields.Float("Untaxed Amount", compute="_compute_amount_untaxed")
    amount_tax = fields.Float("Taxes", compute="_compute_amount_tax")
    amount_total = fields.Float("Total", compute="_compute_amount_total")
    invoice_ids = fields.Many2many("account.move", "Invoices", compute="_compute_invoice_ids")
    invoice_status = fields.Selection(
        INVOICE_STATUSES, "Invoice Status", compute="_compute_invoice_status"
    )
    delivery_count = fields.Integer("Delivery Orders", compute="_compute_delivery_count")
    delivery_status = fields.Selection(
        DELIVERY_STATUSES, "Delivery Status", compute="_compute_delivery_status"
    )

    @api_model
    def create(self, vals_list: ValsList) -> Any:
        many = vals_list_of(vals_list)
        for vals in many:
            if vals.get("name", "New") == "New":
                vals["name"] = f"S{self.env.next_number('sale.order'):05d}"
            if "pricelist_id" not in vals and self.env.version < 19:
                # The partner's pricelist, which by default is the first one (by sequence),
                # whatever its currency, as Odoo 18's property default gives it; Odoo 19
                # leaves the order without one, in the company's currency.
                first = self.env["product.pricelist"].search([], limit=1)
                vals["pricelist_id"] = first.id if first else None
        return super().create(many)

    def unlink(self) -> bool:
        if any(order.state not in ("draft", "cancel") for order in self.exists()):
            raise UserError(
                "You can not delete a sent quotation or a confirmed sales order. "
                "You must first cancel it."
            )
        return super().unlink()

    def action_confirm(self) -> bool:
        if any(order.state not in ("draft", "sent") for order in self.exists()):
            raise UserError("Some orders are not in a state requiring confirmation.")
        self._check_exists()
        for order in self:
            Model.write(order, {"state": "sale", "date_order": self.env.now})
            order._create_delivery()
        return True

    def action_cancel(self) -> bool:
        for order in self:
            pickings = self.env["stock.picking"].search(
                [("sale_id", "=", order.id), ("state", "!=", "done")]
            )
            pickings.action_cancel()
            Model.write(order, {"state": "cancel"})
        return True

    def action_draft(self) -> bool:
        """Back to a quotation: a cancelled or sent one; any other is left as it is."""
        for order in self:
            if order.state in ("cancel", "sent"):
                Model.write(order, {"state": "draft"})
        return True

    def message_post(
        self, body: str = "", message_type: str = "notification", **_options: Any
    ) -> int:
        """Post ``body`` in the order's chatter (subtype, partners and the like are ignored)."""
        return post_message(self, body, message_type)

    def _create_delivery(self) -> None:
        warehouse = self.env["stock.warehouse"].browse(self.warehouse_id)
        kind = self.env["stock.picking.type"].browse(warehouse.out_type_id)
        lines = self.env["sale.order.line"].search([("order_id", "=", self.id)])
        moves = []
        for line in lines:
            product = self.env["product.product"].browse(line.product_id or [])
            if product and product.type == "consu" and line.product_uom_qty > 0:
                moves.append(
                    [
                        0,
                        0,
                        {
                            "product_id": product.id,
                            "product_uom_qty": line.product_uom_qty,
                            "sale_line_id": line.id,
                            "origin": self.name,
                            **self.env["stock.move"]._known_vals(name=line.name),
                        },
                    ]
                )
        if not moves:
            return
        picking = self.env["stock.picking"].create(
            {
                "picking_type_id": kind.id,
                "partner_id": self.partner_shipping_id or self.partner_id,
                "origin": self.name,
                "sale_id": self.id,
                "move_ids": moves,
            }
        )
        picking.action_confirm()

    def _compute_currency_id(self) -> dict[int, Any]:
        rows = self._values(["pricelist_id"])
        pricelists = self.env["product.pricelist"].browse(
            {r["pricelist_id"] for r in rows} - {None}
        )
        currencies = {row["id"]: row["currency_id"] for row in pricelists._values(["currency_id"])}
        company = company_currency(self.env)
        return {row["id"]: currencies.get(row["pricelist_id"], company) for row in rows}

    def _compute_amount_untaxed(self) -> dict[int, Any]:
        return {id_: amounts[0] for id_, amounts in self._amounts().items()}

    def _compute_amount_tax(self) -> dict[int, Any]:
        return {id_: amounts[1] for id_, amounts in self._amounts().items()}

    def _compute_amount_total(self) -> dict[int, Any]:
        return {id_: amounts[2] for id_, amounts in self._amounts().items()}

    def _amounts(self) -> dict[int, tuple[float, float, float]]:
        """Per order, the untaxed amount, tax and total, rounded as the company says."""
        per_line = the_company(self.env).tax_calculation_rounding_method == "round_per_line"
        lines = self.env["sale.order.line"].search([("order_id", "in", list(self.ids))])
        orders = {row["id"]: row["order_id"] for row in lines._values(["order_id"])}
        grouped: dict[int, list[Any]] = {id_: [] for id_ in self.ids}
        rounding: dict[int, float] = {}
        for line_id, (taxes, currency_rounding) in lines._line_taxes().items():
            grouped[orders[line_id]].append(taxes)
            rounding[orders[line_id]] = currency_rounding
        return {
            id_: order_amounts(found, rounding.get(id_, 0.01), per_line=per_line)
            for id_, found in grouped.items()
        }

    def _compute_invoice_ids(self) -> dict[int, Any]:
        lines = self.env["sale.order.line"].search([("order_id", "in", list(self.ids))])
        orders = {row["id"]: row["order_id"] for row in lines._values(["order_id"])}
        found: dict[int, set[int]] = {id_: set() for id_ in self.ids}
        for line, moves in invoiced(self.env, lines.ids)[1].items():
            found[orders[line]] |= moves
        return {id_: sorted(moves) for id_, moves in found.items()}

    def _compute_invoice_status(self) -> dict[int, Any]:
        lines = self.env["sale.order.line"].search([("order_id", "in", list(self.ids))])
        due = lines._compute_qty_to_invoice()
        done = lines._compute_qty_invoiced()
        statuses = dict.fromkeys(self.ids, "no")
        for row in lines._values(["order_id"]):
            order = row["order_id"]
            if due[row["id"]] > 0:
                statuses[order] = "to invoice"
            elif done[row["id"]] and statuses[order] == "no":
                statuses[order] = "invoiced"
        return statuses

    def _compute_delivery_count(self) -> dict[int, Any]:
        return {row["id"]: len(row["picking_ids"]) for row in self._values(["picking_ids"])}

    def _compute_delivery_status(self) -> dict[int, Any]:
        statuses: dict[int, Any] = {}
        for row in self._values(["picking_ids"]):
            states = [p.state for p in self.env["stock.picking"].browse(row["picking_ids"])]
            live = [s for s in states if s != "cancel"]
            if not live:
                statuses[row["id"]] = None
            elif all(s == "done" for s in live):
                statuses[row["id"]] = "full"
            elif "done" in live:
                statuses[row["id"]] = "partial"
            else:
                statuses[row["id"]] = "pending"
        return statuses


class CrmTag(Model):
    """Tags on sales orders (``sales_team``), which people filter and group orders by."""

    _name = "crm.tag"
    _description = "CRM Tag"
    _order = "name, id"

    name = fields.Char("Tag Name", required=True)
    color = fields.Integer("Color", default=0)
