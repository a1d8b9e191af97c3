"""A protocol-faithful Odoo stand-in: JSON-RPC and JSON-2 over HTTP, backed by SQLite."""

from sandbox.http import Faults
from sandbox.odoo.auth import Credentials
from sandbox.odoo.server import SandboxOdoo

__all__ = ["Credentials", "Faults", "SandboxOdoo"]
