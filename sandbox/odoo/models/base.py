"""Contacts, users, countries and the model catalogue odoorpc consults."""

from __future__ import annotations

from typing import Any

from sandbox.odoo.models.mail import normalize_email
from sandbox.odoo.orm import Model, api_model, fields

PARTNER_TYPES = [
    ("contact", "Contact"),
    ("invoice", "Invoice Address"),
    ("delivery", "Delivery Address"),
    ("other", "Other Address"),
]


class Country(Model):
    _name = "res.country"
    _description = "Country"
    _order = "name, id"

    name = fields.Char(required=True)
    code = fields.Char("Country Code")


class Partner(Model):
    _name = "res.partner"
    _description = "Contact"
    _parent_name = "parent_id"

    name = fields.Char()
    ref = fields.Char("Reference")
    email = fields.Char()
    phone = fields.Char()
    street = fields.Char()
    street2 = fields.Char()
    city = fields.Char()
    zip = fields.Char()
    country_id = fields.Many2one("res.country", "Country")
    is_company = fields.Boolean("Is a Company", default=False)
    parent_id = fields.Many2one("res.partner", "Related Company")
    child_ids = fields.One2many("res.partner", "parent_id", "Contact")
    type = fields.Selection(PARTNER_TYPES, "Address Type", default="contact")
    customer_rank = fields.Integer(default=0)
    comment = fields.Text("Notes")
    company_name = fields.Char("Company Name")
    active = fields.Boolean(default=True)
    # mail.thread.blacklist: whether the contact's address is on the blacklist (display only).
    is_blacklisted = fields.Boolean("Blacklist", compute="_compute_is_blacklisted")

    def _compute_is_blacklisted(self) -> dict[int, Any]:
        emails = {row["id"]: normalize_email(row["email"]) for row in self._values(["email"])}
        listed = self.env["mail.blacklist"].search(
            [("email", "in", [email for email in emails.values() if email])]
        )
        blacklisted = {row["email"] for row in listed._values(["email"])}
        return {record_id: email in blacklisted for record_id, email in emails.items()}

    def _compute_display_name(self) -> dict[int, Any]:
        rows = self._values(["name", "parent_id", "is_company"])
        parents = {
            row["id"]: row["name"]
            for row in self.browse({r["parent_id"] for r in rows if r["parent_id"]})._values(
                ["name"]
            )
        }
        names = {}
        for row in rows:
            parent = parents.get(row["parent_id"]) if not row["is_company"] else None
            names[row["id"]] = f"{parent}, {row['name'] or ''}" if parent else row["name"] or ""
        return names


class Users(Model):
    _name = "res.users"
    _description = "User"

    name = fields.Char(required=True)
    login = fields.Char(required=True)
    partner_id = fields.Many2one("res.partner", "Related Partner", required=True)
    active = fields.Boolean(default=True)

    @api_model
    def context_get(self) -> dict[str, Any]:
        """The user's context, which odoorpc fetches right after ``common.login``."""
        return {"lang": "en_US", "tz": "UTC"}


class IrModel(Model):
    _name = "ir.model"
    _description = "Models"
    _order = "model"

    name = fields.Char("Model Description", required=True)
    model = fields.Char(required=True)
