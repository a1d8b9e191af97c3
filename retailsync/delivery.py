"""Delivery reports made loud: a produce that the broker did not acknowledge is an error."""

from __future__ import annotations

import time

from confluent_kafka import KafkaError, Message, Producer

from retailsync.errors import TransientError
from retailsync.headers import OutgoingHeaders

_ANY_PARTITION = -1  # librdkafka's RD_KAFKA_PARTITION_UA: let the partitioner choose
_ROOM_TIMEOUT_S = 60.0


class DeliveryError(TransientError):
    """Records were not acknowledged by the brokers in time."""


class DeliveryTracker:
    """Collects the delivery reports of one producer; ``flush`` raises if any failed."""

    def __init__(self, producer: Producer) -> None:
        self._producer = producer
        self._failures: list[str] = []

    def on_delivery(self, error: KafkaError | None, message: Message) -> None:
        if error is not None:
            self._failures.append(f"{message.topic()}[{message.partition()}]: {error.str()}")

    def produce(
        self,
        topic: str,
        *,
        key: bytes | None,
        value: bytes | None,
        headers: OutgoingHeaders,
        partition: int = _ANY_PARTITION,
    ) -> None:
        """Queue one record, serving delivery reports while librdkafka's queue is full."""
        deadline = time.monotonic() + _ROOM_TIMEOUT_S
        while True:
            try:
                self._producer.produce(
                    topic, key=key, value=value, headers=headers, partition=partition,
                    on_delivery=self.on_delivery,
                )  # fmt: skip
                break
            except BufferError:
                if time.monotonic() > deadline:
                    raise DeliveryError(
                        f"the producer queue stayed full for {_ROOM_TIMEOUT_S}s"
                    ) from None
                self._producer.poll(0.1)
        self._producer.poll(0)

    def flush(self, timeout_s: float) -> None:
        """Wait until every record produced so far is acknowledged; raise if one is not."""
        unacknowledged = self._producer.flush(timeout_s)
        failures, self._failures = self._failures, []
        if unacknowledged:
            failures.append(f"{unacknowledged} record(s) unacknowledged after {timeout_s}s")
        if failures:
            raise DeliveryError("; ".join(failures))
