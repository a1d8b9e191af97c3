"""``replay GROUP``: move a group's offsets, knowing what it re-delivers and what waits in
its retry topics before anything moves."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from confluent_kafka.admin import AdminClient

from retailsync.errors import TransientError
from retailsync.headers import EVENT_TYPE, text_header
from retailsync.operate.audit import AuditRecord
from retailsync.operate.groups import Member, active_members, alter_offsets
from retailsync.operate.lag import Parked, parked_records
from retailsync.operate.offsets import Move, Target, plan_moves
from retailsync.operate.positions import PartitionId, positions_by_partition
from retailsync.operate.reader import Range, TopicReader
from retailsync.operate.writer import ChangeWriter
from retailsync.topology import ConsumerGroup

RetryChoice = Literal["drop", "keep"]
# Reading more than this many records to count event types is not worth the wait.
COUNT_CAP = 100_000


@dataclass
class ReplayPlan:
    group: ConsumerGroup
    moves: list[Move]
    redelivered: Counter[str] = field(default_factory=Counter)  # per event type
    skipped: Counter[str] = field(default_factory=Counter)
    capped: bool = False
    parked: Parked = field(default_factory=Parked)
    members: list[Member] = field(default_factory=list)

    @property
    def changes(self) -> list[dict[str, object]]:
        return [
            {"partition": str(m.partition), "before": m.current, "after": m.target}
            for m in self.moves
            if m.current != m.target
        ]


def make_replay_plan(
    reader: TopicReader,
    admin: AdminClient,
    group: ConsumerGroup,
    partitions: Sequence[PartitionId],
    target: Target,
) -> ReplayPlan:
    """The moves, what they re-deliver or skip per event type, and the parked records."""
    plan = ReplayPlan(group, plan_moves(admin, group.name, partitions, target))
    again: dict[PartitionId, Range] = {}
    skip: dict[PartitionId, Range] = {}
    for move in plan.moves:
        resume = move.current if move.current is not None else move.log_start
        if move.target < resume:
            again[move.partition] = (move.target, resume)
        elif move.target > resume:
            skip[move.partition] = (resume, move.target)
    budget = COUNT_CAP
    for ranges, counts in ((again, plan.redelivered), (skip, plan.skipped)):
        for record in reader.read(ranges):
            if budget == 0:
                plan.capped = True
                break
            budget -= 1
            counts[text_header(record.headers, EVENT_TYPE) or "unknown"] += 1
    moved = {m.partition for m in plan.moves}
    for topic in {p.topic for p in partitions}:
        for record in parked_records(reader, admin, group, topic).records:
            if PartitionId(topic, record.partition) in moved:
                plan.parked.records.append(record)
    plan.members = active_members(admin, group.name)
    return plan


def wait_for_no_members(admin: AdminClient, group: str, timeout_s: float) -> list[Member]:
    """The members still there after waiting up to ``timeout_s`` for them to leave."""
    deadline = time.monotonic() + timeout_s
    members = active_members(admin, group)
    while members and time.monotonic() < deadline:
        time.sleep(1.0)  # the broker has no notification for a group emptying
        members = active_members(admin, group)
    return members


def execute_replay(
    plan: ReplayPlan,
    admin: AdminClient,
    writer: ChangeWriter,
    audit: AuditRecord,
    with_retries: RetryChoice | None,
) -> AuditRecord:
    """Move the offsets (and drop the parked records if asked); returns the audit record."""
    if plan.members:
        raise TransientError(busy_message(plan.group.name, plan.members))
    if plan.parked.records and with_retries is None:
        raise TransientError(
            f"{len(plan.parked.records)} records of {plan.group.name} wait in its retry topics; "
            "say --with-retries drop (skip them) or keep (leave them to be delivered when due)"
        )
    changes: list[dict[str, object]] = list(plan.changes)
    alter_offsets(admin, plan.group.name, {m.partition: m.target for m in plan.moves})
    if with_retries == "drop" and plan.parked.records:
        ends: dict[PartitionId, int] = {}
        for record in plan.parked.records:
            p = PartitionId(record.topic, record.partition)
            ends[p] = max(ends.get(p, 0), record.offset + 1)
        alter_offsets(admin, f"{plan.group.name}.retry", ends)
        dropped = ((r.topic, r.partition, r.offset) for r in plan.parked.records)
        changes += [{"dropped": entry} for entry in positions_by_partition(dropped)]
    done = audit.with_changes(changes)
    writer.begin()
    writer.commit(done)
    return done


def busy_message(group: str, members: Sequence[Member]) -> str:
    names = ", ".join(str(m) for m in members)
    return f"{group} has active members ({names}); stop them first, or pass --wait SECONDS"
