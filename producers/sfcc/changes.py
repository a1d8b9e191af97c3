"""One SFCC site's change poll: exported orders that changed afterwards (cancelled by the
merchant or an OMS, authorized, paid) become order_cancelled and payment events.

SCAPI sends no notice of a change; what it documents is the order listing filtered by
``lastModifiedDateFrom``/``lastModifiedDateTo`` and export status, sorted by
``last_modified_date``. A round reads the window from the site's watermark (``watermarks``)
to ``settle_s`` before now, ``exportStatus=exported`` only (an order never exported is the
export's business, with its state then), least recently modified first. Each page's events
(``mapping.change_events``) are published and flushed; once the whole window is read, the
watermark moves to its end. A crash before that reads the window again: the same changes,
the same event ids, which consumers drop. An order that cannot be read is dead-lettered
with its JSON; the others flow on. Events this process published lately (``published``:
the export's, after its own mark brings the order back) are not published again.

``settle_s`` keeps the window's end behind now, so that a change stamped just before the
end but listed a moment later (SFCC's clock behind ours, a write committed late) is still
in a window not read yet. The window's bounds are whole milliseconds, as SCAPI's stamps are;
it ends after the millisecond ``settle_s`` ago.

Paging is by keyset on ``lastModified`` (``paging``): an order written while the window is
read leaves it (its ``lastModified`` moves past the end), which would shift every later one
back by one under offset paging, and offsets end at 10,000.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pydantic

from producers.sfcc.dead_letters import Refused, dead_letter
from producers.sfcc.export import Round
from producers.sfcc.mapping import change_events, site_source
from producers.sfcc.paging import keyset_pages
from producers.sfcc.payloads import OrderStamp
from producers.sfcc.published import PublishedIds
from producers.sfcc.watermarks import Watermarks
from retailsync.channels import Channel
from retailsync.errors import InvalidInputError
from retailsync.events import Event
from retailsync.kafka.producer import KafkaProducer
from retailsync.publisher import Publisher
from retailsync.sfcc import Order, SfccClient

log = logging.getLogger("retailsync.sfcc")
_MS = timedelta(milliseconds=1)


class SiteChanges:
    """The change poll of one ``sfcc`` channel (one site)."""

    def __init__(
        self,
        channel: Channel,
        client: SfccClient,
        publisher: Publisher,
        dead_letters: KafkaProducer,
        watermarks: Watermarks,
        *,
        dead_letter_topic: str,
        page_size: int,
        settle_s: float,
        published: PublishedIds | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """``published``: the ids this process published lately (shared with the site's
        export), whose events are not published again."""
        self.channel = channel
        self._client = client
        self._publisher = publisher
        self._dead_letters = dead_letters
        self._watermarks = watermarks
        self._dead_letter_topic = dead_letter_topic
        self._page_size = page_size
        self._settle = timedelta(seconds=settle_s)
        self._published = published or PublishedIds()
        self._clock = clock
        self._source = site_source(channel.option("organization_id"), client.site_id)

    def run_once(self) -> Round:
        """Publish the changes since the watermark; the first round only sets it."""
        settled = datetime.fromtimestamp(self._clock(), UTC) - self._settle
        until = _whole_ms(settled) + _MS  # after the millisecond settle_s ago
        since = self._watermarks.get(self.channel.name)
        if since is None:
            log.info("%s: changes of exported orders are read from %s on", self.channel.name, until)
            self._watermarks.save(self.channel.name, until)
            return Round()
        if until <= since:
            return Round()
        changed = self._read(since, until)
        self._watermarks.save(self.channel.name, until)
        return Round(changed=changed)

    def _read(self, since: datetime, until: datetime) -> int:
        """Publish the changes stamped in [since, until); the orders published."""
        pages = keyset_pages(
            lambda cursor, skip: (
                self._client.changed_orders(
                    cursor, until, offset=skip, limit=self._page_size
                ).orders
            ),
            since,
            limit=self._page_size,
            stamp=_stamp,
        )
        return sum(self._publish(page) for page in pages)

    def _publish(self, orders: list[Order]) -> int:
        taken: list[Event] = []
        published = 0
        refused: list[Refused] = []
        for order in orders:
            try:
                events = change_events(order.body, source=self._source, channel=self.channel.name)
            except (pydantic.ValidationError, InvalidInputError) as exc:
                refused.append(Refused.of(order, exc))
                continue
            fresh = self._published.unpublished(events)
            for event in fresh:
                self._publisher.publish(event)
            taken += fresh
            published += bool(fresh)
        self._publisher.flush()
        self._published.add(taken)
        if refused:
            dead_letter(self._dead_letters, self._dead_letter_topic, self.channel.name, refused)
        for refusal in refused:
            log.warning(
                "%s: the change of order %s dead-lettered: %s",
                self.channel.name, refusal.order.order_no, refusal.reason,
            )  # fmt: skip
        return published


def _stamp(order: Order) -> datetime | None:
    """When the order last changed, if its JSON says so."""
    try:
        return OrderStamp.model_validate_json(order.body).last_modified
    except pydantic.ValidationError:
        return None


def _whole_ms(moment: datetime) -> datetime:
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)
