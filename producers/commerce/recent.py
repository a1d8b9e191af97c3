"""The event ids published lately, so that a duplicate delivery is answered from memory."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class _Entry:
    delivered: asyncio.Future[None]
    added_at: float


class RecentDeliveries:
    """Event id -> the future of its delivery, for ``window_s`` and at most ``max_entries``.

    An entry is kept while its delivery is in flight or acknowledged, and dropped as soon as
    it fails, so that the platform's retry publishes again. In memory and per process: after
    a restart, or on another replica, a duplicate is published again with the same event id,
    and consumers drop it by that id.
    """

    def __init__(
        self,
        window_s: float,
        max_entries: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._window_s = window_s
        self._max_entries = max_entries
        self._clock = clock
        self._entries: OrderedDict[uuid.UUID, _Entry] = OrderedDict()

    def get(self, event_id: uuid.UUID) -> asyncio.Future[None] | None:
        self._expire()
        entry = self._entries.get(event_id)
        return entry.delivered if entry is not None else None

    def add(self, event_id: uuid.UUID, delivered: asyncio.Future[None]) -> None:
        if self._max_entries <= 0 or self._window_s <= 0:
            return
        self._entries[event_id] = _Entry(delivered, self._clock())
        self._entries.move_to_end(event_id)
        delivered.add_done_callback(lambda done: self._forget_failed(event_id, done))
        self._expire()

    def __len__(self) -> int:
        return len(self._entries)

    def _forget_failed(self, event_id: uuid.UUID, done: asyncio.Future[None]) -> None:
        entry = self._entries.get(event_id)
        failed = done.cancelled() or done.exception() is not None
        if failed and entry is not None and entry.delivered is done:
            del self._entries[event_id]

    def _expire(self) -> None:
        oldest_kept = self._clock() - self._window_s
        entries = self._entries
        while entries:
            event_id, entry = next(iter(entries.items()))
            if len(entries) <= self._max_entries and entry.added_at >= oldest_kept:
                break
            del entries[event_id]
