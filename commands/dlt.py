"""``retailsync dlt``: list, show, redrive and discard a group's dead letters."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Annotated

import typer

from commands.operating import (
    ActorOption,
    ExecuteOption,
    JsonOption,
    Operator,
    PersonalOption,
    argv,
    operator,
    print_json,
    table,
)
from retailsync.consumer.record import ConsumedRecord
from retailsync.operate import dead_letters as dl
from retailsync.operate.audit import AuditRecord
from retailsync.operate.listing import Lister
from retailsync.operate.times import instant_ms
from retailsync.operate.writer import ChangeWriter
from retailsync.topology import ConsumerGroup

app = typer.Typer(help="Inspect, redrive and discard dead letters, per consumer group.")

GroupArgument = Annotated[str, typer.Argument(help="The consumer group")]
ErrorClassOption = Annotated[str | None, typer.Option(help="Only errors whose class contains this")]
KeyOption = Annotated[str | None, typer.Option(help="Only this record key")]
SinceOption = Annotated[
    str | None, typer.Option(help="Only dead letters since: ISO 8601 or 2h (ago)")
]


def selection(error_class: str | None, key: str | None, since: str | None) -> dl.Selection:
    try:
        since_ms = instant_ms(since, int(time.time() * 1000)) if since else None
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--since") from None
    return dl.Selection(error_class=error_class, key=key, since_ms=since_ms)


def timestamp(millis: int) -> str:
    return datetime.fromtimestamp(millis / 1000, UTC).isoformat(timespec="seconds")


@app.command("list")
def list_(
    group: Annotated[str | None, typer.Argument(help="One group [default: every group]")] = None,
    as_json: JsonOption = False,
) -> None:
    """Dead letters per group, by error class and message pattern: open, redriven, discarded."""
    context = operator()
    rows = []
    with context.reader() as reader:
        states = dl.read_states(reader, context.operate.dead_letter_state_topic)
        for consumer in context.groups(group):
            for item in dl.summarize(dl.dead_letters(reader, consumer), states):
                rows.append((consumer.name, item))
    if as_json:
        print_json(
            [
                {
                    "group": name,
                    "topic": g.topic,
                    "error_class": g.error_class,
                    "pattern": g.pattern,
                    "open": g.open,
                    "redriven": g.redriven,
                    "discarded": g.discarded,
                    "oldest": timestamp(min(g.times)),
                    "newest": timestamp(max(g.times)),
                }
                for name, g in rows
            ]
        )
        return
    table(
        "dead letters",
        [
            "group",
            "dead-letter topic",
            "error class",
            "message",
            "open",
            "redriven",
            "discarded",
            "oldest",
            "newest",
        ],
        [
            (
                name,
                g.error_class,
                g.pattern,
                g.open,
                g.redriven,
                g.discarded,
                timestamp(min(g.times)),
                timestamp(max(g.times)),
            )
            for name, g in rows
        ],
    )


@app.command()
def show(
    group: GroupArgument,
    *,
    error_class: ErrorClassOption = None,
    key: KeyOption = None,
    since: SinceOption = None,
    as_json: JsonOption = False,
    show_personal_data: PersonalOption = False,
) -> None:
    """Each selected dead letter decoded, with its retailsync.* headers and origin."""
    context = operator()
    chosen_by = selection(error_class, key, since)
    lister = Lister(context.serde, context.personal, show_personal=show_personal_data)
    with context.reader() as reader:
        states = dl.read_states(reader, context.operate.dead_letter_state_topic)
        records = [r for r in dl.dead_letters(reader, context.group(group)) if chosen_by.keeps(r)]
    documents = []
    for record in records:
        entry = lister.entry(record)
        state = states.get(dl.where(record))
        if as_json:
            documents.append({**entry.document(), "state": state})
            continue
        typer.echo(entry.line())
        for name, value in record.headers:
            if name.startswith("retailsync.") and value is not None:
                typer.echo(f"    {name}: {value.decode(errors='replace')}")
        if state is not None:
            typer.echo(f"    state: {state['state']} (audit {state['audit']})")
    if as_json:
        print_json(documents)


@app.command()
def redrive(
    group: GroupArgument,
    *,
    error_class: ErrorClassOption = None,
    key: KeyOption = None,
    since: SinceOption = None,
    rate: Annotated[
        str | None, typer.Option(help="At most this many per second, e.g. 50/s")
    ] = None,
    limit: Annotated[int | None, typer.Option(help="At most this many dead letters")] = None,
    again: Annotated[bool, typer.Option(help="Also those already redriven or discarded")] = False,
    execute: ExecuteOption = False,
    actor: ActorOption = None,
) -> None:
    """Re-deliver selected dead letters to this group only: its first retry topic, due now."""
    context = operator()
    consumer = context.group(group)
    chosen_by = selection(error_class, key, since)
    per_second = _rate(rate)
    if not execute:
        chosen = _redrivable(_chosen(context, consumer, chosen_by, again=again, limit=limit))
        _plan("redrive", chosen)
        return
    audit = AuditRecord.new("dlt redrive", argv(), _selected(group, chosen_by, limit), actor)
    # The writer first: starting it fences any other operator's redrive of this group, so
    # the states read next include everything the other one committed.
    with ChangeWriter(context.settings, group, context.operate.audit_topic) as writer:
        chosen = _redrivable(_chosen(context, consumer, chosen_by, again=again, limit=limit))
        if not chosen:
            typer.echo("Nothing to redrive.")
            return
        done = dl.redrive(writer, consumer, chosen, context.operate.dead_letter_state_topic,
                          audit, rate_per_s=per_second)  # fmt: skip
    typer.echo(f"Redrove {len(chosen)} dead letters of {group}; audit record {done.id}")


@app.command()
def discard(
    group: GroupArgument,
    *,
    reason: Annotated[str, typer.Option(help="Why they need no redrive (audited)")],
    error_class: ErrorClassOption = None,
    key: KeyOption = None,
    since: SinceOption = None,
    limit: Annotated[int | None, typer.Option(help="At most this many dead letters")] = None,
    execute: ExecuteOption = False,
    actor: ActorOption = None,
) -> None:
    """Mark selected dead letters resolved by hand: they stay in the topic, off the counts."""
    context = operator()
    consumer = context.group(group)
    chosen_by = selection(error_class, key, since)
    if not execute:
        _plan("discard", _chosen(context, consumer, chosen_by, again=False, limit=limit))
        return
    audit = AuditRecord.new(
        "dlt discard", argv(), {**_selected(group, chosen_by, limit), "reason": reason}, actor
    )
    with ChangeWriter(context.settings, group, context.operate.audit_topic) as writer:
        chosen = _chosen(context, consumer, chosen_by, again=False, limit=limit)
        if not chosen:
            typer.echo("Nothing to discard.")
            return
        done = dl.discard(writer, chosen, context.operate.dead_letter_state_topic, audit, reason)
    typer.echo(f"Discarded {len(chosen)} dead letters of {group}; audit record {done.id}")


def _chosen(
    context: Operator,
    consumer: ConsumerGroup,
    selection: dl.Selection,
    *,
    again: bool,
    limit: int | None,
) -> list[ConsumedRecord]:
    with context.reader() as reader:
        states = dl.read_states(reader, context.operate.dead_letter_state_topic)
        records = list(dl.dead_letters(reader, consumer))
    return dl.selected(records, states, selection, again=again, limit=limit)


def _redrivable(chosen: list[ConsumedRecord]) -> list[ConsumedRecord]:
    """The dead letters a redrive can copy; says how to handle those without a value."""
    redrivable = []
    for record in chosen:
        if (hint := dl.without_value(record)) is not None:
            typer.echo(f"Not redriven: {hint}")
        else:
            redrivable.append(record)
    return redrivable


def _plan(action: str, chosen: list[ConsumedRecord]) -> None:
    for record in chosen:
        typer.echo(f"{action} {dl.where(record)}  key {record.text_key or '-'}  "
                   f"{dl.error_class(record) or '-'}")  # fmt: skip
    typer.echo(f"{len(chosen)} dead letters. Plan only: nothing changed; add --execute.")


def _selected(group: str, selection: dl.Selection, limit: int | None) -> dict[str, object]:
    return {
        "group": group,
        "error_class": selection.error_class,
        "key": selection.key,
        "since_ms": selection.since_ms,
        "limit": limit,
    }


def _rate(rate: str | None) -> int | None:
    if rate is None:
        return None
    number = rate.removesuffix("/s")
    if not number.isdigit() or int(number) < 1:
        raise typer.BadParameter(f"{rate!r} is not a rate such as 50/s", param_hint="--rate")
    return int(number)
