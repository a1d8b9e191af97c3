"""``retailsync replay GROUP``: move a consumer group's offsets as kafka-consumer-groups
--reset-offsets does, planned first, refused while the group runs, audited."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

from commands.operating import (
    ActorOption,
    ExecuteOption,
    JsonOption,
    Operator,
    argv,
    operator,
    print_json,
    table,
)
from retailsync.operate.audit import AuditRecord
from retailsync.operate.key_replay import KeySelection, execute_key_replay, plan_key_replay
from retailsync.operate.offsets import Target, read_plan_file
from retailsync.operate.positions import PartitionId, position
from retailsync.operate.reader import TopicReader
from retailsync.operate.replay import (
    ReplayPlan,
    RetryChoice,
    busy_message,
    execute_replay,
    make_replay_plan,
    wait_for_no_members,
)
from retailsync.operate.times import duration_ms, instant_ms
from retailsync.operate.writer import ChangeWriter
from retailsync.topology import ConsumerGroup

TopicOption = Annotated[
    list[str] | None,
    typer.Option("--topic", help="T or T:0,3 (partitions); repeatable [default: all it reads]"),
]


def replay(
    group: Annotated[str, typer.Argument(help="The consumer group")],
    *,
    topic: TopicOption = None,
    to_earliest: Annotated[bool, typer.Option("--to-earliest")] = False,
    to_latest: Annotated[bool, typer.Option("--to-latest")] = False,
    to_offset: Annotated[int | None, typer.Option("--to-offset")] = None,
    shift_by: Annotated[int | None, typer.Option("--shift-by")] = None,
    to_datetime: Annotated[
        str | None, typer.Option("--to-datetime", help="ISO 8601 with a zone")
    ] = None,
    by_duration: Annotated[
        str | None, typer.Option("--by-duration", help="PT30M or 30m back from now")
    ] = None,
    from_file: Annotated[
        Path | None, typer.Option("--from-file", help="Kafka's CSV: topic,partition,offset")
    ] = None,
    key: Annotated[
        str | None, typer.Option(help="Copy this key's records to the group's retry path")
    ] = None,
    since: Annotated[
        str | None, typer.Option(help="With --key or alone: records since (ISO 8601 or 2h)")
    ] = None,
    until: Annotated[str | None, typer.Option(help="Records before (ISO 8601 or 30m)")] = None,
    event_type: Annotated[str | None, typer.Option(help="Only this event type")] = None,
    with_retries: Annotated[
        RetryChoice | None,
        typer.Option(help="What becomes of records parked in the group's retry topics"),
    ] = None,
    wait: Annotated[
        float | None, typer.Option(help="Wait up to this many seconds for members to leave")
    ] = None,
    execute: ExecuteOption = False,
    actor: ActorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Plan (and with --execute apply) new offsets for GROUP, with exactly one target; or,
    with --key/--since/--until/--event-type, copy those records to GROUP's retry path."""
    context = operator()
    consumer = context.group(group)
    now = int(time.time() * 1000)
    if key is not None or since is not None or until is not None or event_type is not None:
        selection = _key_selection(key, since, until, event_type, now)
        scopes = [t.partition(":")[0] for t in topic] if topic else list(consumer.subscriptions)
        _replay_records(context, consumer, scopes, selection, execute=execute, actor=actor,
                        as_json=as_json)  # fmt: skip
        return
    try:
        chosen = [
            Target("earliest") if to_earliest else None,
            Target("latest") if to_latest else None,
            Target("offset", to_offset) if to_offset is not None else None,
            Target("shift", shift_by) if shift_by is not None else None,
            Target("time", instant_ms(to_datetime, now)) if to_datetime else None,
            Target("time", now - duration_ms(by_duration)) if by_duration else None,
            _file_target(from_file, group) if from_file else None,
        ]
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    targets = [t for t in chosen if t is not None]
    if len(targets) != 1:
        raise typer.BadParameter(
            "give exactly one of --to-earliest, --to-latest, --to-offset, --shift-by, "
            "--to-datetime, --by-duration, --from-file"
        )
    target = targets[0]
    with context.reader() as reader:
        partitions = _partitions(reader, topic or list(consumer.reads))
        plan = make_replay_plan(reader, context.admin, consumer, partitions, target)
    if execute and plan.members and wait:
        names = ", ".join(str(member) for member in plan.members)
        typer.echo(f"Waiting up to {wait:g}s for {group}'s members to leave ({names})", err=True)
        plan.members = wait_for_no_members(context.admin, group, wait)
    _show(plan, as_json)
    if not execute:
        if not as_json:
            typer.echo("Plan only: nothing changed. Add --execute to apply it.")
        if plan.members:
            typer.echo(busy_message(group, plan.members), err=True)
        return
    audit = AuditRecord.new(
        "replay", argv(), {"group": group, "partitions": [str(p) for p in partitions]}, actor
    )
    with ChangeWriter(context.settings, group, context.operate.audit_topic) as writer:
        done = execute_replay(plan, context.admin, writer, audit, with_retries)
    typer.echo(f"Moved {group}; audit record {done.id}", err=as_json)


