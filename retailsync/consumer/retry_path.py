"""Where a failed record goes next: the group's retry topics in turn, then its dead-letter topic.

Records keep their partition number on every hop (retry and dead-letter topics have their
source topic's partition count), so one consumer instance owns a key's whole path.
"""

from __future__ import annotations

from dataclasses import dataclass

from retailsync.consumer.record import ConsumedRecord
from retailsync.headers import (
    FIRST_FAILURE,
    ORIGINAL_OFFSET,
    ORIGINAL_TIMESTAMP,
    Failure,
    int_header,
    replace_failure,
)
from retailsync.kafka.producer import KafkaProducer
from retailsync.topology import ConsumerGroup


@dataclass(frozen=True, slots=True)
class Position:
    """Which source topic a record belongs to, and at which retry level it was read."""

    source_topic: str
    level: int | None  # None: read from the source topic itself

    @property
    def attempt(self) -> int:
        return 1 if self.level is None else self.level + 2


class RetryPath:
    """Sends the failed records of one consumer group down its retry topics and to its
    dead-letter topic, through the producer its runner owns (and flushes)."""

    def __init__(self, group: ConsumerGroup, producer: KafkaProducer) -> None:
        self.group = group
        self.delays_ms = group.retry.delays_ms
        self._producer = producer
        self._positions = {topic: Position(topic, None) for topic in group.subscriptions}
        for topic in group.subscriptions:
            for level, name in enumerate(group.retry_topics(topic)):
                self._positions[name] = Position(topic, level)

    def position(self, topic: str) -> Position:
        return self._positions[topic]

    def retry_topics(self, source_topic: str) -> tuple[str, ...]:
        return self.group.retry_topics(source_topic)

    @property
    def last_level(self) -> int:
        return len(self.delays_ms) - 1

    def to_retry(
        self, record: ConsumedRecord, level: int, error: BaseException, now_ms: int
    ) -> None:
        position = self.position(record.topic)
        self._send(
            self.group.retry_topic(position.source_topic, self.delays_ms[level]),
            record,
            failure_of(
                record,
                position,
                self.group.name,
                error,
                now_ms=now_ms,
                due_ms=now_ms + self.delays_ms[level],
            ),
        )

    def to_dead_letter(self, record: ConsumedRecord, error: BaseException, now_ms: int) -> None:
        position = self.position(record.topic)
        self._send(
            self.group.dead_letter_topic(position.source_topic),
            record,
            failure_of(record, position, self.group.name, error, now_ms=now_ms, due_ms=0),
        )

    def _send(self, topic: str, record: ConsumedRecord, failure: Failure) -> None:
        self._producer.produce(
            topic,
            key=record.key,
            value=record.value,
            headers=replace_failure(record.headers, failure),
            partition=record.partition,
        )


def failure_of(
    record: ConsumedRecord,
    position: Position,
    group: str,
    error: BaseException,
    *,
    now_ms: int,
    due_ms: int,
) -> Failure:
    """The failure headers of ``record`` (read at ``position``) failing with ``error``: where
    it was first published, the attempt, the error, and when it is due again. The one
    builder of failure headers, for the retry path and the exactly-once stages alike."""
    headers = record.headers
    from_source = position.level is None
    return Failure(
        original_topic=position.source_topic,
        original_partition=record.partition,
        original_offset=source_offset(record, position),
        original_timestamp_ms=(
            record.timestamp_ms if from_source else int_header(headers, ORIGINAL_TIMESTAMP) or 0
        ),
        group=group,
        attempt=position.attempt,
        error_class=_error_class(error),
        error_message=str(error),
        first_failure_ms=now_ms if from_source else int_header(headers, FIRST_FAILURE) or now_ms,
        due_ms=due_ms,
    )


def _error_class(error: BaseException) -> str:
    cause = error.__cause__ or error
    return f"{type(cause).__module__}.{type(cause).__qualname__}"


def source_offset(record: ConsumedRecord, position: Position) -> int:
    """The record's offset in its source topic, also when read from a retry topic."""
    if position.level is None:
        return record.offset
    return int_header(record.headers, ORIGINAL_OFFSET) or 0
