"""Held records: what a group's publishing rules hold in its held topics, who approved them so
far, and releasing them.

A held record (one that carries the rule it broke) and the records of its key that came
after it (waiting behind it) are released together, in order, to the group's first retry
topic, due now, and a release marker is written to the held topic: approved, the held
record's copy names who approved it, so its rules are not asked again; rejected, the copy
names who rejected it, and the consumer lifts the hold and drops it. Either way the records
that waited follow and are handled on their own merits. A rule with ``approvers: N`` needs
N different OS users; each approval before the last is kept as the held record's state.
States live in the dead letters' state topic, keyed by position; copies, states and the
audit record are one transaction, as for a redrive.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from retailsync.consumer.record import ConsumedRecord
from retailsync.headers import (
    APPROVED,
    REJECTED,
    RELEASED,
    REPLAY,
    RULE,
    header,
    text_header,
)
from retailsync.operate import dead_letters as dl
from retailsync.operate.audit import AuditRecord
from retailsync.operate.reader import TopicReader
from retailsync.operate.writer import ChangeWriter
from retailsync.topology import ConsumerGroup

APPROVING = "approving"
RESOLVED = frozenset({"approved", "rejected"})


@dataclass
class Held:
    """A held record, the records of its key waiting behind it, and its state."""

    record: ConsumedRecord
    rule: str  # empty for records left waiting without a held record ahead of them
    waiting: list[ConsumedRecord] = field(default_factory=list)
    state: dict[str, Any] | None = None

    @property
    def status(self) -> str:
        return str((self.state or {}).get("state") or "held")

    @property
    def approvers(self) -> list[str]:
        return list((self.state or {}).get("approvers") or [])


def held_records(reader: TopicReader, group: ConsumerGroup) -> Iterator[ConsumedRecord]:
    """Every record in the group's held topics."""
    yield from dl.read_topics(reader, map(group.held_topic, group.subscriptions))


def holds(records: Iterable[ConsumedRecord], states: dl.States) -> list[Held]:
    """The held records in position order, each with the records waiting behind it."""
    found: list[Held] = []
    latest: dict[tuple[str, int, bytes | None], Held] = {}
    for record in sorted(records, key=lambda r: (r.topic, r.partition, r.offset)):
        if header(record.headers, RELEASED) is not None:
            continue  # a marker: the state says the same
        place = (record.topic, record.partition, record.key)
        rule = text_header(record.headers, RULE)
        ahead = latest.get(place)
        if rule is None and ahead is not None and ahead.status not in RESOLVED:
            ahead.waiting.append(record)
            continue
        held = Held(record, rule or "", state=states.get(dl.where(record)))
        if held.status == "released":
            continue  # released earlier with the record it waited behind
        latest[place] = held
        found.append(held)
    return found


def selected(
    found: Iterable[Held], selection: dl.Selection, rule: str | None, *, resolved: bool = False
) -> list[Held]:
    """The holds to act on: open ones (and resolved ones with ``resolved``)."""
    return [
        held
        for held in found
        if selection.keeps(held.record)
        and (rule is None or held.rule == rule)
        and (resolved or held.status not in RESOLVED)
    ]


def approve(
    writer: ChangeWriter,
    group: ConsumerGroup,
    chosen: list[Held],
    state_topic: str,
    audit: AuditRecord,
) -> tuple[AuditRecord, list[Held]]:
    """Add ``audit.actor``'s approval to each of ``chosen``; release those it completes.
    Returns the audit record written and the holds released."""
    now_ms = int(time.time() * 1000)
    released, changes = [], []
    writer.begin()
    for held in chosen:
        approvers = [*held.approvers, audit.actor]
        needed = group.publishing.approvers(held.rule) if group.publishing else 1
        if len(approvers) < needed:
            state = {"state": APPROVING, "approvers": approvers, "audit": audit.id, "at": now_ms}
            dl.mark(writer, state_topic, held.record, state)
            changes.append({"approving": dl.where(held.record), "approvers": approvers})
            continue
        _release(writer, group, held, state_topic, audit, verdict=(APPROVED, approvers),
                 now_ms=now_ms)  # fmt: skip
        changes.append(_released(held, "approved", approvers))
        released.append(held)
    done = audit.with_changes(changes)
    writer.commit(done)
    return done, released


def reject(
    writer: ChangeWriter,
    group: ConsumerGroup,
    chosen: list[Held],
    state_topic: str,
    audit: AuditRecord,
    *,
    reason: str,
) -> AuditRecord:
    """Reject each of ``chosen``: it is dropped, and the records behind it go on."""
    now_ms = int(time.time() * 1000)
    writer.begin()
    for held in chosen:
        _release(writer, group, held, state_topic, audit, verdict=(REJECTED, [audit.actor]),
                 now_ms=now_ms, reason=reason)  # fmt: skip
    done = audit.with_changes([_released(held, "rejected", [audit.actor]) for held in chosen])
    writer.commit(done)
    return done


def _release(
    writer: ChangeWriter,
    group: ConsumerGroup,
    held: Held,
    state_topic: str,
    audit: AuditRecord,
    *,
    verdict: tuple[str, list[str]],
    now_ms: int,
    reason: str | None = None,
) -> None:
    name, people = verdict
    state = "approved" if name == APPROVED else "rejected"
    for record in (held.record, *held.waiting):
        headers = dl.redrive_headers(record, audit.id, now_ms)
        if record is held.record:
            headers.append((name, ",".join(people).encode()))
        writer.produce(
            dl.first_retry_topic(group, record),
            key=record.key,
            value=record.value,
            headers=headers,
            partition=record.partition,
        )
    # The marker tells a restarted consumer that the key is no longer held.
    writer.produce(
        held.record.topic,
        key=held.record.key,
        value=None,
        headers=[(RELEASED, dl.where(held.record).encode()), (REPLAY, audit.id.encode())],
        partition=held.record.partition,
    )
    outcome = {"state": state, "approvers": people, "audit": audit.id, "at": now_ms}
    dl.mark(writer, state_topic, held.record, {**outcome, **({"reason": reason} if reason else {})})
    for record in held.waiting:
        dl.mark(writer, state_topic, record, {"state": "released", "audit": audit.id, "at": now_ms})


def _released(held: Held, state: str, people: list[str]) -> dict[str, Any]:
    return {
        state: dl.where(held.record),
        "by": people,
        "rule": held.rule,
        "released": [dl.where(record) for record in held.waiting],
    }
