"""Reading ranges of partitions as an operator does: committed records only, from given
offsets, never joining a group and never committing anything."""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping

from confluent_kafka import Consumer, KafkaError, KafkaException, TopicPartition
from tenacity import Retrying, retry_if_exception, stop_after_delay, wait_exponential

from retailsync.closing import Closing
from retailsync.consumer.record import ConsumedRecord
from retailsync.errors import ConfigError, TransientError
from retailsync.kafka.security import raise_on_security_error
from retailsync.operate.positions import PartitionId
from retailsync.settings import Settings

# The reader never subscribes or commits; librdkafka still wants a group id for queries.
_READER_GROUP = "retailsync-operator-reader"
_TIMEOUT_S = 10.0
# A partition that yields nothing for this long while records are expected is an error.
_STALL_S = 30.0

Range = tuple[int, int]  # first offset, end offset (exclusive)


class TopicReader(Closing):
    """A consumer for ranges: ``read`` stops at each range's end, ``follow`` never stops."""

    def __init__(self, settings: Settings) -> None:
        self._consumer = Consumer(
            {
                **settings.admin_config(),
                "group.id": _READER_GROUP,
                "enable.auto.commit": False,
                "enable.partition.eof": True,
                "isolation.level": "read_committed",
                "error_cb": raise_on_security_error,
                "log_level": 0,
            }
        )

    def close(self) -> None:
        self._consumer.close()

    def partitions(self, topic: str) -> list[PartitionId]:
        """Every partition of ``topic``; ConfigError when the cluster does not have it."""
        metadata = self._consumer.list_topics(topic, timeout=_TIMEOUT_S).topics.get(topic)
        if metadata is None or metadata.error is not None or not metadata.partitions:
            raise ConfigError("cluster", topic, "no such topic on the cluster")
        return [PartitionId(topic, p) for p in sorted(metadata.partitions)]

    def watermarks(self, partition: PartitionId) -> Range:
        """The partition's first offset and its end (the next offset to be written)."""
        for attempt in Retrying(
            # A topic created a moment ago may not have its leader yet.
            retry=retry_if_exception(_retriable),
            stop=stop_after_delay(_TIMEOUT_S),
            wait=wait_exponential(multiplier=0.1, max=1.0),
            reraise=True,
        ):
            with attempt:
                low, high = self._consumer.get_watermark_offsets(
                    TopicPartition(*partition), timeout=_TIMEOUT_S, cached=False
                )
        return int(low), int(high)

    def offset_at(self, partition: PartitionId, timestamp_ms: int) -> int | None:
        """The first offset whose timestamp is at or after ``timestamp_ms``; None: none is."""
        (found,) = self._consumer.offsets_for_times(
            [TopicPartition(partition.topic, partition.partition, timestamp_ms)],
            timeout=_TIMEOUT_S,
        )
        return int(found.offset) if found.offset >= 0 else None

    def read(
        self,
        ranges: Mapping[PartitionId, Range],
        *,
        first_only: bool = False,
        through_open_transactions: bool = False,
    ) -> Iterator[ConsumedRecord]:
        """The committed records in ``ranges``, each partition in offset order.

        ``first_only``: only the first committed record of each range.
        ``through_open_transactions``: wait for transactions open before a range's end to
        finish, instead of ending at the first of them.
        """
        pending = {partition: end for partition, (start, end) in ranges.items() if start < end}
        if not pending:
            return
        self._consumer.assign([TopicPartition(p.topic, p.partition, ranges[p][0]) for p in pending])
        try:
            stalled_at = time.monotonic() + _STALL_S
            while pending:
                messages = self._consumer.consume(500, timeout=0.5)
                if messages:
                    stalled_at = time.monotonic() + _STALL_S
                elif time.monotonic() > stalled_at:
                    names = ", ".join(str(p) for p in pending)
                    raise TransientError(f"no records arrived from {names} for {_STALL_S:.0f}s")
                for message in messages:
                    partition = PartitionId(message.topic() or "", message.partition() or 0)
                    end = pending.get(partition)
                    if end is None:
                        continue
                    error = message.error()
                    if error is not None:
                        _raise_unless_eof(error)
                        # The end of what is committed: an open transaction's records and
                        # markers past it are not records to read, unless waited for.
                        if not through_open_transactions or self._position(partition) >= end:
                            del pending[partition]
                        continue
                    record = ConsumedRecord.of(message)
                    if record.offset >= end:
                        del pending[partition]
                        continue
                    yield record
                    if first_only or record.offset >= end - 1:
                        del pending[partition]
        finally:
            self._consumer.unassign()

    def _position(self, partition: PartitionId) -> int:
        (tp,) = self._consumer.position([TopicPartition(*partition)])
        return int(tp.offset)

    def follow(self, starts: Mapping[PartitionId, int]) -> Iterator[ConsumedRecord]:
        """Every record from ``starts`` on, waiting for new ones; ends only when closed."""
        self._consumer.assign([TopicPartition(p.topic, p.partition, o) for p, o in starts.items()])
        while True:
            for message in self._consumer.consume(500, timeout=0.5):
                error = message.error()
                if error is None:
                    yield ConsumedRecord.of(message)
                else:
                    _raise_unless_eof(error)


def _retriable(error: BaseException) -> bool:
    return isinstance(error, KafkaException) and bool(error.args[0].retriable())


def _raise_unless_eof(error: KafkaError) -> None:
    if error.code() != KafkaError._PARTITION_EOF:
        raise KafkaException(error)
