"""The versions a feed has published, so that each entity's versions only grow.

The poller re-reads the overlap window on every round, and reads the current state of
an entity whenever any record of it changed. For each entity (event type and
``source_ref``) it remembers the last version it published and a digest of that state:

- the same state again is not published again;
- a new state gets its ``write_date`` version, or one more than the last published if
  that one is as high already (a second state within one second of ``write_date``).

The entries travel in the feed's checkpoint, in the same Kafka transaction as the events,
so that a restarted poller makes the same decisions. An entry is kept while a re-read can
bring the entity back: until its version is older than its model's re-read window.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from retailsync.events import Event

_DIGEST_CHARS = 16


Entry = tuple[int, str]


class Versions:
    """Per watched model, per entity ``"<event type> <source_ref>"``: the last version
    published or seen again, and its digest.

    A feed may reach one entity through several models (a product through its variant and
    its template); each model keeps the entities its own re-read window can bring back.
    """

    def __init__(self, tables: Mapping[str, Mapping[str, Entry]] | None = None) -> None:
        self._tables = {model: dict(table) for model, table in (tables or {}).items()}

    def stamp(self, event: Event, model: str) -> Event | None:
        """``event``, read through ``model``, with the version to publish it under; None if
        that state is the one last published."""
        envelope = event.envelope
        key = f"{envelope.event_type} {envelope.source_ref}"
        digest = _digest(event)
        known = max((table[key] for table in self._tables.values() if key in table), default=None)
        table = self._tables.setdefault(model, {})
        version = envelope.source_version or 0
        if known is not None:
            if known[1] == digest:
                table[key] = known
                return None
            version = max(version, known[0] + 1)
        table[key] = (version, digest)
        if version == envelope.source_version:
            return event
        restamped = type(event).new_envelope(
            source=envelope.source,
            source_ref=envelope.source_ref,
            occurred_at=envelope.occurred_at,
            source_version=version,
        )
        return event.model_copy(update={"envelope": restamped})

    def prune(self, model: str, before_version: int) -> None:
        """Forget the entities of ``model`` last published or seen below ``before_version``."""
        table = self._tables.get(model, {})
        self._tables[model] = {
            key: entry for key, entry in table.items() if entry[0] >= before_version
        }

    def copy(self) -> Versions:
        return Versions(self._tables)

    def tables(self) -> dict[str, dict[str, Entry]]:
        return {model: dict(table) for model, table in self._tables.items()}

    def __len__(self) -> int:
        return sum(map(len, self._tables.values()))


def _digest(event: Event) -> str:
    content = event.model_dump_json(exclude={"envelope"})
    return hashlib.sha256(content.encode()).hexdigest()[:_DIGEST_CHARS]
