"""``retailsync tail TOPIC``: kcat for our events, retry and dead-letter topics included."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Annotated

import typer

from commands.operating import JsonOption, PersonalOption, operator, print_json
from retailsync.consumer.record import ConsumedRecord
from retailsync.operate.listing import Filter, Lister, parse_where
from retailsync.operate.positions import PartitionId
from retailsync.operate.reader import TopicReader
from retailsync.operate.times import instant_ms


def tail(
    topic: Annotated[str, typer.Argument(help="Any topic: events, retry or dead letters")],
    *,
    start: Annotated[
        str,
        typer.Option("--from", help="earliest, latest, an offset, an ISO 8601 time, or -30m (ago)"),
    ] = "earliest",
    partition: Annotated[list[int] | None, typer.Option(help="Only these partitions")] = None,
    key: Annotated[str | None, typer.Option(help="Only records with this key")] = None,
    event_type: Annotated[str | None, typer.Option(help="Only this event type")] = None,
    where: Annotated[
        list[str] | None, typer.Option(help="field=value on decoded fields (dotted paths)")
    ] = None,
    follow: Annotated[bool, typer.Option(help="Keep waiting for new records")] = False,
    limit: Annotated[int | None, typer.Option(help="Stop after this many records")] = None,
    as_json: JsonOption = False,
    show_personal_data: PersonalOption = False,
) -> None:
    """List records one per line (time, topic[partition] offset, key, type, summary)."""
    context = operator()
    try:
        conditions = parse_where(where or [])
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--where") from None
    selection = Filter(key=key, event_type=event_type, where=conditions)
    lister = Lister(context.serde, context.personal, show_personal=show_personal_data)
    documents = []
    with context.reader() as reader:
        partitions = [
            p for p in reader.partitions(topic) if not partition or p.partition in partition
        ]
        starts = {p: _start(reader, p, start) for p in partitions}
        shown = 0
        for record in _records(reader, starts, follow):
            if not selection.keeps_raw(record):
                continue
            entry = lister.entry(record)
            if not selection.keeps(entry.datum):
                continue
            if as_json:
                documents.append(entry.document())
            else:
                typer.echo(entry.line())
            shown += 1
            if limit is not None and shown >= limit:
                break
    if as_json:
        print_json(documents)


def _records(
    reader: TopicReader, starts: dict[PartitionId, int], follow: bool
) -> Iterator[ConsumedRecord]:
    if follow:
        return reader.follow(starts)
    return reader.read({p: (start, reader.watermarks(p)[1]) for p, start in starts.items()})


def _start(reader: TopicReader, partition: PartitionId, start: str) -> int:
    low, high = reader.watermarks(partition)
    if start == "earliest":
        return low
    if start == "latest":
        return high
    if start.isdigit():
        return min(max(int(start), low), high)
    try:
        at = instant_ms(start, int(time.time() * 1000))
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--from") from None
    found = reader.offset_at(partition, at)
    return high if found is None else found
