"""The JSON-RPC transport (Odoo 16-18) through odoorpc: ``execute_kw`` on ``/jsonrpc``.

odoorpc asks ``/web/webclient/version_info`` when built and ``common.login`` plus
``res.users.context_get`` when logging in; both happen on the first call, not at
construction. It opens one connection per call (urllib, no keep-alive), so the connection
limit is a semaphore around calls and the timeout is odoorpc's socket timeout.
"""

from __future__ import annotations

import http.client
import threading
import urllib.error
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

import odoorpc

from retailsync.errors import ConfigError
from retailsync.odoo.errors import (
    Failure,
    OdooConfigError,
    OdooTimeoutError,
    OdooUnavailableError,
    from_odoo,
)

# These travel as positional arguments: Odoo's ``call_kw`` reads ``create``'s from
# ``args[0]`` (it answers an int or a list by looking at it), and Odoo 18's overrides of
# ``write`` name its argument ``values`` (res.company; sale.order with sale_stock), so a
# keyword ``vals`` is a TypeError there. Odoo 19 names them all ``vals``.
_POSITIONAL = {"create": ("vals_list",), "write": ("vals",)}


class JsonRpcTransport:
    """Sends each call as ``object.execute_kw`` through one logged-in odoorpc session."""

    def __init__(
        self,
        url: str,
        *,
        database: str,
        login: str,
        password: str,
        timeout_s: float,
        max_connections: int,
        credential_key: str = "RETAILSYNC_ODOO_PASSWORD",
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.path.strip("/"):
            # odoorpc builds its URLs from host and port alone: no path prefix, no query.
            raise ConfigError(
                "environment", "RETAILSYNC_ODOO_URL", f"{url!r} is not http(s)://host[:port]"
            )
        self._host = parts.hostname
        self._ssl = parts.scheme == "https"
        self._port = parts.port or (443 if self._ssl else 80)
        self._database, self._login, self._password = database, login, password
        self._timeout_s = timeout_s
        self._credential_key = credential_key
        self._slots = threading.BoundedSemaphore(max_connections)
        self._login_lock = threading.Lock()
        self._odoo: Any = None

    def call(
        self, model: str, method: str, ids: Sequence[int] | None, params: Mapping[str, Any]
    ) -> Any:
        args: list[Any] = [] if ids is None else [list(ids)]
        kwargs = dict(params)
        for name in _POSITIONAL.get(method, ()):
            if name in kwargs:
                args.append(kwargs.pop(name))
        with self._slots:
            try:
                odoo = self._session()
                kwargs["context"] = {**odoo.env.context, **(kwargs.get("context") or {})}
                return odoo.execute_kw(model, method, args, kwargs)
            except odoorpc.error.RPCError as exc:
                raise self._refused(exc, model, method) from exc
            except (urllib.error.URLError, OSError, http.client.HTTPException, ValueError) as exc:
                raise _unreachable(exc, model, method, self._credential_key) from exc

    def close(self) -> None:
        # Nothing to release: odoorpc keeps no connection open between calls.
        self._odoo = None

    def _session(self) -> Any:
        with self._login_lock:
            if self._odoo is None:
                protocol = "jsonrpc+ssl" if self._ssl else "jsonrpc"
                odoo = odoorpc.ODOO(
                    self._host, protocol=protocol, port=self._port, timeout=self._timeout_s
                )
                odoo.login(self._database, self._login, self._password)
                self._odoo = odoo
            return self._odoo

    def _refused(self, exc: odoorpc.error.RPCError, model: str, method: str) -> Failure:
        if not isinstance(exc.info, dict):
            # odoorpc's own answer to ``common.login`` returning false.
            return OdooConfigError(str(exc), key=self._credential_key, model=model, method=method)
        data = exc.info.get("data") or {}
        return from_odoo(
            str(data.get("name", "")),
            str(data.get("message", exc)),
            model=model,
            method=method,
            credential_key=self._credential_key,
        )


def _unreachable(exc: Exception, model: str, method: str, credential_key: str) -> Failure:
    if isinstance(exc, urllib.error.HTTPError):
        exc.close()  # the error holds the response: close it, or its socket leaks
        message = f"HTTP {exc.code} {exc.reason}"
        return from_odoo(
            "", message, model=model, method=method, status=exc.code, credential_key=credential_key
        )
    reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    if isinstance(reason, TimeoutError):
        return OdooTimeoutError(f"no answer in time: {reason}", model=model, method=method)
    if isinstance(exc, ValueError):
        return OdooUnavailableError(
            f"the reply was not JSON-RPC: {exc}", model=model, method=method
        )
    return OdooUnavailableError(f"cannot reach Odoo: {reason}", model=model, method=method)
