"""``retailsync serve sfcc-orders``: every ``sfcc`` channel's order export and change poll
(``export``, ``changes``), one round of each per site per poll interval, until stopped;
``/healthz``, ``/readyz`` and ``/metrics`` on ``RETAILSYNC_HTTP_HOST:RETAILSYNC_HTTP_PORT``
meanwhile, as a consumer service's."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from typing import Protocol

from producers.sfcc.changes import SiteChanges
from producers.sfcc.export import Round, SiteExport
from producers.sfcc.published import PublishedIds
from producers.sfcc.settings import SfccOrdersSettings
from producers.sfcc.watermarks import Watermarks, checked_topic
from retailsync.channels import Channel, Channels
from retailsync.errors import ConfigError, PermanentError, TransientError
from retailsync.health import HealthServer, Rounds
from retailsync.kafka.producer import KafkaProducer
from retailsync.metrics import SFCC_ORDERS, SFCC_ROUNDS
from retailsync.publisher import Publisher
from retailsync.settings import Settings
from retailsync.sfcc import SfccClient
from retailsync.topology import load_topology

log = logging.getLogger("retailsync.sfcc")


def sfcc_channels(channels: Channels, export: SfccOrdersSettings) -> tuple[Channel, ...]:
    """The channels to export: the ``sfcc`` ones, or those ``RETAILSYNC_SFCC_CHANNELS`` names."""
    sites = channels.of("sfcc")
    if export.sfcc_channels is not None:
        unknown = set(export.sfcc_channels) - {site.name for site in sites}
        if unknown:
            raise ConfigError(
                "environment", "RETAILSYNC_SFCC_CHANNELS", f"no sfcc channel {sorted(unknown)}"
            )
        sites = tuple(site for site in sites if site.name in export.sfcc_channels)
    if not sites:
        raise ConfigError(
            "environment", "RETAILSYNC_CHANNELS_FILE", "names no channel of platform sfcc"
        )
    return sites


class SitePoll(Protocol):
    """A site's export or change poll."""

    @property
    def channel(self) -> Channel: ...

    def run_once(self) -> Round: ...


class Exporter:
    """Rounds over every site's polls; one site's outage never holds up the others."""

    def __init__(
        self, sites: Sequence[SitePoll], interval_s: float, stop: threading.Event | None = None
    ) -> None:
        self.sites = tuple(sites)
        self._interval_s = interval_s
        self._stop = stop or threading.Event()
        self.rounds = Rounds("export")

    def run_once(self) -> Round:
        done = Round()
        for site in self.sites:
            labels = {"channel": site.channel.name}
            try:
                result = site.run_once()
            except (TransientError, PermanentError) as exc:
                # The site, the brokers, or an order that vanished: the site's orders stay
                # ready (or exported), and the next round tries again; a ConfigError stops.
                log.warning(
                    "%s: export round failed, retried next round: %s", site.channel.name, exc
                )
                SFCC_ROUNDS.add(1, {**labels, "outcome": "failed"})
                continue
            finally:
                self.rounds.ended()
            SFCC_ROUNDS.add(1, {**labels, "outcome": "ok"})
            SFCC_ORDERS.add(result.exported, {**labels, "outcome": "exported"})
            SFCC_ORDERS.add(result.failed, {**labels, "outcome": "failed"})
            SFCC_ORDERS.add(result.changed, {**labels, "outcome": "changed"})
            if result.exported or result.failed or result.changed:
                log.info(
                    "%s: %d order(s) exported, %d failed, %d changed order(s) published",
                    site.channel.name, result.exported, result.failed, result.changed,
                )  # fmt: skip
            done += result
        self.rounds.whole()
        return done

    def run(self) -> None:
        while not self._stop.is_set():
            self.run_once()
            self._stop.wait(self._interval_s)

    def stop(self) -> None:
        self._stop.set()


def run_sfcc_orders(
    settings: Settings,
    export: SfccOrdersSettings,
    channels: Channels,
    *,
    once: bool,
    say: Callable[[str], None],
    stop: threading.Event | None = None,
) -> None:
    """Export the sites' orders until ``stop`` is set (or one round with ``once``)."""
    sites = sfcc_channels(channels, export)
    watermark_topic = checked_topic(
        export.sfcc_watermark_topic, load_topology(settings.topology_file)
    )
    with ExitStack() as stack:
        publisher = stack.enter_context(Publisher.from_settings(settings))
        # Dead letters, and the change polls' watermarks.
        records = stack.enter_context(KafkaProducer(settings, name="sfcc-orders"))
        watermarks = Watermarks(settings, records, watermark_topic)
        watermarks.load()
        polls: list[SitePoll] = []
        published = PublishedIds()
        for site in sites:
            client = stack.enter_context(
                SfccClient.from_channel(site, timeout_s=export.sfcc_timeout_s)
            )
            dead_letter_topic, page_size = export.sfcc_dead_letter_topic, export.sfcc_page_size
            polls += [
                SiteExport(
                    site, client, publisher, records,
                    dead_letter_topic=dead_letter_topic, page_size=page_size,
                    published=published,
                ),
                SiteChanges(
                    site, client, publisher, records, watermarks,
                    dead_letter_topic=dead_letter_topic, page_size=page_size,
                    settle_s=export.sfcc_changes_settle_s, published=published,
                ),
            ]  # fmt: skip
        exporter = Exporter(polls, export.sfcc_poll_interval_s, stop)
        if once:
            done = exporter.run_once()
            say(
                f"{done.exported} order(s) exported, {done.failed} failed, "
                f"{done.changed} changed order(s) published"
            )
            return
        live, ready = exporter.rounds.checks(
            settings.liveness_timeout_s, export.sfcc_poll_interval_s
        )
        health = HealthServer(settings.http_host, settings.http_port, live=live, ready=ready)
        with health:
            say(
                f"exporting the orders of {', '.join(site.name for site in sites)}; "
                f"health and metrics on {health.url}"
            )
            exporter.run()
