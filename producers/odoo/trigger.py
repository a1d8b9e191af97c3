"""Odoo's automation-rule webhook as a trigger to poll now; the poll stays the truth.

In Odoo, an automation rule (Settings > Technical > Automation Rules) on a watched model
with the action "Send Webhook Notification" POSTs JSON (``_model``, ``_id`` and the chosen
fields) to a URL. Odoo signs nothing, so with ``RETAILSYNC_ODOO_TRIGGER_TOKEN`` set the
request must carry that token, in the query (``/odoo/webhook?token=…``, what Odoo's URL
field can hold) or in the ``X-Retailsync-Token`` header (a proxy's). The body is never
trusted: it only wakes the poller, which reads the records itself.

``GET /lag`` answers ``{"lag_s": …}``, the poller's lag behind Odoo.
"""

from __future__ import annotations

import hmac
import logging
import socket
import threading
from collections.abc import Callable

import uvicorn
from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import ASGIApp

log = logging.getLogger("retailsync.odoo_changes")

TOKEN_HEADER = "X-Retailsync-Token"  # noqa: S105  (a header name, not a secret)
_START_TIMEOUT_S = 10.0


def trigger_app(
    wake: Callable[[], None], lag: Callable[[], float], token: SecretStr | None
) -> Starlette:
    """The webhook endpoint: ``wake`` on every authorised POST."""
    expected = token.get_secret_value().encode() if token is not None else None

    async def webhook(request: Request) -> JSONResponse:
        given = request.query_params.get("token") or request.headers.get(TOKEN_HEADER) or ""
        if expected is not None and not hmac.compare_digest(given.encode(), expected):
            return JSONResponse({"error": "unauthorized"}, status_code=401)
        try:
            body = await request.json()
        except ValueError:
            body = None
        if isinstance(body, dict):
            # Model and id only: the chosen fields may hold personal data.
            log.debug("webhook for %s/%s", body.get("_model"), body.get("_id"))
        wake()
        return JSONResponse({"status": "polling"})

    async def lag_seconds(_request: Request) -> JSONResponse:
        return JSONResponse({"lag_s": round(lag(), 3)})

    return Starlette(
        routes=[
            Route("/odoo/webhook", webhook, methods=["POST"]),
            Route("/lag", lag_seconds, methods=["GET"]),
        ]
    )


class TriggerServer:
    """Serves an app with uvicorn in a background thread; ``port`` 0 takes a free one."""

    def __init__(self, app: ASGIApp, host: str, port: int) -> None:
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind((host, port))
        self.host, self.port = host, self._listener.getsockname()[1]
        config = uvicorn.Config(app, lifespan="off", log_config=None, access_log=False)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run,
            kwargs={"sockets": [self._listener]},
            name="odoo-trigger",
            daemon=True,
        )

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> None:
        self._listener.listen(128)
        self._thread.start()
        started = threading.Event()
        waited = 0.0
        while not self._server.started and self._thread.is_alive() and waited < _START_TIMEOUT_S:
            started.wait(0.01)
            waited += 0.01
        if not self._server.started:
            raise RuntimeError(f"the Odoo webhook endpoint could not start on {self.url}")

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(_START_TIMEOUT_S)
        self._listener.close()
