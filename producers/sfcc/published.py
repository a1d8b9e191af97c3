"""The event ids the SFCC export and change poll published lately, in memory.

An exported order is read again by the change poll after every write to it, the export's
own mark and a shipping status included, and its state then says what was published
already: a paid order's capture. Its events keep their ids, so consumers would drop them;
remembering the ids spares them that. Only the latest ``size`` ids are kept, and none across
a restart: an order read again then is published again, under the same ids.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable

from retailsync.events import Event

SIZE = 50_000  # some hours of events of a busy site; an int each


class PublishedIds:
    """The ids of the latest ``size`` events published."""

    def __init__(self, size: int = SIZE) -> None:
        self._size = size
        self._ids: OrderedDict[int, None] = OrderedDict()

    def unpublished(self, events: Iterable[Event]) -> list[Event]:
        """``events`` but those published lately."""
        return [event for event in events if event.envelope.event_id.int not in self._ids]

    def add(self, events: Iterable[Event]) -> None:
        """Remember ``events`` as published (the brokers acknowledged them)."""
        for event in events:
            self._ids[event.envelope.event_id.int] = None
            self._ids.move_to_end(event.envelope.event_id.int)
        while len(self._ids) > self._size:
            self._ids.popitem(last=False)
