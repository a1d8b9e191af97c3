"""How far a consumer group is behind, in records and in seconds, and what waits in its
retry and dead-letter topics.

Offset lag counts records, not offsets: on a transactional topic the end offset includes
commit markers, so a group that read everything is ``end - 1`` behind by offsets. Here the
lag of a partition is measured to the offset after its last committed record, and a group
whose committed offset is past that record is 0 behind.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from confluent_kafka.admin import AdminClient

from retailsync.consumer.record import ConsumedRecord
from retailsync.headers import DUE, int_header
from retailsync.operate.groups import committed_offsets
from retailsync.operate.positions import PartitionId
from retailsync.operate.reader import Range, TopicReader
from retailsync.topology import ConsumerGroup

# How far back from a partition's end to look for its last record at first; doubled while
# the window holds only markers or aborted records.
_TAIL_WINDOW = 64
_COUNTED_SPAN = 10_000


@dataclass(frozen=True, slots=True)
class PartitionLag:
    partition: PartitionId
    committed: int | None
    lag: int  # committed records after the committed offset
    oldest_ms: int | None  # timestamp of the oldest unprocessed record


@dataclass(frozen=True, slots=True)
class Parked:
    """Records waiting in a group's retry topics."""

    records: list[ConsumedRecord] = field(default_factory=list)

    @property
    def oldest_due_ms(self) -> int | None:
        return min((int_header(r.headers, DUE) or 0 for r in self.records), default=None)


@dataclass(frozen=True, slots=True)
class TopicLag:
    """One group on one subscribed topic."""

    group: str
    topic: str
    partitions: list[PartitionLag]
    parked: Parked
    dead_letters: int

    @property
    def lag(self) -> int:
        return sum(p.lag for p in self.partitions)

    def oldest_age_s(self, now_ms: int) -> float | None:
        oldest = min(
            (p.oldest_ms for p in self.partitions if p.oldest_ms is not None), default=None
        )
        return None if oldest is None else max(0.0, (now_ms - oldest) / 1000)


def group_lag(reader: TopicReader, admin: AdminClient, group: ConsumerGroup) -> list[TopicLag]:
    """The lag of ``group`` on each of its subscriptions."""
    return [
        TopicLag(
            group=group.name,
            topic=topic,
            partitions=partition_lags(reader, admin, group.name, reader.partitions(topic)),
            parked=parked_records(reader, admin, group, topic),
            dead_letters=record_count(reader, group.dead_letter_topic(topic)),
        )
        for topic in group.subscriptions
    ]


def partition_lags(
    reader: TopicReader, admin: AdminClient, group: str, partitions: list[PartitionId]
) -> list[PartitionLag]:
    committed = committed_offsets(admin, group, partitions)
    marks = {p: reader.watermarks(p) for p in partitions}
    # Where the group resumes: a partition it never committed, or whose committed offset
    # was deleted, is read from its first offset (auto.offset.reset=earliest).
    starts = {p: max(committed.get(p) or 0, marks[p][0]) for p in partitions}
    unread = {p: (starts[p], marks[p][1]) for p in partitions}
    # A short backlog is counted record by record; a long one from its first to its last
    # record (the markers between them counted too, a few per thousand records).
    short = {p: r for p, r in unread.items() if r[1] - r[0] <= _COUNTED_SPAN}
    counts: dict[PartitionId, int] = dict.fromkeys(partitions, 0)
    heads: dict[PartitionId, ConsumedRecord] = {}
    for record in reader.read(short):
        counts[_id(record)] += 1
        heads.setdefault(_id(record), record)
    long = {p: r for p, r in unread.items() if p not in short}
    heads.update({_id(r): r for r in reader.read(long, first_only=True)})
    for p, last in _last_records(reader, {p: long[p] for p in heads if p in long}).items():
        counts[p] = last.offset + 1 - starts[p]
    return [
        PartitionLag(
            partition=p,
            committed=committed.get(p),
            lag=counts[p],
            oldest_ms=heads[p].timestamp_ms if p in heads else None,
        )
        for p in partitions
    ]


def _last_records(
    reader: TopicReader, ranges: Mapping[PartitionId, Range]
) -> dict[PartitionId, ConsumedRecord]:
    found: dict[PartitionId, ConsumedRecord] = {}
    window = _TAIL_WINDOW
    todo = dict(ranges)
    while todo:
        tails = {p: (max(start, end - window), end) for p, (start, end) in todo.items()}
        for record in reader.read(tails):
            found[_id(record)] = record
        todo = {p: r for p, r in todo.items() if p not in found and tails[p][0] > r[0]}
        window *= 4
    return found


def parked_records(
    reader: TopicReader, admin: AdminClient, group: ConsumerGroup, topic: str
) -> Parked:
    """Every record in ``group``'s retry topics for ``topic`` that it has not handled yet."""
    partitions = [p for name in group.retry_topics(topic) for p in reader.partitions(name)]
    # The retry consumer keeps its offsets under {group}.retry.
    committed = committed_offsets(admin, f"{group.name}.retry", partitions)
    ranges: dict[PartitionId, Range] = {}
    for p in partitions:
        low, high = reader.watermarks(p)
        start = committed.get(p)
        ranges[p] = (start if start is not None else low, high)
    return Parked(list(reader.read(ranges)))


def record_count(reader: TopicReader, topic: str) -> int:
    """How many records ``topic`` holds (exact for a non-transactional, uncompacted topic)."""
    return sum(high - low for low, high in map(reader.watermarks, reader.partitions(topic)))


def _id(record: ConsumedRecord) -> PartitionId:
    return PartitionId(record.topic, record.partition)


def now_ms() -> int:
    return int(time.time() * 1000)
