"""``retailsync held``: list, show, approve and reject the records a group's publishing rules
hold (governed publishing)."""

from __future__ import annotations

from typing import Annotated

import typer

from commands.dlt import GroupArgument, KeyOption, SinceOption, selection, timestamp
from commands.operating import (
    ExecuteOption,
    JsonOption,
    Operator,
    PersonalOption,
    argv,
    operator,
    print_json,
    table,
)
from retailsync.headers import ERROR_MESSAGE, text_header
from retailsync.operate import dead_letters as dl
from retailsync.operate import held as hd
from retailsync.operate.audit import AuditRecord
from retailsync.operate.listing import Lister
from retailsync.operate.writer import ChangeWriter
from retailsync.topology import ConsumerGroup

app = typer.Typer(help="Inspect, approve and reject held records, per consumer group.")

RuleOption = Annotated[str | None, typer.Option(help="Only records held by this rule")]
ReasonOption = Annotated[str, typer.Option(help="Why (audited)")]


@app.command("list")
def list_(
    group: Annotated[str | None, typer.Argument(help="One group [default: every group]")] = None,
    as_json: JsonOption = False,
) -> None:
    """Held records per group and rule: held, awaiting a further approver, approved, rejected,
    and the records waiting behind them."""
    context = operator()
    rows: list[tuple[str, str, str, dict[str, int], list[int]]] = []
    with context.reader() as reader:
        states = dl.read_states(reader, context.operate.dead_letter_state_topic)
        for consumer in context.groups(group):
            if consumer.publishing is None:
                continue
            by_rule: dict[tuple[str, str], tuple[dict[str, int], list[int]]] = {}
            for held in hd.holds(hd.held_records(reader, consumer), states):
                counts, times = by_rule.setdefault((held.record.topic, held.rule), ({}, []))
                counts[held.status] = counts.get(held.status, 0) + 1
                counts["waiting"] = counts.get("waiting", 0) + len(held.waiting)
                times.append(held.record.timestamp_ms)
            rows += [(consumer.name, t, r, c, ts) for (t, r), (c, ts) in by_rule.items()]
    statuses = ("held", hd.APPROVING, "approved", "rejected", "waiting")
    if as_json:
        print_json(
            [
                {"group": name, "topic": topic, "rule": rule,
                 **{status: counts.get(status, 0) for status in statuses},
                 "oldest": timestamp(min(times)), "newest": timestamp(max(times))}
                for name, topic, rule, counts, times in rows
            ]
        )  # fmt: skip
        return
    table(
        "held records",
        ["group", "held topic", "rule", *statuses, "oldest", "newest"],
        [
            (name, topic, rule or "-", *(counts.get(s, 0) for s in statuses),
             timestamp(min(times)), timestamp(max(times)))
            for name, topic, rule, counts, times in rows
        ],
    )  # fmt: skip


@app.command()
def show(
    group: GroupArgument,
    *,
    rule: RuleOption = None,
    key: KeyOption = None,
    since: SinceOption = None,
    as_json: JsonOption = False,
    show_personal_data: PersonalOption = False,
) -> None:
    """Each held record decoded, with the rule it broke, its approvals and what waits behind."""
    context = operator()
    lister = Lister(context.serde, context.personal, show_personal=show_personal_data)
    found = _holds(context, context.group(group), rule, key, since, resolved=True)
    documents = []
    for held in found:
        entry = lister.entry(held.record)
        waiting = [dl.where(record) for record in held.waiting]
        if as_json:
            documents.append({**entry.document(), "rule": held.rule, "status": held.status,
                              "approvers": held.approvers, "waiting": waiting})  # fmt: skip
            continue
        typer.echo(entry.line())
        typer.echo(f"    rule: {held.rule or '-'}  status: {held.status}  "
                   f"approved by: {', '.join(held.approvers) or '-'}")  # fmt: skip
        typer.echo(f"    error: {_message(held)}")
        for where in waiting:
            typer.echo(f"    waiting behind it: {where}")
    if as_json:
        print_json(documents)


