"""A consumer group as the broker sees it: committed offsets, active members, and moving
its offsets (which the broker allows only while the group has no members)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from confluent_kafka import ConsumerGroupTopicPartitions, KafkaException, TopicPartition
from confluent_kafka.admin import AdminClient

from retailsync.errors import TransientError
from retailsync.operate.positions import PartitionId

_TIMEOUT_S = 10.0


@dataclass(frozen=True, slots=True)
class Member:
    """An active member of a group: who holds its partitions now."""

    client_id: str
    host: str
    member_id: str

    def __str__(self) -> str:
        return f"{self.client_id} on {self.host}"


def committed_offsets(
    admin: AdminClient, group: str, partitions: Iterable[PartitionId]
) -> dict[PartitionId, int | None]:
    """The group's committed offset of each partition; None where it has none."""
    wanted = [TopicPartition(p.topic, p.partition) for p in partitions]
    if not wanted:
        return {}
    request = [ConsumerGroupTopicPartitions(group, wanted)]
    result = admin.list_consumer_group_offsets(request, request_timeout=_TIMEOUT_S)[group]
    answer = result.result(timeout=_TIMEOUT_S)
    return {
        PartitionId(tp.topic, tp.partition): (tp.offset if tp.offset >= 0 else None)
        for tp in answer.topic_partitions
    }


def active_members(admin: AdminClient, group: str) -> list[Member]:
    """The group's members now; empty when nothing consumes with this group id."""
    future = admin.describe_consumer_groups([group], request_timeout=_TIMEOUT_S)[group]
    description = future.result(timeout=_TIMEOUT_S)
    return [
        Member(client_id=m.client_id, host=m.host.lstrip("/"), member_id=m.member_id)
        for m in description.members
    ]


def alter_offsets(admin: AdminClient, group: str, offsets: Mapping[PartitionId, int]) -> None:
    """Commit ``offsets`` for ``group``; the broker refuses while the group has members."""
    request = [
        ConsumerGroupTopicPartitions(
            group, [TopicPartition(p.topic, p.partition, o) for p, o in offsets.items()]
        )
    ]
    future = admin.alter_consumer_group_offsets(request, request_timeout=_TIMEOUT_S)[group]
    try:
        answer = future.result(timeout=_TIMEOUT_S)
    except KafkaException as exc:
        raise TransientError(f"the broker refused to move {group}: {exc.args[0].str()}") from None
    for tp in answer.topic_partitions:
        if tp.error is not None:
            raise TransientError(
                f"the broker refused to move {group} on {tp.topic}[{tp.partition}]: {tp.error}"
            )
