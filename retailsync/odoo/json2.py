"""The JSON-2 transport (Odoo 19+): ``POST /json/2/<model>/<method>`` over one httpx client.

The API key goes in ``Authorization: bearer``; the database, when set, in
``X-Odoo-Database``. Each call is its own transaction on the server. The httpx client pools
keep-alive connections up to the given limits and applies the given timeouts to every call.
A database the server does not have (or none, on a server with several) is answered with
Odoo's HTML 404 page for requests without a database: a configuration error naming
``RETAILSYNC_ODOO_DB``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from retailsync.odoo.errors import (
    OdooConfigError,
    OdooTimeoutError,
    OdooUnavailableError,
    from_odoo,
)

# In ``odoo.http.NOT_FOUND_NODB``, the page a request for an unknown database ends in.
_NO_DATABASE = "No database is selected"


class Json2Transport:
    """Sends each call as one JSON-2 request."""

    def __init__(
        self,
        url: str,
        api_key: str,
        *,
        database: str | None,
        timeout: httpx.Timeout,
        limits: httpx.Limits,
        credential_key: str = "RETAILSYNC_ODOO_API_KEY",
        database_key: str = "RETAILSYNC_ODOO_DB",
        http_transport: httpx.BaseTransport | None = None,
    ) -> None:
        headers = {"Authorization": f"bearer {api_key}", "User-Agent": "retailsync"}
        if database:
            headers["X-Odoo-Database"] = database
        self._credential_key = credential_key
        self._database, self._database_key = database, database_key
        self._http = httpx.Client(
            base_url=url.rstrip("/"),
            headers=headers,
            timeout=timeout,
            limits=limits,
            transport=http_transport,
        )

    def call(
        self, model: str, method: str, ids: Sequence[int] | None, params: Mapping[str, Any]
    ) -> Any:
        body = dict(params)
        if ids is not None:
            body["ids"] = list(ids)
        try:
            response = self._http.post(f"/json/2/{model}/{method}", json=body)
        except httpx.TimeoutException as exc:
            raise OdooTimeoutError(
                f"no answer in time ({type(exc).__name__})", model=model, method=method
            ) from exc
        except httpx.TransportError as exc:
            raise OdooUnavailableError(
                f"cannot reach Odoo: {exc}", model=model, method=method
            ) from exc
        reply = _json(response)
        if response.is_success and reply is not _NOT_JSON:
            return reply
        if reply is _NOT_JSON and response.status_code == 404 and _NO_DATABASE in response.text:
            raise OdooConfigError(
                f"Odoo has no database {self._database!r} (or needs one named)",
                key=self._database_key,
                model=model,
                method=method,
                status=404,
            )
        if isinstance(reply, dict) and "name" in reply:
            name, message = str(reply["name"]), str(reply.get("message", ""))
        else:
            # Not Odoo's own answer: a proxy's error page, or a body that is not JSON.
            name, message = "", f"HTTP {response.status_code} {response.reason_phrase}"
        status = response.status_code if not response.is_success else 502
        raise from_odoo(
            name,
            message,
            model=model,
            method=method,
            status=status,
            credential_key=self._credential_key,
        )

    def close(self) -> None:
        self._http.close()


_NOT_JSON = object()


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return _NOT_JSON
