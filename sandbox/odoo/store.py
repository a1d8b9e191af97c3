"""The sandbox's database: one SQLite connection, a table per model, a transaction per call.

SQLite runs in the server's event-loop thread only, so calls are serialized like Odoo's
single worker; each call is one transaction, rolled back when it raises.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import sandbox.odoo.models  # noqa: F401  (registers the models)
from sandbox.odoo.orm import REGISTRY, Env
from sandbox.odoo.orm.fields import DATETIME_FORMAT

SUPERUSER_ID = 1


class Database:
    """An Odoo database of the given ``name``, in memory unless ``path`` names a file.

    ``version``: the major version of Odoo whose ORM it behaves as (18 or 19).
    """

    def __init__(self, name: str, path: str = ":memory:", version: int = 18) -> None:
        self.name = name
        self.version = version
        self._cr = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        for pragma in ("case_sensitive_like = ON", "journal_mode = MEMORY", "synchronous = OFF"):
            self._cr.execute(f"PRAGMA {pragma}")
        self._create_tables()

    def _create_tables(self) -> None:
        for model in REGISTRY.values():
            columns = "".join(
                f', "{name}" {field.column_type}'
                for name, field in model._fields.items()
                if field.stored and name != "id"
            )
            table = model._table
            key = "id INTEGER PRIMARY KEY AUTOINCREMENT"
            self._cr.execute(f"CREATE TABLE IF NOT EXISTS {table} ({key}{columns})")
            self._cr.execute(
                f"CREATE INDEX IF NOT EXISTS {table}_write_date ON {table} (write_date, id)"
            )
            for index, unique in model._unique.items():
                names = ", ".join(f'"{name}"' for name in unique)
                self._cr.execute(f"CREATE UNIQUE INDEX IF NOT EXISTS {index} ON {table} ({names})")
        self._cr.execute(
            "CREATE TABLE IF NOT EXISTS ir_sequence (code TEXT PRIMARY KEY, number INTEGER)"
        )

    @contextmanager
    def transaction(self, uid: int, context: Mapping[str, Any] | None = None) -> Iterator[Env]:
        """An environment inside one transaction: committed on return, rolled back on error."""
        now = datetime.now(UTC).strftime(DATETIME_FORMAT)
        self._cr.execute("BEGIN")
        try:
            yield Env(self._cr, uid, context or {}, now, self.version)
        except BaseException:
            self._cr.execute("ROLLBACK")
            raise
        self._cr.execute("COMMIT")

    def close(self) -> None:
        self._cr.close()