@app.command()
def approve(
    group: GroupArgument,
    *,
    reason: ReasonOption,
    rule: RuleOption = None,
    key: KeyOption = None,
    since: SinceOption = None,
    execute: ExecuteOption = False,
) -> None:
    """Approve selected held records as the OS user; a record is released, with those waiting
    behind it, once as many different people as its rule asks have approved it."""
    context = operator()
    consumer = context.group(group)
    audit = AuditRecord.new(
        "held approve", argv(), _selection_document(group, rule, key, since, reason), None
    )
    if not execute:
        _plan("approve", _approvable(_holds(context, consumer, rule, key, since), audit.actor))
        return
    with ChangeWriter(context.settings, group, context.operate.audit_topic) as writer:
        chosen = _approvable(_holds(context, consumer, rule, key, since), audit.actor)
        if not chosen:
            typer.echo("Nothing to approve.")
            return
        done, released = hd.approve(
            writer, consumer, chosen, context.operate.dead_letter_state_topic, audit
        )
    typer.echo(f"Approved {len(chosen)} held records of {group} ({len(released)} released, "
               f"{len(chosen) - len(released)} awaiting another approver); "
               f"audit record {done.id}")  # fmt: skip


@app.command()
def reject(
    group: GroupArgument,
    *,
    reason: ReasonOption,
    rule: RuleOption = None,
    key: KeyOption = None,
    since: SinceOption = None,
    execute: ExecuteOption = False,
) -> None:
    """Reject selected held records: never applied; the records waiting behind each go on."""
    context = operator()
    consumer = context.group(group)
    audit = AuditRecord.new(
        "held reject", argv(), _selection_document(group, rule, key, since, reason), None
    )
    if not execute:
        _plan("reject", _holds(context, consumer, rule, key, since))
        return
    with ChangeWriter(context.settings, group, context.operate.audit_topic) as writer:
        chosen = _holds(context, consumer, rule, key, since)
        if not chosen:
            typer.echo("Nothing to reject.")
            return
        done = hd.reject(writer, consumer, chosen, context.operate.dead_letter_state_topic,
                         audit, reason=reason)  # fmt: skip
    typer.echo(f"Rejected {len(chosen)} held records of {group}; audit record {done.id}")


def _holds(
    context: Operator,
    consumer: ConsumerGroup,
    rule: str | None,
    key: str | None,
    since: str | None,
    *,
    resolved: bool = False,
) -> list[hd.Held]:
    chosen_by = selection(None, key, since)
    with context.reader() as reader:
        states = dl.read_states(reader, context.operate.dead_letter_state_topic)
        found = hd.holds(hd.held_records(reader, consumer), states)
    return hd.selected(found, chosen_by, rule, resolved=resolved)


def _approvable(chosen: list[hd.Held], actor: str) -> list[hd.Held]:
    """The holds ``actor`` may approve: not those they approved already (approvers differ)."""
    kept = []
    for held in chosen:
        if actor in held.approvers:
            typer.echo(f"Not approved: {dl.where(held.record)} already has {actor}'s approval; "
                       "its rule needs another person's")  # fmt: skip
        else:
            kept.append(held)
    return kept


def _plan(action: str, chosen: list[hd.Held]) -> None:
    for held in chosen:
        typer.echo(f"{action} {dl.where(held.record)}  key {held.record.text_key or '-'}  "
                   f"rule {held.rule or '-'}  {len(held.waiting)} waiting behind")  # fmt: skip
    typer.echo(f"{len(chosen)} held records. Plan only: nothing changed; add --execute.")


def _message(held: hd.Held) -> str | None:
    return text_header(held.record.headers, ERROR_MESSAGE)


def _selection_document(
    group: str, rule: str | None, key: str | None, since: str | None, reason: str
) -> dict[str, object]:
    return {"group": group, "rule": rule, "key": key, "since": since, "reason": reason}
