"""Odoo contract tests: the sandbox Odoo by default, a real Odoo when ODOO_URL is set."""
