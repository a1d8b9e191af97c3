"""``replay GROUP --key K``: re-deliver one business key's records (or a time window's) to
one group, without moving its offsets and without any other group seeing them.

Copies go to the group's own first retry topic, in the record's partition, due now, in
their original order, with ``retailsync.replay`` naming the audit record and the origin
headers of the source record; handlers are idempotent, so a copy of an applied record
changes nothing, and one after a fix applies it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from retailsync.consumer.record import ConsumedRecord
from retailsync.errors import ConfigError
from retailsync.headers import EVENT_TYPE, REPLAY, Failure, replace_failure, text_header
from retailsync.kafka.partitioner import partition_for
from retailsync.operate.audit import AuditRecord
from retailsync.operate.positions import PartitionId, positions_by_partition
from retailsync.operate.reader import Range, TopicReader
from retailsync.operate.writer import ChangeWriter
from retailsync.topology import ConsumerGroup


@dataclass(frozen=True, slots=True)
class KeySelection:
    key: str | None = None
    since_ms: int | None = None
    until_ms: int | None = None
    event_type: str | None = None

    def keeps(self, record: ConsumedRecord) -> bool:
        if self.key is not None and record.text_key != self.key:
            return False
        return self.event_type is None or text_header(record.headers, EVENT_TYPE) == self.event_type


@dataclass
class KeyReplayPlan:
    group: ConsumerGroup
    records: list[ConsumedRecord] = field(default_factory=list)

    @property
    def per_event_type(self) -> Counter[str]:
        return Counter(text_header(r.headers, EVENT_TYPE) or "unknown" for r in self.records)


def plan_key_replay(
    reader: TopicReader, group: ConsumerGroup, topics: Sequence[str], selection: KeySelection
) -> KeyReplayPlan:
    """The records to copy, in offset order per partition (a key lives in one partition)."""
    if not group.retry.delays_ms:
        raise ConfigError("topology", f"consumers.{group.name}.retry.delays", "no retry topic")
    plan = KeyReplayPlan(group)
    for topic in topics:
        partitions = reader.partitions(topic)
        if selection.key is not None:
            # Only the key's partition, chosen as our producers choose it.
            partitions = [partitions[partition_for(selection.key.encode(), len(partitions))]]
        ranges = {p: _range(reader, p, selection) for p in partitions}
        records = [r for r in reader.read(ranges) if selection.keeps(r)]
        plan.records += sorted(records, key=lambda r: (r.partition, r.offset))
    return plan


def _range(reader: TopicReader, partition: PartitionId, selection: KeySelection) -> Range:
    low, high = reader.watermarks(partition)
    start = low
    if selection.since_ms is not None:
        found = reader.offset_at(partition, selection.since_ms)
        start = found if found is not None else high
    end = high
    if selection.until_ms is not None:
        found = reader.offset_at(partition, selection.until_ms)
        end = found if found is not None else high
    return start, end


def execute_key_replay(
    plan: KeyReplayPlan, writer: ChangeWriter, audit: AuditRecord, now_ms: int
) -> AuditRecord:
    """Write the copies and the audit record in one transaction."""
    group = plan.group
    writer.begin()
    for record in plan.records:
        topic = group.retry_topic(record.topic, group.retry.delays_ms[0])
        failure = Failure(
            original_topic=record.topic,
            original_partition=record.partition,
            original_offset=record.offset,
            original_timestamp_ms=record.timestamp_ms,
            group=group.name,
            attempt=1,
            error_class="replay",
            error_message=f"replayed by {audit.actor}",
            first_failure_ms=now_ms,
            due_ms=now_ms,
        )
        headers = [*replace_failure(record.headers, failure), (REPLAY, audit.id.encode())]
        writer.produce(
            topic, key=record.key, value=record.value, headers=headers, partition=record.partition
        )
    replayed = positions_by_partition((r.topic, r.partition, r.offset) for r in plan.records)
    done = audit.with_changes([{"replayed": entry} for entry in replayed])
    writer.commit(done)
    return done
