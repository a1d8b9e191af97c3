"""The projection's SQLite store: each order's checkpoints, every event of it, and what the
other groups failed to apply.

Folding is idempotent and order-free: an event is stored once per event id, a failure once
per position of its retry or dead-letter record, and a checkpoint keeps the earliest time
it was reached. So a re-delivered record changes nothing, and a rebuild from the topics
gives the same tables as the live fold, however the topics' partitions interleave.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from consumers.order_lifecycle.checkpoints import CHECKPOINTS, REACHED_BY, Slo

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS orders (
    order_ref TEXT PRIMARY KEY,
    channel TEXT NOT NULL,
    {", ".join(f"{checkpoint}_ms INTEGER" for checkpoint in CHECKPOINTS)}
);
CREATE TABLE IF NOT EXISTS events (
    event_id TEXT PRIMARY KEY,
    order_ref TEXT NOT NULL,
    event_type TEXT NOT NULL,
    occurred_ms INTEGER NOT NULL,
    topic TEXT NOT NULL,
    at_partition INTEGER NOT NULL,
    at_offset INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS events_of_order ON events (order_ref, occurred_ms);
CREATE INDEX IF NOT EXISTS events_by_time ON events (occurred_ms);
CREATE TABLE IF NOT EXISTS failures (
    topic TEXT NOT NULL,
    at_partition INTEGER NOT NULL,
    at_offset INTEGER NOT NULL,
    order_ref TEXT NOT NULL,
    event_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    consumer_group TEXT NOT NULL,
    kind TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    error_class TEXT NOT NULL,
    first_failure_ms INTEGER NOT NULL,
    source_topic TEXT NOT NULL,
    source_offset INTEGER NOT NULL,
    PRIMARY KEY (topic, at_partition, at_offset)
);
CREATE INDEX IF NOT EXISTS failures_of_order ON failures (order_ref);
"""

# Statements naming checkpoint columns, built once from CHECKPOINTS (never from input).
_COLUMNS = ", ".join(f"{c}_ms" for c in CHECKPOINTS)
_ORDER = f"SELECT channel, {_COLUMNS} FROM orders WHERE order_ref = ?"  # noqa: S608
_REACH = {
    c: f"UPDATE orders SET {c}_ms = MIN(COALESCE({c}_ms, ?), ?) WHERE order_ref = ?"  # noqa: S608
    for c in CHECKPOINTS
}
_LATE = {
    (c, after): (
        f"SELECT order_ref, channel, {after}_ms + ?, {c}_ms FROM orders"  # noqa: S608
        f" WHERE {after}_ms IS NOT NULL AND cancelled_ms IS NULL"
        f" AND COALESCE({c}_ms, ?) > {after}_ms + ? AND (? IS NULL OR order_ref = ?)"
        f" ORDER BY {after}_ms, order_ref"
    )
    for c in CHECKPOINTS
    for after in CHECKPOINTS
    if after != c
}
_REACHED_COUNTS = f"SELECT {', '.join(f'COUNT({c}_ms)' for c in CHECKPOINTS)} FROM orders"  # noqa: S608
_EVERY_ROW = {table: f"SELECT * FROM {table}" for table in ("orders", "events", "failures")}  # noqa: S608


@dataclass(frozen=True, slots=True)
class Position:
    """Where a record is: ``topic[partition] offset``."""

    topic: str
    partition: int
    offset: int

    def __str__(self) -> str:
        return f"{self.topic}[{self.partition}] {self.offset}"


@dataclass(frozen=True, slots=True)
class Seen:
    """One event of an order, as the projection folds it."""

    event_id: str
    event_type: str
    order_ref: str
    channel: str
    occurred_ms: int
    at: Position


@dataclass(frozen=True, slots=True)
class Failure:
    """An event another group's handler failed on: a retry or a dead letter of it."""

    event: Seen
    group: str
    kind: str  # "retry" or "dead_letter"
    attempt: int
    error_class: str
    first_failure_ms: int
    at: Position  # the retry or dead-letter record


@dataclass(frozen=True, slots=True)
class Order:
    order_ref: str
    channel: str
    reached_ms: dict[str, int]  # checkpoint -> when first reached


@dataclass(frozen=True, slots=True)
class Entry:
    """A line of an order's timeline: an event, or a failure to apply one."""

    at_ms: int
    event_type: str
    event_id: str
    position: Position
    checkpoint: str | None = None
    group: str | None = None  # set for a failure
    kind: str | None = None
    attempt: int | None = None
    error_class: str | None = None


@dataclass(frozen=True, slots=True)
class Late:
    order_ref: str
    channel: str
    slo: Slo
    due_ms: int
    reached_ms: int | None  # None: still open


