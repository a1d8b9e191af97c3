"""The chatter: messages posted on a document, which Odoo users read on its form."""

from __future__ import annotations

from sandbox.odoo.orm import Model, fields

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
