"""The environment of one call: cursor, user, context and the transaction's clock."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sandbox.odoo.orm.model import Model

REGISTRY: dict[str, type[Model]] = {}


class Env:
    """What Odoo calls ``self.env``: one per transaction.

    ``now`` is fixed when the transaction begins, as PostgreSQL's ``now()`` is: every record
    a call creates or writes shares one ``write_date``. ``version`` is the major version of
    Odoo the sandbox answers as (18 or 19).
    """

    def __init__(
        self,
        cr: sqlite3.Connection,
        uid: int,
        context: Mapping[str, Any],
        now: str,
        version: int = 18,
    ) -> None:
        self.cr = cr
        self.uid = uid
        self.context: dict[str, Any] = dict(context)
        self.now = now
        self.version = version

    def __getitem__(self, name: str) -> Model:
        return REGISTRY[name](self, ())

    def __contains__(self, name: object) -> bool:
        return name in REGISTRY

    def __call__(self, context: Mapping[str, Any]) -> Env:
        return Env(self.cr, self.uid, context, self.now, self.version)

    def next_number(self, code: str) -> int:
        """The next number of the sequence ``code`` (``ir.sequence`` in Odoo)."""
        row = self.cr.execute(
            "INSERT INTO ir_sequence (code, number) VALUES (?, 1) "
            "ON CONFLICT (code) DO UPDATE SET number = number + 1 RETURNING number",
            (code,),
        ).fetchone()
        return int(row[0])
