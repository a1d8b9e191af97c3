"""Where a failed record goes next: the group's retry topics in turn, then its dead-letter topic.

Records keep their partition number on every hop (retry and dead-letter topics have their
source topic's partition count), so one consumer instance owns a key's whole path.
"""

from __future__ import annotations

from dataclasses import dataclass

from confluent_kafka import Producer

from retailsync.consumer.record import ConsumedRecord
from retailsync.delivery import DeliveryTracker
from retailsync.headers import (
    FIRST_FAILURE,
    ORIGINAL_OFFSET,
    ORIGINAL_TIMESTAMP,
    Failure,
    int_header,
    replace_failure,
)
from retailsync.topology import ConsumerGroup


@dataclass(frozen=True, slots=True)
class Position:
    """Which source topic a record belongs to, and at which retry level it was read."""

    source_topic: str
    level: int | None  # None: read from the source topic itself

    @property
    def round(self) -> int:
        return 1 if self.level is None else self.level + 2


class Router:
    """Sends records of one consumer group to its retry and dead-letter topics."""

    def __init__(self, group: ConsumerGroup, producer: Producer) -> None:
        self.group = group
        self.delays_ms = group.retry.delays_ms
        self.deliveries = DeliveryTracker(producer)
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
            error,
            now_ms,
            due_ms=now_ms + self.delays_ms[level],
        )

    def to_dead_letter(self, record: ConsumedRecord, error: BaseException, now_ms: int) -> None:
        position = self.position(record.topic)
        self._send(self.group.dead_letter_topic(position.source_topic), record, error, now_ms, 0)

    def _send(
        self, topic: str, record: ConsumedRecord, error: BaseException, now_ms: int, due_ms: int
    ) -> None:
        headers = record.headers
        position = self.position(record.topic)
        from_source = position.level is None
        failure = Failure(
            original_topic=position.source_topic,
            original_partition=record.partition,
            original_offset=source_offset(record, position),
            original_timestamp_ms=(
                record.timestamp_ms if from_source else int_header(headers, ORIGINAL_TIMESTAMP) or 0
            ),
            group=self.group.name,
            attempt=position.round,
            error_class=_error_class(error),
            error_message=str(error),
            first_failure_ms=now_ms
            if from_source
            else int_header(headers, FIRST_FAILURE) or now_ms,
            due_ms=due_ms,
        )
        self.deliveries.produce(
            topic,
            key=record.key,
            value=record.value,
            headers=replace_failure(headers, failure),
            partition=record.partition,
        )


def _error_class(error: BaseException) -> str:
    cause = error.__cause__ or error
    return f"{type(cause).__module__}.{type(cause).__qualname__}"


def source_offset(record: ConsumedRecord, position: Position) -> int:
    """The record's offset in its source topic, also when read from a retry topic."""
    if position.level is None:
        return record.offset
    return int_header(record.headers, ORIGINAL_OFFSET) or 0
