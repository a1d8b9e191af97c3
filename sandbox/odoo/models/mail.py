"""The chatter: messages posted on a document, which Odoo users read on its form; and the
email blacklist, which mass mailing honours (Odoo 18's ``mail.blacklist``)."""

from __future__ import annotations

from typing import Any, ClassVar

from sandbox.odoo.exceptions import UserError
from sandbox.odoo.orm import Model, ValsList, api_model, fields, vals_list_of

MESSAGE_TYPES = [
    ("email", "Incoming Email"),
    ("comment", "Comment"),
    ("notification", "System notification"),
]


class MailMessage(Model):
    _name = "mail.message"
    _description = "Message"
    _order = "id desc"

    model = fields.Char("Related Document Model")
    res_id = fields.Integer("Related Document ID")
    body = fields.Text("Contents")  # Html in Odoo; the sandbox keeps the markup as text
    message_type = fields.Selection(MESSAGE_TYPES, "Type", default="notification")
    date = fields.Datetime("Date", default=lambda env: env.now)


def post_message(document: Model, body: str, message_type: str) -> int:
    """mail.thread's ``message_post`` for one document: the new message's id."""
    document._check_exists()
    message = document.env["mail.message"].create(
        {"model": document._name, "res_id": document.id, "body": body, "message_type": message_type}
    )
    return int(message.id)


class MailBlacklist(Model):
    """Addresses that receive no mass mailing. As in Odoo: the email is kept normalized and
    unique; ``create`` of an address already listed returns the existing record (archived
    or not) instead of failing, and does not unarchive it; archiving takes an address off
    the list."""

    _name = "mail.blacklist"
    _description = "Mail Blacklist"
    _order = "id desc"
    _unique: ClassVar[dict[str, tuple[str, ...]]] = {"mail_blacklist_unique_email": ("email",)}

    email = fields.Char("Email Address", required=True)
    active = fields.Boolean(default=True)

    @api_model
    def create(self, vals_list: ValsList) -> Any:
        fresh: list[dict[str, Any]] = []
        for vals in vals_list_of(vals_list):
            email = normalize_email(vals.get("email"))
            if email is None:
                raise UserError(f"Invalid email address “{vals.get('email')}”")
            if email not in (v["email"] for v in fresh):
                fresh.append({**vals, "email": email})
        listed = self.with_context(active_test=False).search(
            [("email", "in", [vals["email"] for vals in fresh])]
        )
        known = {row["email"] for row in listed._values(["email"])}
        created = super().create([vals for vals in fresh if vals["email"] not in known])
        return self.browse([*listed.ids, *created.ids])

    def write(self, vals: Any) -> bool:
        if "email" in vals:
            vals = {**vals, "email": normalize_email(vals["email"])}
        return super().write(vals)


def normalize_email(value: Any) -> str | None:
    """Odoo's ``email_normalize`` for a plain address: trimmed and lowercased; None when it
    is not an address."""
    text = str(value or "").strip().lower()
    local, at, domain = text.partition("@")
    return text if at and local and domain and " " not in text else None
