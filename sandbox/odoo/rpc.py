"""JSON-RPC as Odoo 18 serves it on ``/jsonrpc``: the ``common``, ``object`` and ``db`` services.

Replies keep Odoo's quirks: a method returning None gives an envelope without ``result``,
a wrong password on ``common.login`` answers ``false``, every application error is HTTP 200
with ``{"code": 200, "message": "Odoo Server Error", "data": {...}}``; Odoo 19's
``JsonRPCDispatcher.handle_error`` says ``"code": 0`` instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sandbox.odoo.auth import ADMIN_UID, Credentials
from sandbox.odoo.calls import call_kw
from sandbox.odoo.exceptions import AccessDenied, DatabaseError, serialize
from sandbox.odoo.store import Database


def version_info(version: str) -> dict[str, Any]:
    major, minor = (int(part) for part in version.split(".")[:2])
    return {
        "server_version": version,
        "server_version_info": [major, minor, 0, "final", 0, ""],
        "server_serie": version,
        "protocol_version": 1,
    }


def reply(request_id: Any, result: Any) -> dict[str, Any]:
    envelope: dict[str, Any] = {"jsonrpc": "2.0", "id": request_id}
    if result is not None:
        envelope["result"] = result
    return envelope


def error_reply(request_id: Any, exc: BaseException, major_version: int) -> dict[str, Any]:
    """The envelope of an application error, with the code that Odoo version gives it."""
    code = 200 if major_version < 19 else 0
    error = {"code": code, "message": "Odoo Server Error", "data": serialize(exc)}
    return {"jsonrpc": "2.0", "id": request_id, "error": error}


class Services:
    """The three JSON-RPC services, over one database and one administrator."""

    def __init__(self, database: Database, credentials: Credentials, version: str) -> None:
        self._database = database
        self._credentials = credentials
        self._version = version

    @property
    def major_version(self) -> int:
        return self._database.version

    def dispatch(self, params: Mapping[str, Any]) -> Any:
        service, method = params.get("service"), params.get("method")
        args = list(params.get("args") or [])
        if service == "common":
            return self._common(str(method), args)
        if service == "object" and method in ("execute", "execute_kw"):
            return self._object(str(method), args)
        if service == "db" and method == "list":
            return [self._database.name]
        if service == "db" and method == "server_version":
            return self._version
        raise NameError(f"Method not available {method}")

    def _common(self, method: str, args: list[Any]) -> Any:
        if method == "version":
            return version_info(self._version)
        if method in ("login", "authenticate"):
            db, login, password = args[:3]
            self._check_db(db)
            return self._credentials.login_uid(login, password) or False
        raise NameError(f"Method not available {method}")

    def _object(self, method: str, args: list[Any]) -> Any:
        db, uid, password, model, name = args[:5]
        self._check_db(db)
        if uid != ADMIN_UID or not self._credentials.password_ok(password):
            raise AccessDenied()
        if method == "execute":
            call_args, kwargs = args[5:], {}  # type: list[Any], dict[str, Any]
        else:
            call_args = args[5] if len(args) > 5 else []
            kwargs = args[6] if len(args) > 6 else {}
        with self._database.transaction(uid) as env:
            return call_kw(env, model, name, call_args, kwargs or {})

    def _check_db(self, db: object) -> None:
        if db != self._database.name:
            raise DatabaseError(
                "psycopg2.OperationalError",
                'connection to server on socket "/var/run/postgresql/.s.PGSQL.5432" failed: '
                f'FATAL:  database "{db}" does not exist\n',
            )
