"""One SFCC site's order export: orders ready for export become events (order_created, and
payment_captured or order_cancelled as the order's state says), and are marked ``exported``
only once the brokers acknowledged them.

A round pages through the site's ``ready`` orders. Each page is mapped; what maps is
published and flushed (``Publisher.flush`` raises unless every event was acknowledged), and
only then are those orders marked ``exported``. A crash in between leaves them ``ready``:
the next round publishes them again under the same event ids (derived from the site and
the order number), which consumers drop. An order that cannot be taken (a field missing or
impossible) is written to the dead-letter topic with its JSON, then marked ``failed`` with
a note naming the field; the others on its page flow on.

Marked orders leave the ``ready`` set, so every page is read from offset 0 again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import pydantic

from producers.sfcc.dead_letters import Refused, dead_letter
from producers.sfcc.mapping import order_events, site_source
from producers.sfcc.published import PublishedIds
from retailsync.channels import Channel
from retailsync.errors import InvalidInputError
from retailsync.events import Event
from retailsync.kafka.producer import KafkaProducer
from retailsync.publisher import Publisher
from retailsync.sfcc import Order, SfccClient

log = logging.getLogger("retailsync.sfcc")
# Said on a failed order in its external status, for the merchant's staff.
FAILED_STATUS = "retailsync could not take this order: "


@dataclass(frozen=True, slots=True)
class Round:
    """What one round did: orders marked exported, and marked failed; exported orders
    whose change was published (``producers.sfcc.changes``)."""

    exported: int = 0
    failed: int = 0
    changed: int = 0

    def __add__(self, other: Round) -> Round:
        return Round(
            self.exported + other.exported,
            self.failed + other.failed,
            self.changed + other.changed,
        )


class SiteExport:
    """The export of one ``sfcc`` channel (one site)."""

    def __init__(
        self,
        channel: Channel,
        client: SfccClient,
        publisher: Publisher,
        dead_letters: KafkaProducer,
        *,
        dead_letter_topic: str,
        page_size: int,
        published: PublishedIds | None = None,
    ) -> None:
        """``published``: shared with the site's change poll, which then skips what the
        export published."""
        self.channel = channel
        self._client = client
        self._publisher = publisher
        self._dead_letters = dead_letters
        self._dead_letter_topic = dead_letter_topic
        self._page_size = page_size
        self._published = published or PublishedIds()
        self._source = site_source(channel.option("organization_id"), client.site_id)

    def run_once(self) -> Round:
        """Export every order that is ready now."""
        done = Round()
        seen: set[str] = set()
        while True:
            page = self._client.orders("ready", offset=0, limit=self._page_size)
            fresh = [order for order in page.orders if order.order_no not in seen]
            if not fresh:  # nothing, or only orders that stayed ready after we marked them
                return done
            seen |= {order.order_no for order in fresh}
            done += self._export(fresh)
            if len(page.orders) < self._page_size:
                return done

    def _export(self, orders: list[Order]) -> Round:
        taken: list[tuple[Order, tuple[Event, ...]]] = []
        refused: list[Refused] = []
        for order in orders:
            try:
                events = order_events(order.body, source=self._source, channel=self.channel.name)
                taken.append((order, events))
            except (pydantic.ValidationError, InvalidInputError) as exc:
                refused.append(Refused.of(order, exc))
        for _, events in taken:
            for event in events:
                self._publisher.publish(event)
        self._publisher.flush()
        self._published.add(event for _, events in taken for event in events)
        for order, _ in taken:
            self._client.set_export_status(order.order_no, "exported")
        if refused:
            # Durable before the order is marked failed: a crash in between re-polls it.
            dead_letter(self._dead_letters, self._dead_letter_topic, self.channel.name, refused)
        for refusal in refused:
            self._client.set_export_status(refusal.order.order_no, "failed")
            self._client.set_external_status(refusal.order.order_no, FAILED_STATUS + refusal.reason)
            log.warning(
                "%s order %s marked failed: %s",
                self.channel.name,
                refusal.order.order_no,
                refusal.reason,
            )
        return Round(exported=len(taken), failed=len(refused))
