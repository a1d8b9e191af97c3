"""``retailsync audit``: every executed operator change, oldest first."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

import typer

from commands.operating import JsonOption, operator, print_json, table
from retailsync.operate.audit import read_audit


def audit(
    action: Annotated[
        str | None, typer.Option(help="Only this action, e.g. replay or dlt redrive")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """List the audit trail: who changed what, when, with which command."""
    context = operator()
    with context.reader() as reader:
        records = [
            record
            for record in read_audit(reader, context.operate.audit_topic)
            if action is None or record.action == action
        ]
    if as_json:
        print_json([asdict(record) for record in records])
        return
    table(
        "audit trail",
        ["at", "id", "actor", "action", "command", "changes"],
        [(r.at, r.id, r.actor, r.action, r.command, len(r.changes)) for r in records],
    )
