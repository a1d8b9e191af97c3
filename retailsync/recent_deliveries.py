"""The event ids published lately, so that a duplicate delivery is answered from memory."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable

from retailsync.publisher import PossiblyWrittenError


class RecentDeliveries:
    """The deliveries still waiting for their report, and the event ids acknowledged in the
    last ``window_s``, at most ``max_entries`` of them.

    A delivery in flight is kept until its report, however long that takes: its record may
    still be written, so a duplicate must wait for it rather than produce again. An
    acknowledged id is kept from its acknowledgement for the window; a failed delivery is
    dropped, so that the platform's retry publishes again, unless librdkafka gave up on a
    record it had sent: that one is kept for the window as possibly written, and the retry
    first looks whether the brokers hold it. In memory and per process: after a restart, or
    on another replica, a duplicate is published again with the same event id, and
    consumers drop it by that id.

    The acknowledged ids are ints and floats only, never an object per entry: the garbage
    collector then skips them, and a full collection does not grow with the window (with a
    future per entry, 60,000 entries made a 100 ms pause). The deliveries in flight are
    bounded by the producer's queue, the possibly written ones by stalls of the brokers.
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
        self._acknowledged_at: OrderedDict[int, float] = OrderedDict()  # uuid.int -> clock()
        self._in_flight: dict[int, asyncio.Future[None]] = {}
        self._possibly_written: OrderedDict[int, tuple[float, PossiblyWrittenError]] = OrderedDict()

    def in_flight(self, event_id: uuid.UUID) -> asyncio.Future[None] | None:
        """The delivery of ``event_id`` when it waits for its report."""
        return self._in_flight.get(event_id.int)

    def acknowledged(self, event_id: uuid.UUID) -> bool:
        """True when ``event_id`` was acknowledged within the window."""
        self._expire()
        return event_id.int in self._acknowledged_at

    def possibly_written(self, event_id: uuid.UUID) -> PossiblyWrittenError | None:
        """Where to look for ``event_id`` when librdkafka gave up on a record it had sent."""
        self._expire()
        found = self._possibly_written.get(event_id.int)
        return found[1] if found is not None else None

    def acknowledge(self, event_id: uuid.UUID) -> None:
        """Remember ``event_id`` as acknowledged: it was found on the topic."""
        key = event_id.int
        self._possibly_written.pop(key, None)
        self._acknowledged_at[key] = self._clock()
        self._acknowledged_at.move_to_end(key)
        self._expire()

    def add(self, event_id: uuid.UUID, delivered: asyncio.Future[None]) -> None:
        if self._max_entries <= 0 or self._window_s <= 0:
            return
        key = event_id.int
        self._possibly_written.pop(key, None)
        self._in_flight[key] = delivered
        delivered.add_done_callback(lambda done: self._settled(key, done))

    def __len__(self) -> int:
        return len(self._acknowledged_at) + len(self._in_flight) + len(self._possibly_written)

    def _settled(self, key: int, done: asyncio.Future[None]) -> None:
        if self._in_flight.get(key) is not done:
            return  # replaced by a newer delivery
        del self._in_flight[key]
        if done.cancelled():
            return
        failure = done.exception()
        if failure is None:
            self._acknowledged_at[key] = self._clock()
            self._acknowledged_at.move_to_end(key)
        elif isinstance(failure, PossiblyWrittenError):
            self._possibly_written[key] = (self._clock(), failure)
        self._expire()

    def _expire(self) -> None:
        oldest_kept = self._clock() - self._window_s
        acknowledged_at = self._acknowledged_at
        while acknowledged_at:
            key, at = next(iter(acknowledged_at.items()))
            if len(acknowledged_at) <= self._max_entries and at >= oldest_kept:
                break
            del acknowledged_at[key]
        possibly_written = self._possibly_written
        while possibly_written:
            key, (at, _) = next(iter(possibly_written.items()))
            if len(possibly_written) <= self._max_entries and at >= oldest_kept:
                break
            del possibly_written[key]
