"""The projection's store: each order's checkpoints, every event of it, and what the other
groups failed to apply; in a SQLite file, or in PostgreSQL when a URL is configured (the
same statements, through SQLAlchemy).

Folding is idempotent and order-free: an event is stored once per event id, a failure once
per position of its retry or dead-letter record, an order's channel is the one its
order_created says, and a checkpoint keeps the earliest time it was reached. So a
re-delivered record changes nothing, and a rebuild from the topics gives the same tables as
the live fold, however the topics' partitions interleave.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import URL, Engine, TextClause, create_engine, event, inspect, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import QueuePool

from consumers.order_lifecycle.checkpoints import CHECKPOINTS, IMPLIES, REACHED_BY, Slo

# One statement a call: PostgreSQL's driver runs no scripts. BIGINT: times are epoch ms.
_SCHEMA = (
    f"""CREATE TABLE IF NOT EXISTS orders (
    order_ref TEXT PRIMARY KEY,
    channel TEXT NOT NULL,
    {", ".join(f"{checkpoint}_ms BIGINT" for checkpoint in CHECKPOINTS)}
)""",
    """CREATE TABLE IF NOT EXISTS events (
    event_id TEXT PRIMARY KEY,
    order_ref TEXT NOT NULL,
    event_type TEXT NOT NULL,
    occurred_ms BIGINT NOT NULL,
    topic TEXT NOT NULL,
    at_partition INTEGER NOT NULL,
    at_offset BIGINT NOT NULL
)""",
    "CREATE INDEX IF NOT EXISTS events_of_order ON events (order_ref, occurred_ms)",
    "CREATE INDEX IF NOT EXISTS events_by_time ON events (occurred_ms)",
    """CREATE TABLE IF NOT EXISTS failures (
    topic TEXT NOT NULL,
    at_partition INTEGER NOT NULL,
    at_offset BIGINT NOT NULL,
    order_ref TEXT NOT NULL,
    event_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    consumer_group TEXT NOT NULL,
    kind TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    error_class TEXT NOT NULL,
    first_failure_ms BIGINT NOT NULL,
    source_topic TEXT NOT NULL,
    source_offset BIGINT NOT NULL,
    PRIMARY KEY (topic, at_partition, at_offset)
)""",
    "CREATE INDEX IF NOT EXISTS failures_of_order ON failures (order_ref)",
)

# Statements naming checkpoint columns, built once from CHECKPOINTS (never from input).
# Standard SQL that SQLite and PostgreSQL both run: no two-argument MIN (SQLite's) or LEAST
# (PostgreSQL's), and a parameter tested for NULL is cast, as PostgreSQL needs its type.
_COLUMNS = ", ".join(f"{c}_ms" for c in CHECKPOINTS)
_ORDER = text(f"SELECT channel, {_COLUMNS} FROM orders WHERE order_ref = :ref")  # noqa: S608
_INSERT_EVENT = text(
    "INSERT INTO events VALUES (:event_id, :order_ref, :event_type, :occurred_ms, :topic,"
    " :partition, :offset) ON CONFLICT DO NOTHING"
)
# The channel the order was placed on wins over any other event's.
_UPSERT_ORDER = text(
    "INSERT INTO orders (order_ref, channel) VALUES (:order_ref, :channel)"
    " ON CONFLICT (order_ref) DO UPDATE"
    " SET channel = CASE WHEN :placed THEN excluded.channel ELSE orders.channel END"
)
_REACH = {
    c: text(
        f"UPDATE orders SET {c}_ms = :at WHERE order_ref = :ref"  # noqa: S608
        f" AND ({c}_ms IS NULL OR {c}_ms > :at)"
    )
    for c in CHECKPOINTS
}
_INSERT_FAILURE = text(
    "INSERT INTO failures VALUES (:topic, :partition, :offset, :order_ref, :event_id,"
    " :event_type, :group, :kind, :attempt, :error_class, :first_failure_ms, :source_topic,"
    " :source_offset) ON CONFLICT DO NOTHING"
)
_LATE = {
    (c, after): text(
        f"SELECT order_ref, channel, {after}_ms + :within, {c}_ms FROM orders"  # noqa: S608
        f" WHERE {after}_ms IS NOT NULL AND cancelled_ms IS NULL"
        f" AND COALESCE({c}_ms, :now) > {after}_ms + :within"
        " AND (CAST(:only AS TEXT) IS NULL OR order_ref = :only)"
        f" ORDER BY {after}_ms, order_ref"
    )
    for c in CHECKPOINTS
    for after in CHECKPOINTS
    if after != c
}
_TIMELINE_EVENTS = text(
    "SELECT event_id, event_type, occurred_ms, topic, at_partition, at_offset"
    " FROM events WHERE order_ref = :ref"
)
_TIMELINE_FAILURES = text(
    "SELECT topic, at_partition, at_offset, event_id, event_type, consumer_group, kind,"
    " attempt, error_class, first_failure_ms FROM failures WHERE order_ref = :ref"
)
_EVENTS_BY_TYPE = text(
    "SELECT event_type, COUNT(*) FROM events WHERE occurred_ms >= :since"
    " GROUP BY event_type ORDER BY event_type"
)
_FAILURES_BY_CLASS = text(
    "SELECT consumer_group, kind, error_class, COUNT(*) AS n FROM failures"
    " GROUP BY consumer_group, kind, error_class ORDER BY n DESC, consumer_group"
)
_REACHED_COUNTS = text(f"SELECT {', '.join(f'COUNT({c}_ms)' for c in CHECKPOINTS)} FROM orders")  # noqa: S608
_ADD_CHECKPOINT = {c: text(f"ALTER TABLE orders ADD COLUMN {c}_ms BIGINT") for c in CHECKPOINTS}
_EVERY_ROW = {table: text(f"SELECT * FROM {table}") for table in ("orders", "events", "failures")}  # noqa: S608


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
    """The projection in a SQLite file (a ``Path``) or a PostgreSQL database (a ``URL``):
    ``connect`` to fold, ``read_only`` to query; close it, or use it as a context manager."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @classmethod
    def connect(cls, where: Path | URL) -> LifecycleStore:
        """The store at ``where``, its tables created if missing, for folding and reading."""
        if isinstance(where, URL):
            engine = create_engine(where)
        else:
            where.parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(URL.create("sqlite", database=str(where)))
            # WAL: readers (the status page, `orders show`) never block the fold.
            event.listen(engine, "connect", _write_ahead_log)
        with engine.begin() as db:
            for statement in _SCHEMA:
                db.execute(text(statement))
            # A store made before a checkpoint was added gains its column, empty until the
            # checkpoint's events come (or a replay brings the older ones).
            present = {column["name"] for column in inspect(db).get_columns("orders")}
            for checkpoint in CHECKPOINTS:
                if f"{checkpoint}_ms" not in present:
                    db.execute(_ADD_CHECKPOINT[checkpoint])
        return cls(engine)

    @classmethod
    def read_only(cls, where: Path | URL) -> LifecycleStore:
        """The store at ``where`` for reading; FileNotFoundError when there is none yet,
        ConnectionError when its server does not answer."""
        missing = FileNotFoundError(f"no projection at {where}: is order-lifecycle running?")
        if isinstance(where, URL):
            engine = create_engine(
                where, connect_args={"options": "-c default_transaction_read_only=on"}
            )
            try:
                there = inspect(engine).has_table("orders")
            except OperationalError as error:
                engine.dispose()
                # The driver's own message: where it failed, never the password.
                raise ConnectionError(f"cannot reach the projection: {error.orig}") from None
            if not there:
                engine.dispose()
                raise missing
            return cls(engine)
        if not where.exists():
            raise missing
        uri = f"{where.resolve().as_uri()}?mode=ro"
        return cls(
            create_engine(
                "sqlite://",
                creator=lambda: sqlite3.connect(uri, uri=True, check_same_thread=False),
                poolclass=QueuePool,  # not the one connection of an in-memory database
            )
        )

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> LifecycleStore:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # --- folding ---------------------------------------------------------------------------

    def fold(self, events: Iterable[Seen], failures: Iterable[Failure]) -> None:
        """Fold a batch in one transaction: all of it is stored, or none. Each statement
        runs once for all the rows of the batch; a row already there changes nothing."""
        failures = list(failures)
        seen = [*events, *(failure.event for failure in failures)]
        if not seen:
            return
        reached: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for one in seen:
            checkpoint = REACHED_BY.get(one.event_type)
            if checkpoint is not None:
                for each in (checkpoint, *IMPLIES.get(checkpoint, ())):
                    reached[each].append({"ref": one.order_ref, "at": one.occurred_ms})
        with self._engine.begin() as db:
            db.execute(_INSERT_EVENT, [_event_row(one) for one in seen])
            db.execute(
                _UPSERT_ORDER,
                [
                    {"order_ref": one.order_ref, "channel": one.channel,
                     "placed": one.event_type == "order_created"}
                    for one in seen
                ],
            )  # fmt: skip
            for checkpoint, rows in reached.items():
                db.execute(_REACH[checkpoint], rows)
            if failures:
                db.execute(_INSERT_FAILURE, [_failure_row(failure) for failure in failures])

    # --- reading ---------------------------------------------------------------------------

    def order(self, order_ref: str) -> Order | None:
        rows = self._run(_ORDER, {"ref": order_ref})
        if not rows:
            return None
        row = rows[0]
        reached = {c: at for c, at in zip(CHECKPOINTS, row[1:], strict=True) if at is not None}
        return Order(order_ref, row[0], reached)

    def timeline(self, order_ref: str) -> list[Entry]:
        """Every event of the order and every failure to apply one, oldest first."""
        entries = [
            Entry(at, event_type, event_id, Position(topic, partition, offset),
                  checkpoint=REACHED_BY.get(event_type))
            for event_id, event_type, at, topic, partition, offset in self._run(
                _TIMELINE_EVENTS, {"ref": order_ref}
            )
        ]  # fmt: skip
        entries += [
            Entry(at, event_type, event_id, Position(topic, partition, offset), group=group,
                  kind=kind, attempt=attempt, error_class=error_class)
            for (topic, partition, offset, event_id, event_type, group, kind, attempt,
                 error_class, at) in self._run(_TIMELINE_FAILURES, {"ref": order_ref})
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
            rows = self._run(
                _LATE[(slo.checkpoint, slo.after)],
                {"within": slo.within_ms, "now": now_ms, "only": order_ref},
            )
            found += [Late(ref, channel, slo, due, at) for ref, channel, due, at in rows]
        return found

    def reached_counts(self) -> dict[str, int]:
        """How many orders reached each checkpoint."""
        [row] = self._run(_REACHED_COUNTS)
        return dict(zip(CHECKPOINTS, row, strict=True))

    def events_by_type(self, since_ms: int) -> dict[str, int]:
        """Events that occurred since ``since_ms``, by type."""
        return dict(self._run(_EVENTS_BY_TYPE, {"since": since_ms}))

    def failures_by_class(self) -> list[tuple[str, str, str, int]]:
        """(group, kind, error class, how many) of the failures folded, most first."""
        rows = self._run(_FAILURES_BY_CLASS)
        return [(group, kind, error_class, n) for group, kind, error_class, n in rows]

    def contents(self) -> dict[str, list[tuple[object, ...]]]:
        """Every row of every table, sorted: two projections are equal when these are."""
        return {table: sorted(self._run(query), key=repr) for table, query in _EVERY_ROW.items()}

    def _run(self, statement: TextClause, parameters: dict[str, Any] | None = None) -> list[Any]:
        """The rows a read statement returns, as tuples."""
        with self._engine.connect() as db:
            return [tuple(row) for row in db.execute(statement, parameters or {})]


def _write_ahead_log(connection: Any, _record: object) -> None:
    connection.execute("PRAGMA journal_mode=WAL")


def _event_row(seen: Seen) -> dict[str, Any]:
    return {
        "event_id": seen.event_id, "order_ref": seen.order_ref, "event_type": seen.event_type,
        "occurred_ms": seen.occurred_ms, "topic": seen.at.topic,
        "partition": seen.at.partition, "offset": seen.at.offset,
    }  # fmt: skip


def _failure_row(failure: Failure) -> dict[str, Any]:
    return {
        "topic": failure.at.topic, "partition": failure.at.partition,
        "offset": failure.at.offset, "order_ref": failure.event.order_ref,
        "event_id": failure.event.event_id, "event_type": failure.event.event_type,
        "group": failure.group, "kind": failure.kind, "attempt": failure.attempt,
        "error_class": failure.error_class, "first_failure_ms": failure.first_failure_ms,
        "source_topic": failure.event.at.topic, "source_offset": failure.event.at.offset,
    }  # fmt: skip