class LifecycleStore:
    """The projection in one SQLite file: ``connect`` to fold, ``read_only`` to query;
    close it, or use it as a context manager."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._db = connection

    @classmethod
    def connect(cls, path: Path) -> LifecycleStore:
        """The store at ``path``, created if missing, for folding and reading."""
        path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(path, check_same_thread=False)
        # WAL: readers (the status page, `orders show`) never block the fold.
        db.execute("PRAGMA journal_mode=WAL")
        db.executescript(_SCHEMA)
        return cls(db)

    @classmethod
    def read_only(cls, path: Path) -> LifecycleStore:
        """The store at ``path`` for reading; FileNotFoundError when there is none yet."""
        if not path.exists():
            raise FileNotFoundError(f"no projection at {path}: is order-lifecycle running?")
        return cls(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True))

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> LifecycleStore:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # --- folding ---------------------------------------------------------------------------

    def fold(self, events: Iterable[Seen], failures: Iterable[Failure]) -> None:
        """Fold a batch in one transaction: all of it is stored, or none."""
        with self._db:
            for event in events:
                self._fold_event(event)
            for failure in failures:
                self._fold_event(failure.event)
                self._db.execute(
                    "INSERT OR IGNORE INTO failures VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (
                        failure.at.topic, failure.at.partition, failure.at.offset,
                        failure.event.order_ref, failure.event.event_id,
                        failure.event.event_type, failure.group, failure.kind, failure.attempt,
                        failure.error_class, failure.first_failure_ms,
                        failure.event.at.topic, failure.event.at.offset,
                    ),
                )  # fmt: skip

    def _fold_event(self, event: Seen) -> None:
        stored = self._db.execute(
            "INSERT OR IGNORE INTO events VALUES (?,?,?,?,?,?,?)",
            (
                event.event_id, event.order_ref, event.event_type, event.occurred_ms,
                event.at.topic, event.at.partition, event.at.offset,
            ),
        )  # fmt: skip
        if stored.rowcount == 0:
            return  # seen before: a re-delivery changes nothing
        # The channel the order was placed on wins over any other event's.
        self._db.execute(
            "INSERT INTO orders (order_ref, channel) VALUES (?, ?) ON CONFLICT DO UPDATE"
            " SET channel = CASE WHEN ? THEN excluded.channel ELSE channel END",
            (event.order_ref, event.channel, event.event_type == "order_created"),
        )
        checkpoint = REACHED_BY.get(event.event_type)
        if checkpoint is not None:
            self._db.execute(
                _REACH[checkpoint], (event.occurred_ms, event.occurred_ms, event.order_ref)
            )

    # --- reading ---------------------------------------------------------------------------

    def order(self, order_ref: str) -> Order | None:
        row = self._db.execute(_ORDER, (order_ref,)).fetchone()
        if row is None:
            return None
        reached = {c: at for c, at in zip(CHECKPOINTS, row[1:], strict=True) if at is not None}
        return Order(order_ref, row[0], reached)

    def timeline(self, order_ref: str) -> list[Entry]:
        """Every event of the order and every failure to apply one, oldest first."""
        entries = [
            Entry(at, event_type, event_id, Position(topic, partition, offset),
                  checkpoint=REACHED_BY.get(event_type))
            for event_id, event_type, at, topic, partition, offset in self._db.execute(
                "SELECT event_id, event_type, occurred_ms, topic, at_partition, at_offset"
                " FROM events WHERE order_ref = ?",
                (order_ref,),
            )
        ]  # fmt: skip
        entries += [
            Entry(at, event_type, event_id, Position(topic, partition, offset), group=group,
                  kind=kind, attempt=attempt, error_class=error_class)
            for (topic, partition, offset, event_id, event_type, group, kind, attempt,
                 error_class, at) in self._db.execute(
                "SELECT topic, at_partition, at_offset, event_id, event_type, consumer_group,"
                " kind, attempt, error_class, first_failure_ms FROM failures"
                " WHERE order_ref = ?",
                (order_ref,),
            )
        ]  # fmt: skip
        # A failure sorts after its event, and a dead letter after the retries before it.
        return sorted(entries, key=lambda e: (e.at_ms, e.group is not None, e.attempt or 0))

    def late(
        self,
        slos: Sequence[Slo],
        now_ms: int,
        checkpoint: str | None = None,
        order_ref: str | None = None,
    ) -> list[Late]:
        """Orders (or the one order) that reached an SLO's checkpoint after it was due, or
        have not and it is past due; cancelled orders are held to no SLO."""
        found: list[Late] = []
        for slo in slos:
            if checkpoint is not None and slo.checkpoint != checkpoint:
                continue
            rows = self._db.execute(
                _LATE[(slo.checkpoint, slo.after)],
                (slo.within_ms, now_ms, slo.within_ms, order_ref, order_ref),
            )
            found += [Late(ref, channel, slo, due, at) for ref, channel, due, at in rows]
        return found

    def reached_counts(self) -> dict[str, int]:
        """How many orders reached each checkpoint."""
        row = self._db.execute(_REACHED_COUNTS).fetchone()
        return dict(zip(CHECKPOINTS, row, strict=True))

    def events_by_type(self, since_ms: int) -> dict[str, int]:
        """Events that occurred since ``since_ms``, by type."""
        rows = self._db.execute(
            "SELECT event_type, COUNT(*) FROM events WHERE occurred_ms >= ?"
            " GROUP BY event_type ORDER BY event_type",
            (since_ms,),
        )
        return dict(rows.fetchall())

    def failures_by_class(self) -> list[tuple[str, str, str, int]]:
        """(group, kind, error class, how many) of the failures folded, most first."""
        rows = self._db.execute(
            "SELECT consumer_group, kind, error_class, COUNT(*) AS n FROM failures"
            " GROUP BY consumer_group, kind, error_class ORDER BY n DESC, consumer_group"
        )
        return [(group, kind, error_class, n) for group, kind, error_class, n in rows]

    def contents(self) -> dict[str, list[tuple[object, ...]]]:
        """Every row of every table, sorted: two projections are equal when these are."""
        return {
            table: sorted(self._db.execute(query).fetchall(), key=repr)
            for table, query in _EVERY_ROW.items()
        }
