"""Planning a consumer group's new offsets with kafka-consumer-groups' reset semantics.

Every target is clamped to the partition's log start and log end (read uncommitted, as
Kafka's tool reads them); ``--to-datetime`` and ``--by-duration`` take the first record at
or after the time, or the log end when none is; ``--shift-by`` needs a committed offset.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from confluent_kafka import IsolationLevel, TopicPartition
from confluent_kafka.admin import AdminClient, OffsetSpec

from retailsync.errors import ConfigError
from retailsync.operate.groups import committed_offsets
from retailsync.operate.positions import PartitionId

_TIMEOUT_S = 10.0


@dataclass(frozen=True, slots=True)
class Target:
    """Where to move: ``kind`` is earliest, latest, offset, shift, time or file."""

    kind: str
    value: int = 0  # the offset, the shift, or the time in epoch ms
    offsets: Mapping[PartitionId, int] | None = None  # from a CSV plan


@dataclass(frozen=True, slots=True)
class Move:
    """One partition's offset now and after the reset."""

    partition: PartitionId
    current: int | None
    target: int
    log_start: int
    log_end: int


def read_plan_file(text: str, group: str) -> dict[PartitionId, int]:
    """Kafka's CSV reset plan: ``topic,partition,offset`` or ``group,topic,partition,offset``."""
    offsets: dict[PartitionId, int] = {}
    for line, cells in enumerate(csv.reader(io.StringIO(text)), start=1):
        if len(cells) == 4 and cells[0] != group:
            continue
        row = cells[1:] if len(cells) == 4 else cells
        if not row:
            continue
        if len(row) != 3 or not row[1].strip().isdigit() or not row[2].strip().isdigit():
            raise ConfigError("--from-file", f"line {line}", "expected topic,partition,offset")
        offsets[PartitionId(row[0].strip(), int(row[1]))] = int(row[2])
    return offsets


def plan_moves(
    admin: AdminClient, group: str, partitions: Sequence[PartitionId], target: Target
) -> list[Move]:
    """The new offset of every partition in ``partitions``, as Kafka's tool computes it."""
    starts = _list_offsets(admin, partitions, OffsetSpec.earliest())  # type: ignore[no-untyped-call, unused-ignore]
    ends = _list_offsets(admin, partitions, OffsetSpec.latest())  # type: ignore[no-untyped-call, unused-ignore]
    current = committed_offsets(admin, group, partitions)
    at_time: Mapping[PartitionId, int] = {}
    if target.kind == "time":
        at_time = _list_offsets(admin, partitions, OffsetSpec.for_timestamp(target.value))
    moves = []
    for p in partitions:
        requested = _requested(
            target, p, current=current.get(p), start=starts[p], end=ends[p],
            at_time=at_time.get(p, -1),
        )  # fmt: skip
        moves.append(
            Move(
                partition=p,
                current=current.get(p),
                target=min(max(requested, starts[p]), ends[p]),
                log_start=starts[p],
                log_end=ends[p],
            )
        )
    return moves


def _requested(
    target: Target, p: PartitionId, *, current: int | None, start: int, end: int, at_time: int
) -> int:
    if target.kind == "earliest":
        return start
    if target.kind == "latest":
        return end
    if target.kind == "offset":
        return target.value
    if target.kind == "time":
        return at_time if at_time >= 0 else end
    if target.kind == "file":
        assert target.offsets is not None
        return target.offsets[p]
    if current is None:
        raise ConfigError(
            "--shift-by", str(p), "the group has no committed offset here to shift from"
        )
    return current + target.value


def _list_offsets(
    admin: AdminClient, partitions: Sequence[PartitionId], spec: OffsetSpec
) -> dict[PartitionId, int]:
    request = {TopicPartition(p.topic, p.partition): spec for p in partitions}
    futures = admin.list_offsets(
        request, isolation_level=IsolationLevel.READ_UNCOMMITTED, request_timeout=_TIMEOUT_S
    )
    return {
        PartitionId(tp.topic, tp.partition): int(future.result(timeout=_TIMEOUT_S).offset)
        for tp, future in futures.items()
    }
