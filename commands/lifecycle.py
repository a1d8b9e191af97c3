"""The order-lifecycle projection as operators read it: an order's timeline with the
commands to look further, and the late orders; shared by ``retailsync orders``,
``retailsync status`` and the status page."""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from datetime import UTC, datetime

from consumers.order_lifecycle.checkpoints import CHECKPOINTS
from consumers.order_lifecycle.settings import LifecycleSettings
from consumers.order_lifecycle.store import Entry, Late, LifecycleStore, Order


def open_store() -> LifecycleStore:
    """The projection, read-only; an OSError saying why when it cannot be opened: a
    FileNotFoundError when order-lifecycle never ran, a ConnectionError when its PostgreSQL
    server does not answer."""
    return LifecycleStore.read_only(LifecycleSettings.load().store_at)


def when(millis: int | None) -> str:
    if millis is None:
        return ""
    return datetime.fromtimestamp(millis / 1000, UTC).isoformat(timespec="seconds")


@dataclass(frozen=True, slots=True)
class Line:
    """One line of a timeline, in words, with the command that shows its record."""

    at: str
    what: str
    checkpoint: str
    position: str
    command: str


def describe(entry: Entry) -> str:
    if entry.group is None:
        return entry.event_type
    if entry.kind == "dead_letter":
        return f"{entry.event_type} dead-lettered by {entry.group}: {entry.error_class}"
    return (
        f"{entry.event_type} retried by {entry.group} (attempt {entry.attempt}): "
        f"{entry.error_class}"
    )


def lines(entries: list[Entry]) -> list[Line]:
    return [
        Line(
            when(entry.at_ms),
            describe(entry),
            entry.checkpoint or "",
            str(entry.position),
            _tail(entry.position.topic, entry.position.partition, entry.position.offset),
        )
        for entry in entries
    ]


def follow_ups(order_ref: str, entries: list[Entry]) -> list[str]:
    """Commands to copy for the whole order: its records, and what to do with its failures
    (each plans only; nothing changes without --execute)."""
    ref = shlex.quote(order_ref)
    topics = sorted({e.position.topic for e in entries if e.group is None})
    commands = [f"retailsync tail {topic} --key {ref}" for topic in topics]
    dead = sorted({e.group for e in entries if e.kind == "dead_letter" and e.group})
    for group in dead:
        commands += [
            f"retailsync dlt show {group} --key {ref}",
            f"retailsync dlt redrive {group} --key {ref}",
        ]
    failed = sorted({e.group for e in entries if e.group and e.group not in dead})
    commands += [f"retailsync lag {group}" for group in failed]
    return commands


def checkpoints(order: Order) -> list[tuple[str, str]]:
    return [(c, when(order.reached_ms.get(c))) for c in CHECKPOINTS]


def late_rows(late: list[Late]) -> list[tuple[str, str, str, str, str, str]]:
    """(order, channel, checkpoint, SLO, due, reached or 'open')."""
    return [
        (item.order_ref, item.channel, item.slo.checkpoint, str(item.slo), when(item.due_ms),
         when(item.reached_ms) or "open")
        for item in late
    ]  # fmt: skip


def _tail(topic: str, partition: int, offset: int) -> str:
    return f"retailsync tail {topic} --partition {partition} --from {offset} --limit 1"
