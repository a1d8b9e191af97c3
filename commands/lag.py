"""``retailsync lag``: how far behind each consumer group is, in records and in seconds."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Annotated

import typer

from commands.operating import JsonOption, Operator, operator, print_json, table
from retailsync.operate.lag import TopicLag, group_lag, now_ms


def lag(
    group: Annotated[str | None, typer.Argument(help="One group [default: every group]")] = None,
    watch: Annotated[
        float | None, typer.Option(help="Refresh every this many seconds until Ctrl-C")
    ] = None,
    max_age: Annotated[
        float | None,
        typer.Option(help="Exit 1 when the oldest unprocessed record is older (seconds)"),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Per group and topic: records behind (transaction markers not counted), age of the
    oldest unprocessed record, records parked in retry topics, dead letters."""
    context = operator()
    while True:
        lags = _measure(context, group)
        now = now_ms()
        if as_json:
            print_json([_document(item, now) for item in lags])
        else:
            _print(lags, now)
        too_old = [
            item for item in lags if max_age is not None and (item.oldest_age_s(now) or 0) > max_age
        ]
        if watch is None:
            break
        time.sleep(watch)  # the refresh period the operator asked for
    for item in too_old:
        typer.echo(
            f"{item.group} on {item.topic} is {item.oldest_age_s(now):.0f}s behind "
            f"(--max-age {max_age:.0f})",
            err=True,
        )
    if too_old:
        raise typer.Exit(1)


def _measure(context: Operator, group: str | None) -> list[TopicLag]:
    with context.reader() as reader:
        return [
            item
            for consumer in context.groups(group)
            for item in group_lag(reader, context.admin, consumer)
        ]


def _time(millis: int | None) -> str | None:
    if millis is None:
        return None
    return datetime.fromtimestamp(millis / 1000, UTC).isoformat(timespec="seconds")


def _print(lags: list[TopicLag], now: int) -> None:
    rows = []
    for item in lags:
        age = item.oldest_age_s(now)
        rows.append(
            (
                item.group,
                item.topic,
                item.lag,
                None if age is None else f"{age:.0f}",
                len(item.parked.records),
                _time(item.parked.oldest_due_ms),
                item.dead_letters,
            )
        )
    table(
        "consumer lag",
        ["group", "topic", "lag", "oldest age (s)", "in retry", "next due", "dead letters"],
        rows,
    )


def _document(item: TopicLag, now: int) -> dict[str, object]:
    return {
        "group": item.group,
        "topic": item.topic,
        "lag": item.lag,
        "oldest_age_s": item.oldest_age_s(now),
        "in_retry": len(item.parked.records),
        "oldest_due": _time(item.parked.oldest_due_ms),
        "dead_letters": item.dead_letters,
        "partitions": [
            {
                "partition": str(p.partition),
                "committed": p.committed,
                "lag": p.lag,
            }
            for p in item.partitions
        ],
    }
