"""Rebuilding the parked key chains from the retry topics, and the held keys from the held
topics, when partitions are assigned."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from confluent_kafka import Consumer, TopicPartition

from retailsync.consumer.chains import KeyChains
from retailsync.consumer.record import ConsumedRecord, PartitionId
from retailsync.errors import TransientError
from retailsync.headers import ORIGINAL_OFFSET, RELEASED, RULE, header, int_header
from retailsync.settings import KafkaConfig


def rebuild_chains(
    config: KafkaConfig,
    partitions: Iterable[tuple[PartitionId, tuple[str, ...]]],
    timeout_s: float = 30.0,
) -> dict[PartitionId, KeyChains]:
    """Chains per source partition, from each retry partition's committed offset to its end.

    ``partitions`` pairs each source partition with its retry topics in level order;
    ``config`` is the retry group's consumer configuration (its committed offsets count).
    """
    chains: dict[PartitionId, KeyChains] = {}
    places: dict[tuple[str, int], tuple[PartitionId, int]] = {}
    for source, retry_topics in partitions:
        chains[source] = KeyChains()
        for level, topic in enumerate(retry_topics):
            places[(topic, source[1])] = (source, level)

    def parked(record: ConsumedRecord) -> None:
        source, level = places[(record.topic, record.partition)]
        if record.key is not None:
            offset = int_header(record.headers, ORIGINAL_OFFSET)
            chains[source].add(record.key, offset if offset is not None else -1, level)

    _read_to_end(config, list(places), parked, from_committed=True, timeout_s=timeout_s)
    return chains


def rebuild_holds(
    config: KafkaConfig,
    chains: dict[PartitionId, KeyChains],
    partitions: Iterable[tuple[PartitionId, str]],
    timeout_s: float = 30.0,
) -> None:
    """Hold, in ``chains``, the keys whose held record is not released yet: read from each
    held partition (paired with its source partition) in order, a record with the rule it
    broke holds its key, an operator's release marker lets it go."""
    places = {(topic, source[1]): source for source, topic in partitions}

    def seen(record: ConsumedRecord) -> None:
        found = chains.get(places[(record.topic, record.partition)])
        if found is None or record.key is None:
            return
        if header(record.headers, RELEASED) is not None:
            found.release(record.key)
        elif header(record.headers, RULE) is not None:
            found.hold(record.key)

    _read_to_end(config, list(places), seen, from_committed=False, timeout_s=timeout_s)


def _read_to_end(
    config: KafkaConfig,
    partitions: list[tuple[str, int]],
    handle: Callable[[ConsumedRecord], None],
    *,
    from_committed: bool,
    timeout_s: float,
) -> None:
    """Hand every record of ``partitions`` to ``handle`` in order, from the committed offset
    (or the start) to the partition's end as it is now."""
    scanner = Consumer({**config, "enable.auto.commit": False})
    try:
        wanted = [TopicPartition(topic, partition) for topic, partition in partitions]
        committed = (
            scanner.committed(wanted, timeout=timeout_s) if from_committed and wanted else wanted
        )
        pending: dict[tuple[str, int], int] = {}
        start_at = []
        for position in committed:
            low, high = scanner.get_watermark_offsets(position, timeout=timeout_s)
            start = position.offset if from_committed and position.offset >= 0 else low
            if start < high:
                pending[(position.topic, position.partition)] = high
                start_at.append(TopicPartition(position.topic, position.partition, start))
        if not start_at:
            return
        scanner.assign(start_at)
        deadline = time.monotonic() + timeout_s
        while pending:
            if time.monotonic() > deadline:
                raise TransientError(f"could not read {sorted(pending)} to their end")
            for message in scanner.consume(500, timeout=0.5):
                if message.error() is not None:
                    continue
                record = ConsumedRecord.of(message)
                end = pending.get((record.topic, record.partition))
                if end is None:
                    continue
                handle(record)
                if record.offset >= end - 1:
                    del pending[(record.topic, record.partition)]
    finally:
        scanner.close()
