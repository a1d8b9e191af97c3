"""Where a failed record goes next: the group's retry topics in turn, then its dead-letter topic;
and where a record that broke a publishing rule waits for a person: the group's held topic.

Records keep their partition number on every hop (retry and dead-letter topics have their
source topic's partition count), so one consumer instance owns a key's whole path.

A copy that would not fit the topic's record size limit (a record at the limit, plus our
failure headers) goes to the dead-letter topic without its value: refused, it would stop
the whole service; the value stays readable at its original offset.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from retailsync.consumer.record import ConsumedRecord
from retailsync.errors import HeldError
from retailsync.headers import (
    FIRST_FAILURE,
    ORIGINAL_OFFSET,
    ORIGINAL_TIMESTAMP,
    RULE,
    VALUE_CUT,
    Failure,
    OutgoingHeaders,
    int_header,
    replace_failure,
)
from retailsync.kafka.producer import KafkaProducer
from retailsync.topology import ConsumerGroup

# The broker's default max.message.bytes: the largest record batch a topic accepts. The
# retry path's producer is allowed as much (librdkafka's own default is smaller).
MAX_RECORD_BYTES = 1_048_588
# Record batch and record framing around key, value and headers, generously.
_FRAMING_BYTES = 1_024


@dataclass(frozen=True, slots=True)
class Position:
    """Which source topic a record belongs to, and at which retry level it was read.

    ``observed``: read from another group's retry or dead-letter topic (``observes`` in
    topology.yaml); to this group it is a first delivery, and its failures take this
    group's own path for the source topic.
    """

    source_topic: str
    level: int | None  # None: read from the source topic itself, or observed
    observed: bool = False

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
        for name, topic in group.observed.items():
            self._positions[name] = Position(topic, None, observed=True)

    def position(self, topic: str) -> Position:
        return self._positions[topic]

    def retry_topics(self, topic: str) -> tuple[str, ...]:
        """The group's retry topics for a topic it reads (none for an observed topic: its
        source topic's own partitions hold them)."""
        if self.position(topic).observed:
            return ()
        return self.group.retry_topics(topic)

    @property
    def last_level(self) -> int:
        return len(self.delays_ms) - 1

    def to_retry(
        self, record: ConsumedRecord, level: int, error: BaseException, now_ms: int
    ) -> None:
        """Send ``record`` to retry ``level``, or to the dead-letter topic when a copy of it
        cannot carry its value (then no later attempt could read it)."""
        if not _fits(record.key, record.value, record.headers):
            self.to_dead_letter(record, error, now_ms)
            return
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

    def to_held(self, record: ConsumedRecord, error: BaseException, now_ms: int) -> None:
        """Send ``record`` to the held topic: with the rule it broke (a ``HeldError``), or
        as waiting behind a held record of its key."""
        position = self.position(record.topic)
        rule = error.rule.encode() if isinstance(error, HeldError) else None
        self._send(
            self.group.held_topic(position.source_topic),
            record,
            failure_of(record, position, self.group.name, error, now_ms=now_ms, due_ms=0),
            [(RULE, rule)] if rule is not None else [],
        )

    def _send(
        self,
        topic: str,
        record: ConsumedRecord,
        failure: Failure,
        extra: OutgoingHeaders | None = None,
    ) -> None:
        value, headers = failure_copy(record, failure)
        self._producer.produce(
            topic,
            key=record.key,
            value=value,
            headers=[*headers, *(extra or [])],
            partition=record.partition,
        )


def failure_copy(record: ConsumedRecord, failure: Failure) -> tuple[bytes | None, OutgoingHeaders]:
    """The value and headers of a retry or dead-letter copy of ``record``: its value, or none
    (with the VALUE_CUT header) when the copy would pass the topic's record size limit."""
    headers = replace_failure(record.headers, failure)
    if _fits(record.key, record.value, headers):
        return record.value, headers
    return None, [*headers, (VALUE_CUT, str(len(record.value or b"")).encode())]


def _fits(
    key: bytes | None, value: bytes | None, headers: Sequence[tuple[str, str | bytes | None]]
) -> bool:
    size = len(key or b"") + len(value or b"") + _FRAMING_BYTES
    size += sum(len(name) + len(content or b"") for name, content in headers)
    return size <= MAX_RECORD_BYTES


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
    from_source = position.level is None and not position.observed
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
    """The record's offset in its source topic, also when read from a retry topic (or an
    observed one)."""
    if position.level is None and not position.observed:
        return record.offset
    return int_header(record.headers, ORIGINAL_OFFSET) or 0
