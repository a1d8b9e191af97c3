"""The audit trail: one record per executed operator change, in the audit topic.

A record says who (the OS user, or ``--actor``), when, the command line, what was selected,
and what changed: offsets before and after, or the records moved with their positions.
"""

from __future__ import annotations

import getpass
import json
import shlex
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from retailsync.operate.reader import TopicReader


@dataclass(frozen=True)
class AuditRecord:
    """One executed change; ``changes`` are JSON objects, e.g. a partition's offsets."""

    action: str
    actor: str
    command: str
    selection: Mapping[str, Any]
    changes: Sequence[Mapping[str, Any]] = ()
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))

    @classmethod
    def new(
        cls, action: str, argv: Sequence[str], selection: Mapping[str, Any], actor: str | None
    ) -> AuditRecord:
        """A record for ``action`` run as ``argv`` by ``actor`` (default: the OS user)."""
        return cls(
            action=action,
            actor=actor or getpass.getuser(),
            command=shlex.join(argv),
            selection=dict(selection),
        )

    def with_changes(self, changes: Sequence[Mapping[str, Any]]) -> AuditRecord:
        return AuditRecord(**{**asdict(self), "changes": list(changes)})

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), default=str, separators=(",", ":")).encode()

    @classmethod
    def from_json(cls, value: bytes) -> AuditRecord:
        return cls(**json.loads(value))


def read_audit(reader: TopicReader, topic: str) -> Iterator[AuditRecord]:
    """Every audit record still in ``topic``, oldest first."""
    ranges = {partition: reader.watermarks(partition) for partition in reader.partitions(topic)}
    records = [AuditRecord.from_json(r.value) for r in reader.read(ranges) if r.value]
    yield from sorted(records, key=lambda record: record.at)
