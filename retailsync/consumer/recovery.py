"""Rebuilding the parked key chains from the retry topics when partitions are assigned."""

from __future__ import annotations

import time
from collections.abc import Iterable

from confluent_kafka import Consumer, TopicPartition

from retailsync.consumer.chains import KeyChains
from retailsync.consumer.record import ConsumedRecord, PartitionId
from retailsync.errors import TransientError
from retailsync.headers import ORIGINAL_OFFSET, int_header
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
    pending: dict[tuple[str, int], tuple[PartitionId, int, int]] = {}
    scanner = Consumer({**config, "enable.auto.commit": False})
    try:
        wanted = []
        for source, retry_topics in partitions:
            chains[source] = KeyChains()
            wanted += [
                (source, level, TopicPartition(topic, source[1]))
                for level, topic in enumerate(retry_topics)
            ]
        committed = scanner.committed([tp for _, _, tp in wanted], timeout=timeout_s)
        start_at = []
        for (source, level, _), position in zip(wanted, committed, strict=True):
            low, high = scanner.get_watermark_offsets(position, timeout=timeout_s)
            start = position.offset if position.offset >= 0 else low
            if start < high:
                pending[(position.topic, position.partition)] = (source, level, high)
                start_at.append(TopicPartition(position.topic, position.partition, start))
        if not start_at:
            return chains
        scanner.assign(start_at)
        deadline = time.monotonic() + timeout_s
        while pending:
            if time.monotonic() > deadline:
                raise TransientError(
                    f"could not read the retry topics to their end: {sorted(pending)}"
                )
            for message in scanner.consume(500, timeout=0.5):
                if message.error() is not None:
                    continue
                record = ConsumedRecord.of(message)
                place = pending.get((record.topic, record.partition))
                if place is None:
                    continue
                source, level, high = place
                if record.key is not None:
                    offset = int_header(record.headers, ORIGINAL_OFFSET)
                    chains[source].add(record.key, offset if offset is not None else -1, level)
                if record.offset >= high - 1:
                    del pending[(record.topic, record.partition)]
        return chains
    finally:
        scanner.close()
