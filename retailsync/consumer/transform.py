"""Kafka-to-Kafka stages, exactly once: read events, publish what a transform makes of them.

Each batch is one Kafka transaction holding the published events, the dead letters of
records that cannot be read, and the consumed offsets. A failure aborts the transaction and
rewinds to the committed offsets, so readers with ``isolation.level=read_committed`` (every
retailsync consumer) see each input's outputs exactly once.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable

from confluent_kafka import Consumer, Message, TopicPartition

from retailsync.consumer.record import ConsumedRecord
from retailsync.consumer.retry_path import (
    MAX_RECORD_BYTES,
    Position,
    failure_copy,
    failure_of,
)
from retailsync.consumer.service import HandlerContext
from retailsync.errors import DeserializationError
from retailsync.events import Event
from retailsync.headers import TRACEPARENT, text_header
from retailsync.kafka.producer import BrokerWatch, KafkaProducer
from retailsync.publisher import EventRecord, event_record
from retailsync.serde import EventSerde
from retailsync.settings import Settings
from retailsync.topology import Topology

log = logging.getLogger("retailsync.transform")

Transform = Callable[[Event, HandlerContext], Iterable[Event]]
_TIMEOUT_S = 30.0
_BACKOFF_S = (0.1, 5.0)


class TransformStage:
    """Runs ``transform`` for the consumer group ``name`` until ``stop``; closes ``serde``
    (a schema registry client) when it stops, as ``ServiceRunner`` does."""

    def __init__(
        self,
        name: str,
        transform: Transform,
        settings: Settings,
        topology: Topology,
        serde: EventSerde,
        *,
        batch_size: int = 500,
    ) -> None:
        self.group = topology.consumer(name)
        self._transform = transform
        self._settings = settings
        self._topology = topology
        self._serde = serde
        self._batch_size = batch_size
        self._stop = threading.Event()

    def stop(self) -> None:
        self._stop.set()

    def run(self) -> None:
        # A unique id per instance: with the consumer group's metadata in each transaction
        # (KIP-447), the brokers fence a zombie instance by group generation.
        producer = KafkaProducer(
            self._settings,
            name=self.group.name,
            transactional_id=f"{self.group.name}-{uuid.uuid4()}",
            options={"message.max.bytes": MAX_RECORD_BYTES},
        )
        consumer = Consumer(
            {
                **self._settings.consumer_config(self.group.name),
                "enable.auto.commit": False,
                **BrokerWatch(self.group.name).config(),
            }
        )
        producer.init_transactions()
        consumer.subscribe(list(self.group.subscriptions))
        failures = 0
        try:
            while not self._stop.is_set():
                messages = [m for m in consumer.consume(self._batch_size, 0.2) if m.error() is None]
                if not messages:
                    continue
                try:
                    self._commit_batch(producer, consumer, messages)
                    failures = 0
                except Exception as exc:
                    failures += 1
                    log.warning("%s: batch aborted (%s); reading it again", self.group.name, exc)
                    producer.abort_transaction()
                    _rewind(consumer)
                    self._stop.wait(min(_BACKOFF_S[1], _BACKOFF_S[0] * 2**failures))
        finally:
            consumer.close()
            producer.close()
            self._serde.close()

    def _commit_batch(
        self, producer: KafkaProducer, consumer: Consumer, messages: list[Message]
    ) -> None:
        producer.begin_transaction()
        for message in messages:
            record = ConsumedRecord.of(message)
            for output in self._outputs(record):
                producer.produce(
                    output.topic, key=output.key, value=output.value, headers=output.headers
                )
        positions = consumer.position(consumer.assignment())
        producer.send_offsets_to_transaction(positions, consumer.consumer_group_metadata())
        producer.commit_transaction()

    def _outputs(self, record: ConsumedRecord) -> Iterable[EventRecord]:
        try:
            event = self._serde.decode(
                record.value or b"", topic=record.topic, partition=record.partition,
                offset=record.offset, key=record.key,
            )  # fmt: skip
        except DeserializationError as error:
            yield self._dead_letter(record, error)
            return
        context = HandlerContext(
            key=record.text_key, headers=record.headers, topic=record.topic,
            partition=record.partition, offset=record.offset, attempt=1,
            traceparent=text_header(record.headers, TRACEPARENT),
        )  # fmt: skip
        for output in self._transform(event, context):
            yield event_record(output, self._topology, self._serde)

    def _dead_letter(self, record: ConsumedRecord, error: Exception) -> EventRecord:
        now_ms = int(time.time() * 1000)
        position = Position(record.topic, None)
        failure = failure_of(record, position, self.group.name, error, now_ms=now_ms, due_ms=0)
        value, headers = failure_copy(record, failure)
        return EventRecord(self.group.dead_letter_topic(record.topic), record.key, value, headers)


def _rewind(consumer: Consumer) -> None:
    assigned = consumer.assignment()
    for committed in consumer.committed(assigned, timeout=_TIMEOUT_S):
        offset = committed.offset
        if offset < 0:
            # Nothing committed yet: start of the partition under auto.offset.reset=earliest.
            offset = consumer.get_watermark_offsets(committed, timeout=_TIMEOUT_S)[0]
        consumer.seek(TopicPartition(committed.topic, committed.partition, offset))
