"""Odoo for the pipeline: one client over JSON-2 or JSON-RPC, its errors, a change cursor.

with OdooClient.from_settings(OdooSettings.load()) as odoo:
    for page in iter_changes(odoo, "product.product", ["default_code", "name"], since=cursor):
        ...
"""

from retailsync.odoo.changes import ChangeCursor, ChangePage, iter_changes
from retailsync.odoo.client import OdooClient
from retailsync.odoo.errors import (
    OdooConfigError,
    OdooError,
    OdooMissingError,
    OdooTimeoutError,
    OdooTransientError,
    OdooUnavailableError,
    OdooUserError,
)
from retailsync.odoo.json2 import Json2Transport
from retailsync.odoo.jsonrpc import JsonRpcTransport
from retailsync.odoo.settings import OdooSettings
from retailsync.odoo.transport import Record, Transport

__all__ = [
    "ChangeCursor",
    "ChangePage",
    "Json2Transport",
    "JsonRpcTransport",
    "OdooClient",
    "OdooConfigError",
    "OdooError",
    "OdooMissingError",
    "OdooSettings",
    "OdooTimeoutError",
    "OdooTransientError",
    "OdooUnavailableError",
    "OdooUserError",
    "Record",
    "Transport",
    "iter_changes",
]
