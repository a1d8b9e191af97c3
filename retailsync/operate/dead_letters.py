"""Dead letters: what is in a group's dead-letter topics, what became of each (redriven,
discarded, kept in a compacted state topic keyed by its position), and redriving them.

A redrive copies the dead letter to the group's first retry topic, in its partition, due
now, with its attempt count reset and ``retailsync.redrives`` counting the redrives; its
first failure and origin stay, so a copy that fails again reaches the dead-letter topic
with its history. The copies, their states and the audit record of each batch are one Kafka
transaction of the group's operator producer: two operators redriving at once fence each
other, and the one that goes on reads the other's states first.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from retailsync.consumer.record import ConsumedRecord
from retailsync.errors import ConfigError
from retailsync.headers import (
    ATTEMPT,
    DUE,
    ERROR_CLASS,
    ERROR_MESSAGE,
    GROUP,
    ORIGINAL_OFFSET,
    ORIGINAL_PARTITION,
    ORIGINAL_TOPIC,
    REDRIVES,
    REPLAY,
    VALUE_CUT,
    OutgoingHeaders,
    header,
    int_header,
    text_header,
)
from retailsync.operate.audit import AuditRecord
from retailsync.operate.positions import position, positions_by_partition
from retailsync.operate.reader import TopicReader
from retailsync.operate.writer import ChangeWriter
from retailsync.topology import ConsumerGroup

_PATTERN_CHARS = 80
_NUMBERS = re.compile(r"\d+")
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")

States = dict[str, dict[str, Any]]  # DLT position -> latest state


@dataclass(frozen=True, slots=True)
class Selection:
    """Which dead letters: all given conditions hold."""

    error_class: str | None = None
    key: str | None = None
    since_ms: int | None = None

    def keeps(self, record: ConsumedRecord) -> bool:
        if self.key is not None and record.text_key != self.key:
            return False
        if self.error_class is not None and self.error_class not in (error_class(record) or ""):
            return False
        return self.since_ms is None or record.timestamp_ms >= self.since_ms


@dataclass
class Group:
    """Dead letters of one dead-letter topic, error class and message pattern."""

    topic: str
    error_class: str
    pattern: str
    open: int = 0
    redriven: int = 0
    discarded: int = 0
    times: list[int] = field(default_factory=list)


def error_class(record: ConsumedRecord) -> str | None:
    return text_header(record.headers, ERROR_CLASS)


def pattern(message: str | None) -> str:
    """The message with numbers and quoted values generalised, so alike errors group."""
    general = _NUMBERS.sub("N", _QUOTED.sub("'…'", message or ""))
    return general[:_PATTERN_CHARS]


def where(record: ConsumedRecord) -> str:
    return position(record.topic, record.partition, record.offset)


def without_value(dead: ConsumedRecord) -> str | None:
    """For a dead letter written without its value (too large to copy), how to handle it
    again: from its original offset, since a retry copy could not carry it either."""
    if header(dead.headers, VALUE_CUT) is None:
        return None
    topic = text_header(dead.headers, ORIGINAL_TOPIC)
    partition = int_header(dead.headers, ORIGINAL_PARTITION)
    offset = int_header(dead.headers, ORIGINAL_OFFSET)
    group = text_header(dead.headers, GROUP)
    return (
        f"{where(dead)} carries no value (too large to copy); it is read again by "
        f"`retailsync replay {group} --topic {topic}:{partition} --to-offset {offset}`"
    )


def dead_letters(reader: TopicReader, group: ConsumerGroup) -> Iterator[ConsumedRecord]:
    """Every record in the group's dead-letter topics."""
    yield from read_topics(reader, map(group.dead_letter_topic, group.subscriptions))


def read_topics(reader: TopicReader, names: Iterable[str]) -> Iterator[ConsumedRecord]:
    """Every record in the topics ``names``."""
    for name in names:
        yield from reader.read({p: reader.watermarks(p) for p in reader.partitions(name)})


def read_states(reader: TopicReader, state_topic: str) -> States:
    """The latest state of every dead letter that has one (waiting for open transactions)."""
    states: States = {}
    ranges = {p: reader.watermarks(p) for p in reader.partitions(state_topic)}
    for record in reader.read(ranges, through_open_transactions=True):
        if record.key is not None and record.value is not None:
            states[record.key.decode()] = json.loads(record.value)
    return states


