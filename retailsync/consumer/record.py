"""A consumed Kafka record, normalised once so the runtime never handles Optionals."""

from __future__ import annotations

from typing import NamedTuple

from confluent_kafka import Message

from retailsync.errors import RecordOrigin
from retailsync.headers import Headers

# A partition of a topic, as (topic, partition number): the key of every per-partition map.
PartitionId = tuple[str, int]

_new = tuple.__new__


class ConsumedRecord(NamedTuple):
    """Immutable, and a tuple rather than a frozen dataclass: one is made for every record
    consumed, and a frozen dataclass's ``__init__`` costs five times a tuple's."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: Headers
    timestamp_ms: int

    @classmethod
    def of(cls, message: Message) -> ConsumedRecord:
        # librdkafka hands keys, values and header values over as bytes and headers as a
        # list of (str, bytes) pairs: kept as they are, which is what a Headers sequence is.
        key = message.key()
        value = message.value()
        headers: Headers = message.headers() or ()  # type: ignore[assignment]
        return _new(
            cls,
            (
                message.topic() or "",
                message.partition() or 0,
                message.offset() or 0,
                key.encode() if isinstance(key, str) else key,
                value.encode() if isinstance(value, str) else value,
                headers,
                message.timestamp()[1],
            ),
        )

    @property
    def origin(self) -> RecordOrigin:
        return RecordOrigin(self.topic, self.partition, self.offset, self.key, self.value)

    @property
    def text_key(self) -> str | None:
        return self.key.decode(errors="replace") if self.key is not None else None
