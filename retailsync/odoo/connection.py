"""From settings to a transport: which protocol, which credentials, which limits.

Timeouts and limits are explicit: ``odoo_timeout_s`` bounds every call (reading, writing,
waiting for a pooled connection), connecting is bounded more tightly, and at most
``max_connections`` calls are in flight per client on either transport.
"""

from __future__ import annotations

import httpx
from pydantic import SecretStr

from retailsync.errors import ConfigError
from retailsync.odoo.json2 import Json2Transport
from retailsync.odoo.jsonrpc import JsonRpcTransport
from retailsync.odoo.settings import OdooSettings
from retailsync.odoo.transport import Transport

DEFAULT_MAX_CONNECTIONS = 4
# Connecting should be quick even when a call may legitimately take long (a big confirm).
_CONNECT_TIMEOUT_S = 5.0
# Below the 5 s after which common servers (uvicorn, gunicorn) close an idle connection:
# reusing one the server just closed fails with a reset instead of a fresh connect.
_KEEPALIVE_EXPIRY_S = 4.0
_URL_HINT = "not set: give Odoo's URL (`retailsync run` starts a sandbox Odoo when it is not set)"


def transport_from_settings(
    settings: OdooSettings, *, max_connections: int = DEFAULT_MAX_CONNECTIONS
) -> Transport:
    """The transport ``settings.odoo_protocol`` names; ConfigError names a missing setting."""
    if settings.odoo_protocol == "json2":
        return _json2(settings, max_connections)
    return _jsonrpc(settings, max_connections)


def _json2(settings: OdooSettings, max_connections: int) -> Json2Transport:
    timeout_s = settings.odoo_timeout_s
    return Json2Transport(
        _required(settings.odoo_url, "odoo_url"),
        _secret(settings.odoo_api_key, "odoo_api_key"),
        database=settings.odoo_db,
        timeout=httpx.Timeout(timeout_s, connect=min(timeout_s, _CONNECT_TIMEOUT_S)),
        limits=httpx.Limits(
            max_connections=max_connections,
            max_keepalive_connections=max_connections,
            keepalive_expiry=_KEEPALIVE_EXPIRY_S,
        ),
    )


def _jsonrpc(settings: OdooSettings, max_connections: int) -> JsonRpcTransport:
    password_field = "odoo_password" if settings.odoo_password is not None else "odoo_api_key"
    return JsonRpcTransport(
        _required(settings.odoo_url, "odoo_url"),
        database=_required(settings.odoo_db, "odoo_db"),
        login=_required(settings.odoo_user, "odoo_user"),
        password=_secret(settings.odoo_password or settings.odoo_api_key, "odoo_password"),
        timeout_s=settings.odoo_timeout_s,
        max_connections=max_connections,
        credential_key=f"RETAILSYNC_{password_field.upper()}",
    )


def _required(value: str | None, field: str) -> str:
    if not value:
        hint = _URL_HINT if field == "odoo_url" else "required to reach Odoo with these settings"
        raise ConfigError("environment", f"RETAILSYNC_{field.upper()}", hint)
    return value


def _secret(value: SecretStr | None, field: str) -> str:
    return _required(value.get_secret_value() if value is not None else None, field)
