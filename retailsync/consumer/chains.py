"""Key-ordered retries: the records of one key parked in the retry path, in source order.

Per source partition, a chain per key lists the records of that key that are in the retry
topics, in source-offset order, with the retry level each sits in. The head of a chain is
the record being retried; the others wait behind it and are applied after it. A new record
of a parked key joins at the level of the chain's tail, so every level keeps the chain's
order, and a waiting record read from a level lower than a predecessor's moves up to it.

The chains are rebuilt after a restart or rebalance from the retry topics themselves: the
records between the retry group's committed offset and the end of each retry partition
are exactly the parked ones.

A key can also be held: a record of it broke a publishing rule and waits in the group's held
topic for a person; later records of the key join it there until the operator's release
(the held record's copy, approved or rejected) comes back through the retry path.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass


@dataclass(slots=True)
class Entry:
    offset: int
    level: int


class KeyChains:
    """The parked chains of one source partition."""

    def __init__(self) -> None:
        self._chains: dict[bytes, list[Entry]] = {}
        self._held: set[bytes] = set()

    def hold(self, key: bytes) -> None:
        self._held.add(key)

    def release(self, key: bytes) -> None:
        self._held.discard(key)

    def is_held(self, key: bytes) -> bool:
        return key in self._held

    def __len__(self) -> int:
        return sum(len(chain) for chain in self._chains.values())

    def parked(self, key: bytes) -> bool:
        return key in self._chains

    def quiet(self, key: bytes) -> bool:
        """Neither parked nor held: a record of it from the topic goes to its handler."""
        return key not in self._chains and key not in self._held

    def add(self, key: bytes, offset: int, level: int) -> None:
        chain = self._chains.setdefault(key, [])
        existing = self.find(key, offset)
        if existing is not None:
            # The same record twice (re-read after a crash): keep the copy furthest along.
            existing.level = max(existing.level, level)
            return
        bisect.insort(chain, Entry(offset, level), key=lambda entry: entry.offset)

    def find(self, key: bytes, offset: int) -> Entry | None:
        for entry in self._chains.get(key, ()):
            if entry.offset == offset:
                return entry
        return None

    def is_head(self, key: bytes, offset: int) -> bool:
        chain = self._chains.get(key, [])
        return bool(chain) and chain[0].offset == offset

    def level_ahead(self, key: bytes, offset: int) -> int:
        """The highest level of the records ahead of ``offset`` in its chain (-1: none)."""
        return max((e.level for e in self._chains.get(key, ()) if e.offset < offset), default=-1)

    def tail_level(self, key: bytes) -> int:
        return self._chains[key][-1].level

    def remove(self, key: bytes, offset: int) -> None:
        chain = self._chains.get(key, [])
        chain[:] = [entry for entry in chain if entry.offset != offset]
        if not chain:
            self._chains.pop(key, None)
