"""Odoo 19's JSON-2 API: ``POST /json/2/<model>/<method>`` with a bearer API key.

Assumptions, from Odoo 19's ``/json/2`` controller and its exceptions' ``http_status``: the
body is the method's named arguments plus ``ids`` and ``context``; the reply is the bare
JSON result (a recordset becomes its ids, so ``create`` always answers a list); an error is
``{"name", "message", "arguments", "context", "debug"}`` with status 401 for a missing or
wrong key, 400 for a body that is not JSON, 404 for an unknown model or method or
a missing record, 403 for access errors, 422 for ``UserError``/``ValidationError`` and
arguments that do not fit, 500 for anything else (``ValueError`` included). An
``X-Odoo-Database`` naming another database gets no registry, so the request falls back to
the routes without a database and ends in Odoo's HTML 404 page (``NOT_FOUND_NODB``;
:meth:`Json2.unknown_database` tells the route to answer it).

A body that is JSON but not an object: Odoo 19's ``Json2Dispatcher`` ignores it
(``self.jsonrequest | args`` fails, only the path's arguments remain, and a method missing
its arguments answers 422); the sandbox answers 400 when it answers as Odoo 18 (which has
no JSON-2 API of its own).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from sandbox.odoo.auth import ADMIN_UID, Credentials
from sandbox.odoo.calls import call_json2
from sandbox.odoo.exceptions import bad_request, serialize, status_of, unauthorized
from sandbox.odoo.store import Database

_BEARER = re.compile(r"^bearer\s+(.+)$", re.IGNORECASE)
Answer = tuple[int, Any, dict[str, str]]


class Json2:
    """Answers JSON-2 requests for one database."""

    def __init__(self, database: Database, credentials: Credentials) -> None:
        self._database = database
        self._credentials = credentials

    def answer(self, model: str, method: str, headers: Mapping[str, str], body: bytes) -> Answer:
        try:
            self._authenticate(headers)
            params = _parse(body, ignore_non_object=self._database.version >= 19)
            with self._database.transaction(ADMIN_UID) as env:
                return 200, call_json2(env, model, method, params), {}
        except Exception as exc:  # every error is answered, in Odoo's shape
            extra = {"WWW-Authenticate": "Bearer"} if status_of(exc) == 401 else {}
            return status_of(exc), serialize(exc), extra

    def unknown_database(self, headers: Mapping[str, str]) -> bool:
        """Whether ``X-Odoo-Database`` names a database this server does not have."""
        database = headers.get("x-odoo-database")
        return database is not None and database != self._database.name

    def _authenticate(self, headers: Mapping[str, str]) -> None:
        match = _BEARER.match(headers.get("authorization", ""))
        if match is None:
            raise unauthorized(
                "User not authenticated, use an API Key with a Bearer Authorization header."
            )
        if not self._credentials.key_ok(match.group(1).strip()):
            raise unauthorized("Invalid apikey")


def _parse(body: bytes, *, ignore_non_object: bool) -> dict[str, Any]:
    if not body:
        return {}
    try:
        params = json.loads(body)
    except ValueError as exc:
        raise bad_request(f"could not parse the body as json: {exc.args[0]}") from exc
    if isinstance(params, dict):
        return params
    if ignore_non_object:
        return {}
    raise bad_request("could not parse the body, expecting a json object")
