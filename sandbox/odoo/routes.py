"""The sandbox's HTTP surface: the routes odoorpc and the JSON-2 client use."""

from __future__ import annotations

import json
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from sandbox.odoo.exceptions import not_found, serialize
from sandbox.odoo.json2 import Json2
from sandbox.odoo.rpc import Services, error_reply, reply, version_info

_INVALID_JSON = (
    "<!doctype html>\n<html lang=en>\n<title>400 Bad Request</title>\n"
    "<h1>Bad Request</h1>\n<p>Invalid JSON data</p>\n"
)
# Odoo 19's ``odoo.http.NOT_FOUND_NODB``: the answer to a request for a database it lacks.
_NOT_FOUND_NODB = """\
<!DOCTYPE html>
<title>404 Not Found</title>
<h1>Not Found</h1>
<p>No database is selected and the requested URL was not found in the server-wide controllers.</p>
<p>Please verify the hostname, <a href=/web/login>login</a> and try again.</p>

<!-- Alternatively, use the X-Odoo-Database header. -->
"""


def build_app(services: Services, json2: Json2, version: str) -> Starlette:
    """A Starlette application answering as an Odoo server."""

    async def version_route(request: Request) -> Response:
        payload = await _envelope(request)
        if payload is None:
            return HTMLResponse(_INVALID_JSON, status_code=400)
        return _json(reply(payload.get("id"), version_info(version)))

    async def jsonrpc_route(request: Request) -> Response:
        payload = await _envelope(request)
        if payload is None:
            return HTMLResponse(_INVALID_JSON, status_code=400)
        try:
            return _json(reply(payload.get("id"), services.dispatch(payload.get("params") or {})))
        except Exception as exc:  # every application error is an HTTP 200 envelope
            return _json(error_reply(payload.get("id"), exc, services.major_version))

    async def json2_route(request: Request) -> Response:
        model, method = request.path_params["model"], request.path_params["method"]
        if json2.unknown_database(request.headers):
            return HTMLResponse(_NOT_FOUND_NODB, status_code=404)
        status, body, headers = json2.answer(model, method, request.headers, await request.body())
        return _json(body, status, headers)

    async def json2_elsewhere(request: Request) -> Response:
        return _json(serialize(not_found("Did you mean POST /json/2/<model>/<method>?")), 404)

    routes = [
        Route("/web/webclient/version_info", version_route, methods=["GET", "POST"]),
        Route("/jsonrpc", jsonrpc_route, methods=["POST"]),
        Route("/json/2/{model}/{method}", json2_route, methods=["POST"]),
        Route(
            "/json/2{rest:path}", json2_elsewhere, methods=["GET", "POST", "PUT", "DELETE", "PATCH"]
        ),
    ]
    return Starlette(routes=routes)


async def _envelope(request: Request) -> dict[str, Any] | None:
    try:
        payload = json.loads(await request.body())
    except ValueError:
        return None
    return payload if isinstance(payload, dict) else None


def _json(payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    content = json.dumps(payload, separators=(",", ":"))
    return Response(content, status_code=status, headers=headers, media_type="application/json")
