"""``retailsync publish``: events from a file or stdin, for scripts and backfills."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Annotated

import typer

from retailsync.errors import InvalidInputError
from retailsync.events import Event
from retailsync.events.parse import parse_event, publishable_model
from retailsync.publisher import Publisher

# Events queued between two flushes: a backfill's lines come out as its batches land.
_BATCH = 10_000


def publish(
    event_type: Annotated[str, typer.Argument(help="e.g. inventory_adjusted")],
    file: Annotated[
        str,
        typer.Option("--file", "-f", help="one JSON event, or JSON lines; - reads stdin"),
    ] = "-",
    skip_invalid: Annotated[
        bool,
        typer.Option(help="publish the valid events of a file with invalid ones (exit 1)"),
    ] = False,
) -> None:
    """Publish the events of a file (or stdin), printing where each landed.

    Every event is validated against EVENT_TYPE's model first; an invalid one is named by
    its line and field, and then nothing is published unless --skip-invalid.
    """
    publishable_model(event_type)  # an unknown type fails before the file is read
    events: list[tuple[int, Event]] = []
    invalid = 0
    for line, text in _documents(_read(file)):
        try:
            # Numbers read as decimals: money and quantities stay exact.
            data = json.loads(text, parse_float=Decimal)
            events.append((line, parse_event(event_type, data)))
        except json.JSONDecodeError as exc:
            invalid += 1
            typer.secho(f"line {line}: not JSON: {exc.msg}", err=True, fg=typer.colors.RED)
        except InvalidInputError as exc:
            invalid += 1
            typer.secho(f"line {line}: {exc}", err=True, fg=typer.colors.RED)
    if not events and not invalid:
        raise InvalidInputError("no event in the input")
    if invalid and not skip_invalid:
        raise InvalidInputError(
            f"{invalid} of {invalid + len(events)} event(s) invalid; nothing was published"
        )
    with Publisher.from_settings(positions=True) as publisher:
        for start in range(0, len(events), _BATCH):
            batch = events[start : start + _BATCH]
            for _, event in batch:
                publisher.publish(event)
            for (line, _), landed in zip(batch, publisher.flush(), strict=True):
                typer.echo(f"line {line}: {event_type} {landed.event_id} at {landed}")
    if invalid:
        typer.echo(f"published {len(events)}, skipped {invalid} invalid", err=True)
        raise typer.Exit(1)


def _read(file: str) -> str:
    if file == "-":
        return sys.stdin.read()
    try:
        return Path(file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise typer.BadParameter(str(exc), param_hint="--file") from None


def _documents(text: str) -> Iterator[tuple[int, str]]:
    """(line number, JSON text) of each event: the whole text when it is one JSON document
    (it may span lines), else each non-blank line (JSON lines)."""
    try:
        json.loads(text)
    except json.JSONDecodeError:
        pass
    else:
        lines = text.splitlines()
        yield next((n for n, line in enumerate(lines, 1) if line.strip()), 1), text
        return
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip():
            yield number, line
