"""The change-capture loop: Odoo's changes to events, each page one Kafka transaction.

For each feed and each model it watches, the poller walks the changes since the feed's
cursor (minus the overlap window, see :func:`retailsync.odoo.iter_changes`), builds the
events of each page, drops the states it already published (:mod:`versions`), and commits
the rest together with the feed's new checkpoint in one transaction. A failure aborts the
transaction and the next round starts again from the last committed checkpoint, so
``read_committed`` readers see every change once: a crash anywhere loses nothing and
repeats nothing. The ``transactional.id`` is stable per instance, so a restarted instance
fences the one it replaces and aborts what that one left open before reading its
checkpoint.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Iterable

from confluent_kafka import KafkaException

from producers.odoo.checkpoint import Checkpoint, checked_topic, checkpoint_key, read_checkpoints
from producers.odoo.feeds import Feed, Watch, selected
from producers.odoo.lag import Lag
from producers.odoo.mapping import MICROS, base_version, changed_at
from producers.odoo.schedule import Schedule, intervals
from producers.odoo.settings import ChangeCaptureSettings
from retailsync import telemetry
from retailsync.errors import TransientError
from retailsync.events import Event, Source, SourceSystem
from retailsync.kafka.producer import KafkaProducer
from retailsync.odoo import ChangeCursor, ChangePage, OdooClient, iter_changes
from retailsync.publisher import event_record
from retailsync.serde import EventSerde
from retailsync.settings import Settings
from retailsync.topology import Topology

log = logging.getLogger("retailsync.odoo_changes")

_BACKOFF_S = (0.5, 30.0)


def producer_id(capture: ChangeCaptureSettings, instance: str) -> str:
    """The transactional.id of the change capture of the Odoo database ``instance``."""
    return capture.odoo_producer_id or f"odoo-changes-{instance}"


class Poller:
    """Publishes the events of Odoo's changes; ``start`` once, then ``poll`` or ``run``."""

    def __init__(
        self,
        settings: Settings,
        capture: ChangeCaptureSettings,
        *,
        odoo: OdooClient,
        instance: str,
        topology: Topology,
        serde: EventSerde,
    ) -> None:
        """``instance`` names the Odoo database (``OdooSettings.instance``). The poller owns
        its transactional producer (``producer_id``): ``close`` it when done."""
        self._settings = settings
        self._capture = capture
        self._odoo = odoo
        self._topology = topology
        self._serde = serde
        self._producer = KafkaProducer(
            settings, name="odoo-changes", transactional_id=producer_id(capture, instance)
        )
        self._topic = checked_topic(capture, topology)
        self._db = instance
        self._source = Source(system=SourceSystem.ODOO, instance=self._db)
        self.feeds: tuple[Feed, ...] = selected(capture.odoo_models)
        self._schedule = Schedule(
            intervals(
                [feed.name for feed in self.feeds],
                capture.odoo_poll_interval_s,
                capture.odoo_poll_intervals,
            )
        )
        self._checkpoints: dict[str, Checkpoint] = {}
        self.lag = Lag(watch.model for feed in self.feeds for watch in feed.watches)
        self._wake = threading.Event()
        self._stopped = threading.Event()

    def start(self) -> None:
        """Fence any earlier instance, then read where each feed stands."""
        self._producer.init_transactions()
        self._checkpoints = read_checkpoints(self._settings, self._topic, self._db)
        for checkpoint in self._checkpoints.values():
            for model, cursor in checkpoint.cursors.items():
                self.lag.since(model, changed_at(cursor.write_date).timestamp())

    def wake(self) -> None:
        """Poll now instead of at the end of the interval (Odoo's webhook calls this)."""
        self._wake.set()

    def close(self) -> None:
        """Close the producer (records of an open transaction are aborted by the brokers)."""
        self._producer.close()

    def stop(self) -> None:
        """End ``run`` after the page in flight is committed or aborted."""
        self._stopped.set()
        self._wake.set()

    def run(self) -> None:
        """Poll each feed at its interval, and every feed when woken, until ``stop``."""
        failures = 0
        while not self._stopped.is_set():
            woken = self._wake.is_set()
            self._wake.clear()
            now = time.monotonic()
            names = self._schedule.due(now)
            feeds = self.feeds if woken else [f for f in self.feeds if f.name in names]
            try:
                published = self.poll(feeds)
                self._schedule.polled([feed.name for feed in feeds], now)
                delay = self._schedule.wait(time.monotonic())
                failures = 0
                # An idle round is the norm: only rounds that published say so at INFO.
                level = logging.INFO if published else logging.DEBUG
                log.log(level, "published %d event(s); lag %.1f s", published, self.lag.seconds())
            except (TransientError, KafkaException) as exc:
                if isinstance(exc, KafkaException) and exc.args[0].fatal():
                    raise
                failures += 1
                # Jittered, so that instances behind one outage do not retry in step.
                delay = min(_BACKOFF_S[1], _BACKOFF_S[0] * 2**failures) * random.uniform(0.5, 1)  # noqa: S311
                log.warning(
                    "round failed (%s); again from the last checkpoint in %.1f s", exc, delay
                )
            self._wake.wait(delay)

    def poll(self, feeds: Iterable[Feed] | None = None) -> int:
        """One round over ``feeds`` (None: every feed); the number of events published."""
        return sum(
            self._poll_watch(feed, watch)
            for feed in (self.feeds if feeds is None else feeds)
            for watch in feed.watches
            if not self._stopped.is_set()
        )

    def _poll_watch(self, feed: Feed, watch: Watch) -> int:
        # One trace per model and round: its events carry it to the consumers' calls.
        with telemetry.span(f"poll {watch.model}", {"odoo.model": watch.model}):
            return self._poll_pages(feed, watch)

    def _poll_pages(self, feed: Feed, watch: Watch) -> int:
        started = self.lag.now()
        published = 0
        cursors = self._checkpoint(feed).cursors
        since = cursors.get(watch.model)
        start = cursors.get(watch.starts_with) if watch.starts_with else None
        if since is None and start is not None:
            # From the start of its second: the cursor's id is another model's.
            since = ChangeCursor(start.write_date, 0)
        pages = iter_changes(
            self._odoo,
            watch.model,
            watch.fields,
            since=since,
            domain=watch.domain,
            overlap_s=self._capture.odoo_overlap_s,
            page_size=self._capture.odoo_page_size,
            context=watch.context,
        )
        for page in pages:
            published += self._publish(feed, watch, page)
            self.lag.seen(watch.model, changed_at(page.cursor.write_date).timestamp())
            if self._stopped.is_set():
                return published
        self.lag.seen(watch.model, started)
        return published

    def _checkpoint(self, feed: Feed) -> Checkpoint:
        return self._checkpoints.get(feed.name) or Checkpoint()

    def _publish(self, feed: Feed, watch: Watch, page: ChangePage) -> int:
        current = self._checkpoint(feed)
        versions = current.versions.copy()
        built = feed.build(self._odoo, self._source, watch.model, page.records)
        stamped = (versions.stamp(event, watch.model) for event in built)
        events = [event for event in stamped if event is not None]
        previous = current.cursors.get(watch.model)
        # A re-read of the overlap window must not move the cursor back.
        cursor = max(page.cursor, previous) if previous is not None else page.cursor
        # Nothing new to keep, not even an entity seen again through another model.
        if not events and cursor == previous and versions.tables() == current.versions.tables():
            return 0
        cursors = {**current.cursors, watch.model: cursor}
        versions.prune(watch.model, self._window_start(cursor))
        checkpoint = Checkpoint(cursors, versions)
        self._commit(events, checkpoint_key(self._db, feed.name), checkpoint)
        self._checkpoints[feed.name] = checkpoint
        return len(events)

    def _window_start(self, cursor: ChangeCursor) -> int:
        """The lowest version a re-read of the overlap window after ``cursor`` can bring back."""
        overlap = int((self._capture.odoo_overlap_s + 1) * MICROS)
        return base_version(cursor.write_date) - overlap

    def _commit(self, events: list[Event], key: bytes, checkpoint: Checkpoint) -> None:
        producer = self._producer
        producer.begin_transaction()
        try:
            for event in events:
                record = event_record(event, self._topology, self._serde)
                producer.produce(
                    record.topic, key=record.key, value=record.value, headers=record.headers
                )
            producer.produce(self._topic, key=key, value=checkpoint.encode(), headers=[])
            producer.commit_transaction()
        except BaseException:
            producer.abort_transaction()
            raise
