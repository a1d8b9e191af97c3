"""Odoo's exceptions as the sandbox raises them, and their serialized form on the wire.

Each class carries the dotted name a real server puts in ``data.name`` (JSON-RPC) or
``name`` (JSON-2), and the HTTP status Odoo 19's JSON-2 dispatcher answers it with.
Builtin errors (``ValueError``, ``AttributeError``, ``TypeError``) are raised as themselves,
as Odoo does, and serialize as ``builtins.<Name>``.
"""

from __future__ import annotations

import traceback
from typing import Any, ClassVar


class OdooException(Exception):  # noqa: N818  (Odoo's own names)
    """Base of the sandbox's named Odoo errors."""

    odoo_name: ClassVar[str] = "odoo.exceptions.UserError"
    http_status: ClassVar[int] = 500


class UserError(OdooException):
    """A business rule refused the call."""

    odoo_name = "odoo.exceptions.UserError"
    http_status = 422


class ValidationError(UserError):
    odoo_name = "odoo.exceptions.ValidationError"


class MissingError(UserError):
    odoo_name = "odoo.exceptions.MissingError"
    http_status = 404


class AccessError(UserError):
    odoo_name = "odoo.exceptions.AccessError"
    http_status = 403


class AccessDenied(UserError):  # noqa: N818
    odoo_name = "odoo.exceptions.AccessDenied"
    http_status = 403

    def __init__(self, message: str = "Access Denied") -> None:
        super().__init__(message)


class DatabaseError(OdooException):
    """A PostgreSQL error as psycopg2 names it (the sandbox has no PostgreSQL)."""

    def __init__(self, odoo_name: str, message: str) -> None:
        super().__init__(message)
        self.pg_name = odoo_name


class HttpError(OdooException):
    """A werkzeug HTTP exception: JSON-2 answers it with its own status."""

    def __init__(self, status: int, werkzeug_name: str, description: str) -> None:
        super().__init__(description, status)
        self.status = status
        self.werkzeug_name = werkzeug_name
        self.description = description


def not_found(description: str) -> HttpError:
    return HttpError(404, "NotFound", description)


def unprocessable(description: str) -> HttpError:
    return HttpError(422, "UnprocessableEntity", description)


def unauthorized(description: str) -> HttpError:
    return HttpError(401, "Unauthorized", description)


def bad_request(description: str) -> HttpError:
    return HttpError(400, "BadRequest", description)


def name_of(exc: BaseException) -> str:
    if isinstance(exc, DatabaseError):
        return exc.pg_name
    if isinstance(exc, HttpError):
        return f"werkzeug.exceptions.{exc.werkzeug_name}"
    if isinstance(exc, OdooException):
        return exc.odoo_name
    return f"{type(exc).__module__}.{type(exc).__qualname__}"


def status_of(exc: BaseException) -> int:
    """The HTTP status Odoo 19's JSON-2 dispatcher gives ``exc``."""
    if isinstance(exc, HttpError):
        return exc.status
    if isinstance(exc, OdooException):
        return exc.http_status
    return 500


def serialize(exc: BaseException) -> dict[str, Any]:
    """``odoo.http.serialize_exception``: the ``data`` of a JSON-RPC error, a JSON-2 body."""
    if isinstance(exc, HttpError):
        message: str = exc.description
        arguments: list[Any] = [exc.description, exc.status]
    else:
        message = str(exc)
        arguments = list(exc.args)
    # AccessDenied carries no traceback on a real server either.
    debug = "" if isinstance(exc, AccessDenied) else "".join(traceback.format_exception(exc))
    return {
        "name": name_of(exc),
        "debug": debug,
        "message": message,
        "arguments": arguments,
        "context": {},
    }
