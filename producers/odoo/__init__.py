"""producers/odoo."""
