"""A consumed Kafka record, normalised once so the runtime never handles Optionals."""

from __future__ import annotations

from dataclasses import dataclass

from confluent_kafka import Message

from retailsync.errors import RecordOrigin
from retailsync.headers import Headers

# A partition of a topic, as (topic, partition number): the key of every per-partition map.
PartitionId = tuple[str, int]


@dataclass(frozen=True, slots=True)
class ConsumedRecord:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: Headers
    timestamp_ms: int

    @classmethod
    def of(cls, message: Message) -> ConsumedRecord:
        raw = message.headers() or []
        pairs = raw.items() if isinstance(raw, dict) else raw
        key = message.key()
        value = message.value()
        return cls(
            topic=message.topic() or "",
            partition=message.partition() or 0,
            offset=message.offset() or 0,
            key=key.encode() if isinstance(key, str) else key,
            value=value.encode() if isinstance(value, str) else value,
            headers=tuple(
                (name, item.encode() if isinstance(item, str) else item) for name, item in pairs
            ),
            timestamp_ms=message.timestamp()[1],
        )

    @property
    def origin(self) -> RecordOrigin:
        return RecordOrigin(self.topic, self.partition, self.offset, self.key, self.value)

    @property
    def text_key(self) -> str | None:
        return self.key.decode(errors="replace") if self.key is not None else None
