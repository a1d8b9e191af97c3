"""A consumer group as the broker sees it: committed offsets (and the pause they may mark),
active members, and moving its offsets (which the broker allows only while the group has no
members)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import NoReturn

from confluent_kafka import ConsumerGroupTopicPartitions, KafkaError, KafkaException, TopicPartition
from confluent_kafka.admin import AdminClient
from tenacity import Retrying, retry_if_exception_type, stop_after_delay, wait_exponential

from retailsync.consumer.pause_mark import Pause, read_mark
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
    return {
        PartitionId(tp.topic, tp.partition): (tp.offset if tp.offset >= 0 else None)
        for tp in _committed(admin, group, partitions)
    }


def group_pause(admin: AdminClient, group: str, partitions: Iterable[PartitionId]) -> Pause | None:
    """What the group's commits on ``partitions`` say it is paused by, since the first
    pause; None when none is marked (``retailsync.consumer.pause_mark``)."""
    marks = [
        mark
        for tp in _committed(admin, group, partitions)
        if (mark := read_mark(tp.metadata)) is not None
    ]
    if not marks:
        return None
    targets = sorted({target for mark in marks for target in mark.targets})
    return Pause(tuple(targets), min(mark.since_s for mark in marks))


def _committed(
    admin: AdminClient, group: str, partitions: Iterable[PartitionId]
) -> list[TopicPartition]:
    wanted = [TopicPartition(p.topic, p.partition) for p in partitions]
    if not wanted:
        return []
    request = [ConsumerGroupTopicPartitions(group, wanted)]
    result = admin.list_consumer_group_offsets(request, request_timeout=_TIMEOUT_S)[group]
    return list(result.result(timeout=_TIMEOUT_S).topic_partitions)


def active_members(admin: AdminClient, group: str) -> list[Member]:
    """The group's members now; empty when nothing consumes with this group id."""
    future = admin.describe_consumer_groups([group], request_timeout=_TIMEOUT_S)[group]
    description = future.result(timeout=_TIMEOUT_S)
    return [
        Member(client_id=m.client_id, host=m.host.lstrip("/"), member_id=m.member_id)
        for m in description.members
    ]


class _CoordinatorMovingError(Exception):
    """The group's coordinator is loading or moved: asking again answers."""


def alter_offsets(admin: AdminClient, group: str, offsets: Mapping[PartitionId, int]) -> None:
    """Commit ``offsets`` for ``group``; the broker refuses while the group has members."""
    request = [
        ConsumerGroupTopicPartitions(
            group, [TopicPartition(p.topic, p.partition, o) for p, o in offsets.items()]
        )
    ]
    for attempt in Retrying(
        retry=retry_if_exception_type(_CoordinatorMovingError),
        stop=stop_after_delay(_TIMEOUT_S),
        wait=wait_exponential(multiplier=0.1, max=1.0),
        reraise=True,
    ):
        with attempt:
            _alter_once(admin, group, request)


def _alter_once(
    admin: AdminClient, group: str, request: list[ConsumerGroupTopicPartitions]
) -> None:
    future = admin.alter_consumer_group_offsets(request, request_timeout=_TIMEOUT_S)[group]
    try:
        answer = future.result(timeout=_TIMEOUT_S)
    except KafkaException as exc:
        _raise(group, exc.args[0], "")
    for tp in answer.topic_partitions:
        if tp.error is not None:
            _raise(group, tp.error, f" on {tp.topic}[{tp.partition}]")


def _raise(group: str, error: KafkaError, where: str) -> NoReturn:
    if error.code() in _COORDINATOR_MOVING:
        raise _CoordinatorMovingError(error.str())
    raise TransientError(f"the broker refused to move {group}{where}: {error.str()}")


_COORDINATOR_MOVING = frozenset(
    {
        KafkaError.NOT_COORDINATOR,
        KafkaError.COORDINATOR_LOAD_IN_PROGRESS,
        KafkaError.COORDINATOR_NOT_AVAILABLE,
    }
)
