"""Odoo's failures as retailsync errors, decided in one place.

(Their place in the whole tree is drawn in ``retailsync.errors``; HTTP statuses are sorted
by its one table, ``status_kind``.)

    RetailsyncError
    ├── ConfigError
    │   └── OdooConfigError .......... Odoo refused the credentials or the database (also permanent)
    ├── TransientError
    │   ├── OdooTransientError ....... this call may pass if retried: a serialization or lock
    │   │                              conflict, an HTTP 500 that is not Odoo's own answer
    │   └── TargetUnavailableError
    │       └── OdooUnavailableError . Odoo is down or throttling: no connection, HTTP 502/503/
    │           │                      504/429; consumers pause rather than retry
    │           └── OdooTimeoutError . no answer within the timeout (the call may have run)
    └── PermanentError
        └── OdooError ................ Odoo refused the call: bad field, domain, method, rights
            ├── OdooUserError ........ UserError/ValidationError: a business rule said no
            └── OdooMissingError ..... the record does not exist (any more)

``load`` (Odoo's import) answers refused rows with messages instead of an error:
``loaded_ids`` turns them into the same errors (a concurrency conflict is transient).

Every error carries Odoo's class name (``odoo_name``, empty when Odoo never answered), its
message, the model and method called, and the HTTP status when there was one. Odoo's
traceback (``debug``) is never kept: it can hold record data.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from retailsync.errors import (
    ConfigError,
    PermanentError,
    TargetUnavailableError,
    TransientError,
    status_kind,
)

TARGET = "odoo"
_ACCESS_DENIED = frozenset({"odoo.exceptions.AccessDenied", "werkzeug.exceptions.Unauthorized"})
_CONFLICTS = frozenset({"odoo.exceptions.ConcurrencyError", "odoo.exceptions.LockError"})
# psycopg2 and psycopg (Odoo 19+) name the same PostgreSQL conditions alike.
_PG_TRANSIENT = frozenset(
    {
        "SerializationFailure",
        "TransactionRollbackError",
        "DeadlockDetected",
        "LockNotAvailable",
        "QueryCanceled",
        "OperationalError",
        "InterfaceError",
    }
)
_USER = frozenset(
    {
        "odoo.exceptions.UserError",
        "odoo.exceptions.ValidationError",
        "odoo.exceptions.RedirectWarning",
    }
)
# PostgreSQL's wording of a conflict with a concurrent transaction: ``load`` reports it as
# a message, not as an error class. Odoo runs at REPEATABLE READ, so a concurrent insert of
# the same external id ends in "could not serialize access due to concurrent update".
_PG_CONFLICT_MESSAGES = (
    "could not serialize access",
    "deadlock detected",
    "could not obtain lock",
    "lock timeout",
)
_LOAD_MESSAGES_KEPT = 5


class _OdooFailureError(Exception):
    """What every Odoo error tells: which call, which Odoo class, which message."""

    odoo_name: str
    odoo_message: str
    model: str
    method: str
    status: int | None

    def __init__(
        self,
        message: str,
        *,
        name: str = "",
        model: str = "",
        method: str = "",
        status: int | None = None,
    ) -> None:
        super().__init__(self._describe(message, name, model, method, status))

    def _describe(
        self, message: str, name: str, model: str, method: str, status: int | None
    ) -> str:
        self.odoo_name, self.odoo_message = name, message
        self.model, self.method, self.status = model, method, status
        where = f"{model}.{method}" if model else "Odoo"
        kind = f" {name}" if name else ""
        return f"{where}:{kind} {message}"


class OdooError(_OdooFailureError, PermanentError):
    """Odoo refused the call; the same call will be refused again."""


class OdooUserError(OdooError):
    """A business rule or constraint refused the call (``UserError``, ``ValidationError``)."""


class OdooMissingError(OdooError):
    """The record does not exist, or no longer does (``MissingError``)."""


class OdooConfigError(OdooError, ConfigError):
    """Odoo refused our credentials or database: ``key`` names the setting to fix.

    Both a ConfigError (a service should stop and say which setting is wrong) and a
    PermanentError (retrying the record cannot help).
    """

    def __init__(self, message: str, *, key: str, **details: Any) -> None:
        self.source, self.key, self.reason = "environment", key, message
        # ConfigError's own __init__ wants (source, key, reason): build the message here.
        Exception.__init__(self, f"{key}: {self._describe(message, **_details(details))}")


class OdooTransientError(_OdooFailureError, TransientError):
    """This call failed but a retry may pass: a conflict with a concurrent transaction."""


class OdooUnavailableError(_OdooFailureError, TargetUnavailableError):
    """Odoo cannot take calls now (down, overloaded, throttling): pause, then retry."""

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message, **details)
        self.target = TARGET


class OdooTimeoutError(OdooUnavailableError):
    """No answer within the client's timeout; the call may still have been applied."""


def _details(given: dict[str, Any]) -> dict[str, Any]:
    return {"name": "", "model": "", "method": "", "status": None, **given}


Failure = OdooError | OdooTransientError | OdooUnavailableError


def from_odoo(  # noqa: PLR0911  (one return per rule reads best)
    name: str,
    message: str,
    *,
    model: str = "",
    method: str = "",
    status: int | None = None,
    credential_key: str,
    database_key: str = "RETAILSYNC_ODOO_DB",
) -> Failure:
    """The retailsync error for Odoo's error class ``name`` (or, without one, the HTTP status)."""
    where: dict[str, Any] = {"name": name, "model": model, "method": method, "status": status}
    module, _, short = name.rpartition(".")
    by_status = not name or module == "werkzeug.exceptions"
    kind = status_kind(status) if by_status and status is not None else None
    if name in _ACCESS_DENIED or kind == "unauthorized":
        return OdooConfigError(message, key=credential_key, **where)
    if module.startswith("psycopg") and short == "OperationalError" and "does not exist" in message:
        return OdooConfigError(message, key=database_key, **where)
    if name in _CONFLICTS or (module.startswith("psycopg") and short in _PG_TRANSIENT):
        return OdooTransientError(message, **where)
    if name == "odoo.exceptions.MissingError":
        return OdooMissingError(message, **where)
    if name in _USER:
        return OdooUserError(message, **where)
    if kind == "unavailable":
        return OdooUnavailableError(message, **where)
    if kind == "transient":
        return OdooTransientError(message, **where)
    return OdooError(message, **where)


def loaded_ids(result: Mapping[str, Any], model: str) -> list[int]:
    """The ids of a ``load`` answer; its error messages raised as the retailsync error.

    ``load`` writes nothing when it reports an error, so the whole call may be repeated.
    """
    errors = [m for m in result.get("messages") or () if m.get("type") == "error"]
    ids = result.get("ids")
    if isinstance(ids, list) and not errors:
        return [int(record_id) for record_id in ids]
    text = "; ".join(
        f"record {message.get('record', '?')}: {message.get('message', '')}"
        for message in errors[:_LOAD_MESSAGES_KEPT]
    )
    where: dict[str, Any] = {"model": model, "method": "load"}
    conflict = any(
        phrase in str(message.get("message", ""))
        for message in errors
        for phrase in _PG_CONFLICT_MESSAGES
    )
    if conflict:
        raise OdooTransientError(text, **where)
    raise OdooError(text or "no record imported", **where)
