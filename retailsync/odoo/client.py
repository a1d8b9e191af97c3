"""One client for the Odoo calls the pipeline makes, over JSON-2 or JSON-RPC.

The client never retries: a ``create`` that timed out may have been applied, so only the
caller can tell whether repeating it is safe. It raises the errors of
:mod:`retailsync.odoo.errors` (transient or permanent) and nothing else from Odoo.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from retailsync.closing import Closing
from retailsync.errors import UsageError
from retailsync.metrics import client_call
from retailsync.odoo.connection import DEFAULT_MAX_CONNECTIONS, transport_from_settings
from retailsync.odoo.errors import loaded_ids
from retailsync.odoo.settings import OdooSettings
from retailsync.odoo.transport import Context, Domain, Record, Transport


class OdooClient(Closing):
    """Reads and writes Odoo records; use as a context manager, or call :meth:`close`."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    @classmethod
    def from_settings(
        cls, settings: OdooSettings, *, max_connections: int = DEFAULT_MAX_CONNECTIONS
    ) -> OdooClient:
        """The client ``settings.odoo_protocol`` asks for; ConfigError names a missing setting.

        JSON-2 needs ``odoo_url`` and ``odoo_api_key`` (``odoo_db`` when the server hosts
        several databases); JSON-RPC needs ``odoo_url``, ``odoo_db``, ``odoo_user`` and
        ``odoo_password`` (an API key works in its place).
        """
        return cls(transport_from_settings(settings, max_connections=max_connections))

    def search_read(
        self,
        model: str,
        domain: Domain,
        fields: Sequence[str],
        *,
        order: str | None = None,
        limit: int | None = None,
        offset: int = 0,
        context: Context | None = None,
    ) -> list[Record]:
        """Records matching ``domain``; ``fields`` is required, as reading them all is slow."""
        if not fields:
            raise UsageError("search_read needs the fields to read")
        params: dict[str, Any] = {"domain": list(domain), "fields": list(fields), "offset": offset}
        if limit is not None:
            params["limit"] = limit
        if order:
            params["order"] = order
        return list(self._call(model, "search_read", None, params, context))

    def read(
        self,
        model: str,
        ids: Sequence[int],
        fields: Sequence[str],
        *,
        context: Context | None = None,
    ) -> list[Record]:
        """The records of ``ids`` that exist (a missing id is left out, not an error)."""
        if not fields:
            raise UsageError("read needs the fields to read")
        return list(self._call(model, "read", ids, {"fields": list(fields)}, context))

    def create(
        self, model: str, vals_list: Sequence[Mapping[str, Any]], *, context: Context | None = None
    ) -> list[int]:
        """Create one record per dict, in one call and one transaction; their ids in order."""
        if not vals_list:
            return []
        created = self._call(
            model, "create", None, {"vals_list": [dict(vals) for vals in vals_list]}, context
        )
        return [created] if isinstance(created, int) else list(created)

    def load(
        self,
        model: str,
        fields: Sequence[str],
        rows: Sequence[Sequence[str]],
        *,
        context: Context | None = None,
    ) -> list[int]:
        """Odoo's import: records created, or updated, by their external id, in one transaction.

        ``fields`` are import paths (``id`` for the external id, ``partner_id/.id`` for a
        database id, ``order_line/product_uom_qty`` for a line); each row holds a record,
        and rows holding only one2many cells add lines to the record above. The ids come
        in record order. Refused rows raise (nothing is written then): OdooTransientError
        for a conflict with a concurrent transaction, OdooError for anything else.
        """
        if not rows:
            return []
        params = {"fields": list(fields), "data": [list(row) for row in rows]}
        return loaded_ids(self._call(model, "load", None, params, context), model)

    def write(
        self,
        model: str,
        ids: Sequence[int],
        vals: Mapping[str, Any],
        *,
        context: Context | None = None,
    ) -> None:
        """Write ``vals`` on every record of ``ids``; OdooMissingError if one is gone."""
        self._call(model, "write", ids, {"vals": dict(vals)}, context)

    def search_count(self, model: str, domain: Domain, *, context: Context | None = None) -> int:
        return int(self._call(model, "search_count", None, {"domain": list(domain)}, context))

    def call(
        self,
        model: str,
        method: str,
        ids: Sequence[int] | None = None,
        /,
        *,
        context: Context | None = None,
        **kwargs: Any,
    ) -> Any:
        """Any public method, e.g. ``call("sale.order", "action_confirm", [order_id])``.

        ``ids`` ``None`` calls a model-level method; ``kwargs`` are its named arguments.
        The result is Odoo's: ``None`` for a method returning nothing, an action dict for a
        wizard, ids for records.
        """
        return self._call(model, method, ids, kwargs, context)

    def close(self) -> None:
        self._transport.close()

    def _call(
        self,
        model: str,
        method: str,
        ids: Sequence[int] | None,
        params: Mapping[str, Any],
        context: Context | None,
    ) -> Any:
        if context:
            params = {**params, "context": dict(context)}
        with client_call("odoo", method):
            return self._transport.call(model, method, None if ids is None else list(ids), params)