def _key_selection(
    key: str | None, since: str | None, until: str | None, event_type: str | None, now: int
) -> KeySelection:
    try:
        return KeySelection(
            key=key,
            since_ms=instant_ms(since, now) if since else None,
            until_ms=instant_ms(until, now) if until else None,
            event_type=event_type,
        )
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


def _replay_records(
    context: Operator,
    consumer: ConsumerGroup,
    topics: list[str],
    selection: KeySelection,
    *,
    execute: bool,
    actor: str | None,
    as_json: bool,
) -> None:
    with context.reader() as reader:
        plan = plan_key_replay(reader, consumer, topics, selection)
    if as_json:
        print_json(
            {
                "group": consumer.name,
                "records": [
                    {"position": position(r.topic, r.partition, r.offset), "key": r.text_key}
                    for r in plan.records
                ],
                "per_event_type": dict(plan.per_event_type),
            }
        )
    else:
        for r in plan.records:
            typer.echo(f"copy {position(r.topic, r.partition, r.offset)}  key {r.text_key}")
        listed = ", ".join(f"{n:,} {kind}" for kind, n in plan.per_event_type.most_common())
        typer.echo(f"This replays {listed or 'nothing'} to {consumer.name} only.")
    if not execute or not plan.records:
        if not as_json:
            typer.echo("Plan only: nothing changed. Add --execute to apply it.")
        return
    audit = AuditRecord.new(
        "replay key",
        argv(),
        {"group": consumer.name, "topics": topics, **asdict(selection)},
        actor,
    )
    with ChangeWriter(context.settings, consumer.name, context.operate.audit_topic) as writer:
        done = execute_key_replay(plan, writer, audit, int(time.time() * 1000))
    typer.echo(f"Copied {len(plan.records)} records to {consumer.name}; audit record {done.id}",
               err=as_json)  # fmt: skip


def _file_target(path: Path, group: str) -> Target:
    return Target("file", offsets=read_plan_file(path.read_text(encoding="utf-8"), group))


def _partitions(reader: TopicReader, scopes: list[str]) -> list[PartitionId]:
    partitions = []
    for scope in scopes:
        name, _, numbers = scope.partition(":")
        every = reader.partitions(name)
        if numbers:
            wanted = {int(n) for n in numbers.split(",")}
            every = [p for p in every if p.partition in wanted]
        partitions += every
    return partitions


def _show(plan: ReplayPlan, as_json: bool) -> None:
    parked_keys = Counter(r.text_key or "-" for r in plan.parked.records)
    if as_json:
        print_json(
            {
                "group": plan.group.name,
                "moves": [
                    {
                        "partition": str(m.partition),
                        "current": m.current,
                        "target": m.target,
                        "log_start": m.log_start,
                        "log_end": m.log_end,
                    }
                    for m in plan.moves
                ],
                "redelivered": dict(plan.redelivered),
                "skipped": dict(plan.skipped),
                "counts_capped": plan.capped,
                "parked": {"by_key": dict(parked_keys), "oldest_due_ms": plan.parked.oldest_due_ms},
                "members": [str(m) for m in plan.members],
            }
        )
        return
    table(
        f"replay plan for {plan.group.name}",
        ["partition", "current", "new offset", "log start", "log end"],
        [(m.partition, m.current, m.target, m.log_start, m.log_end) for m in plan.moves],
    )
    more = "at least " if plan.capped else ""
    for verb, counts in (("re-delivers", plan.redelivered), ("skips", plan.skipped)):
        if counts:
            listed = ", ".join(f"{n:,} {kind}" for kind, n in counts.most_common())
            typer.echo(f"This {verb} {more}{listed}.")
    if parked_keys:
        typer.echo(
            f"{len(plan.parked.records)} records wait in the retry topics "
            f"({len(parked_keys)} keys, oldest due {plan.parked.oldest_due_ms}); "
            "--with-retries drop|keep decides."
        )