def summarize(records: Iterable[ConsumedRecord], states: States) -> list[Group]:
    """Dead letters grouped by topic, error class and message pattern."""
    groups: dict[tuple[str, str, str], Group] = {}
    for record in records:
        kind = error_class(record) or "unknown"
        text = pattern(text_header(record.headers, ERROR_MESSAGE))
        group = groups.setdefault((record.topic, kind, text), Group(record.topic, kind, text))
        state = states.get(where(record), {}).get("state")
        if state == "redriven":
            group.redriven += 1
        elif state == "discarded":
            group.discarded += 1
        else:
            group.open += 1
        group.times.append(record.timestamp_ms)
    return sorted(groups.values(), key=lambda g: -g.open)


def selected(
    records: Iterable[ConsumedRecord],
    states: States,
    selection: Selection,
    *,
    again: bool = False,
    limit: int | None = None,
) -> list[ConsumedRecord]:
    """The dead letters to act on: open ones (any with ``again``), up to ``limit``."""
    chosen = []
    for record in records:
        if not selection.keeps(record):
            continue
        if where(record) in states and not again:
            continue
        chosen.append(record)
        if limit is not None and len(chosen) >= limit:
            break
    return chosen


def first_retry_topic(group: ConsumerGroup, dead: ConsumedRecord) -> str:
    """Where a redrive of ``dead`` goes: the group's first retry topic for its source."""
    if not group.retry.delays_ms:
        raise ConfigError("topology", f"consumers.{group.name}.retry.delays", "no retry topic")
    source = text_header(dead.headers, ORIGINAL_TOPIC) or dead.topic.removesuffix(
        f".{group.name}.dlt"
    )
    return group.retry_topic(source, group.retry.delays_ms[0])


def redrive_headers(dead: ConsumedRecord, audit_id: str, now_ms: int) -> OutgoingHeaders:
    """The dead letter's headers, due now, attempt reset, one more redrive counted."""
    replaced = {ATTEMPT, DUE, REDRIVES, REPLAY}
    headers: OutgoingHeaders = [(k, v) for k, v in dead.headers if k not in replaced]
    return [
        *headers,
        (ATTEMPT, b"1"),
        (DUE, str(now_ms).encode()),
        (REDRIVES, str((int_header(dead.headers, REDRIVES) or 0) + 1).encode()),
        (REPLAY, audit_id.encode()),
    ]


def mark(
    writer: ChangeWriter, state_topic: str, dead: ConsumedRecord, state: dict[str, Any]
) -> None:
    writer.produce(state_topic, key=where(dead).encode(), value=json.dumps(state).encode())


def redrive(
    writer: ChangeWriter,
    group: ConsumerGroup,
    records: list[ConsumedRecord],
    state_topic: str,
    audit: AuditRecord,
    *,
    rate_per_s: int | None = None,
) -> AuditRecord:
    """Copy ``records`` to the group's first retry topic, ``rate_per_s`` per second."""
    batch = rate_per_s or max(len(records), 1)
    topics = {dead.topic: first_retry_topic(group, dead) for dead in records}
    done = audit.with_changes(
        [{"redriven": entry, "to": sorted(set(topics.values()))} for entry in _positions(records)]
    )
    for start in range(0, len(records), batch):
        began = time.monotonic()
        writer.begin()
        for dead in records[start : start + batch]:
            now_ms = int(time.time() * 1000)
            writer.produce(
                topics[dead.topic],
                key=dead.key,
                value=dead.value,
                headers=redrive_headers(dead, audit.id, now_ms),
                partition=dead.partition,
            )
            mark(writer, state_topic, dead, {"state": "redriven", "audit": audit.id, "at": now_ms})
        last = start + batch >= len(records)
        writer.commit(done if last else None)
        if rate_per_s is not None and not last:
            time.sleep(max(0.0, 1.0 - (time.monotonic() - began)))  # the rate limit
    return done


def discard(
    writer: ChangeWriter,
    records: list[ConsumedRecord],
    state_topic: str,
    audit: AuditRecord,
    reason: str,
) -> AuditRecord:
    """Mark ``records`` resolved by hand; they stay in the topic but leave the counts."""
    now_ms = int(time.time() * 1000)
    writer.begin()
    for dead in records:
        state = {"state": "discarded", "audit": audit.id, "at": now_ms, "reason": reason}
        mark(writer, state_topic, dead, state)
    done = audit.with_changes([{"discarded": entry} for entry in _positions(records)])
    writer.commit(done)
    return done


def _positions(records: list[ConsumedRecord]) -> list[dict[str, str | int]]:
    return positions_by_partition((r.topic, r.partition, r.offset) for r in records)
