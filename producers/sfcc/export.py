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
import time
from dataclasses import dataclass

import pydantic

from producers.sfcc.mapping import order_events, site_source
from retailsync.channels import Channel
from retailsync.errors import InvalidInputError
from retailsync.events import Event
from retailsync.events.parse import describe_problems
from retailsync.headers import CONTENT_TYPE, ERROR_CLASS, ERROR_MESSAGE, FIRST_FAILURE, GROUP
from retailsync.kafka.producer import KafkaProducer
from retailsync.publisher import Publisher
from retailsync.sfcc import Order, SfccClient

log = logging.getLogger("retailsync.sfcc")
SERVICE = "sfcc-orders"
NOTE_SUBJECT = "retailsync could not take this order"


@dataclass(frozen=True, slots=True)
class Refused:
    order: Order
    error_class: str
    reason: str


@dataclass(frozen=True, slots=True)
class Round:
    """What one round did: orders marked exported, and marked failed."""

    exported: int = 0
    failed: int = 0

    def __add__(self, other: Round) -> Round:
        return Round(self.exported + other.exported, self.failed + other.failed)


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
    ) -> None:
        self.channel = channel
        self._client = client
        self._publisher = publisher
        self._dead_letters = dead_letters
        self._dead_letter_topic = dead_letter_topic
        self._page_size = page_size
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
            except pydantic.ValidationError as exc:
                refused.append(Refused(order, type(exc).__name__, describe_problems(exc, "order")))
            except InvalidInputError as exc:
                refused.append(Refused(order, type(exc).__name__, str(exc)))
        for _, events in taken:
            for event in events:
                self._publisher.publish(event)
        self._publisher.flush()
        for order, _ in taken:
            self._client.set_export_status(order.order_no, "exported")
        if refused:
            self._dead_letter(refused)
        for refusal in refused:
            self._client.set_export_status(refusal.order.order_no, "failed")
            self._client.add_note(refusal.order.order_no, NOTE_SUBJECT, refusal.reason)
            log.warning(
                "%s order %s marked failed: %s",
                self.channel.name,
                refusal.order.order_no,
                refusal.reason,
            )
        return Round(exported=len(taken), failed=len(refused))

    def _dead_letter(self, refused: list[Refused]) -> None:
        now_ms = str(int(time.time() * 1000)).encode()
        for refusal in refused:
            self._dead_letters.produce(
                self._dead_letter_topic,
                key=f"{self.channel.name}:{refusal.order.order_no}".encode(),
                value=refusal.order.body,
                headers=[
                    (CONTENT_TYPE, b"application/json"),
                    (GROUP, SERVICE.encode()),
                    (ERROR_CLASS, refusal.error_class.encode()),
                    (ERROR_MESSAGE, refusal.reason.encode()),
                    (FIRST_FAILURE, now_ms),
                ],
            )
        # Durable before the order is marked failed: a crash in between re-polls it.
        self._dead_letters.flush(30.0)
