"""A backfill's plan: the orders it read and the events it would publish, counted."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from producers.backfill.source import ChannelOrder


@dataclass(frozen=True, slots=True)
class BackfillPlan:
    """The orders of ``channel`` placed since ``since``, as read."""

    channel: str
    since: datetime
    orders: Sequence[ChannelOrder]

    @property
    def taken(self) -> list[ChannelOrder]:
        """The orders that map to events: what ``--execute`` publishes."""
        return [order for order in self.orders if order.refused is None]

    @property
    def refused(self) -> list[ChannelOrder]:
        return [order for order in self.orders if order.refused is not None]

    def events_by_type(self) -> dict[str, int]:
        """How many events of each type it publishes, in the order they first appear."""
        counts = Counter(
            event.envelope.event_type for order in self.taken for event in order.events
        )
        return dict(counts)

    def rows(self) -> list[tuple[str, str | None, str, str | None]]:
        """Per order: its ref (marked when a test order), when it was placed, its events'
        types and why it was refused."""
        return [
            (
                order.order_ref + (" (test)" if order.test else ""),
                order.created_at.isoformat() if order.created_at else None,
                ", ".join(event.envelope.event_type for event in order.events),
                order.refused,
            )
            for order in self.orders
        ]

    def summary(self) -> str:
        """One line: orders read, events by type, test orders and refusals."""
        events = ", ".join(f"{count} {kind}" for kind, count in self.events_by_type().items())
        tests = sum(order.test for order in self.taken)
        line = (
            f"{len(self.orders)} orders of {self.channel} placed since "
            f"{self.since.isoformat()}: {len(self.taken)} to publish"
            f" ({events or 'no events'})"
        )
        if tests:
            line += f", {tests} of them test orders"
        if self.refused:
            line += f"; {len(self.refused)} refused"
        return line
