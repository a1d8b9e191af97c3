"""``retailsync serve shopify-payouts``: every ``shopify`` channel's paid payouts, one round per
poll interval, until stopped."""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import ExitStack

from producers.payouts.poller import PayoutPoller
from producers.payouts.settings import PayoutSettings
from producers.payouts.source import PayoutSource
from retailsync.channels import Channel, Channels
from retailsync.errors import ConfigError
from retailsync.events import default_schemas_dir, load_catalogue
from retailsync.health import HealthServer
from retailsync.serde import EventSerde, serde_for
from retailsync.settings import Settings
from retailsync.storefront import StorefrontClient
from retailsync.topology import load_topology


def payout_channels(channels: Channels, payouts: PayoutSettings) -> tuple[Channel, ...]:
    """The shops to poll: the ``shopify`` channels, or those ``RETAILSYNC_PAYOUTS_CHANNELS``
    names."""
    shops = channels.of("shopify")
    if payouts.payouts_channels is not None:
        unknown = set(payouts.payouts_channels) - {shop.name for shop in shops}
        if unknown:
            raise ConfigError(
                "environment",
                "RETAILSYNC_PAYOUTS_CHANNELS",
                f"no shopify channel {sorted(unknown)}",
            )
        shops = tuple(shop for shop in shops if shop.name in payouts.payouts_channels)
    if not shops:
        raise ConfigError("environment", "RETAILSYNC_CHANNELS_FILE", "names no shopify channel")
    return shops


def run_shopify_payouts(
    settings: Settings,
    payouts: PayoutSettings,
    channels: Channels,
    *,
    once: bool,
    say: Callable[[str], None],
    stop: threading.Event | None = None,
) -> None:
    """Publish the shops' paid payouts until ``stop`` is set (or one round with ``once``)."""
    shops = payout_channels(channels, payouts)
    with ExitStack() as stack:
        topology = load_topology(settings.topology_file)
        catalogue = load_catalogue(
            settings.schemas_dir or default_schemas_dir(settings.topology_file)
        )
        serde = EventSerde(serde_for(settings, catalogue, topology))
        stack.callback(serde.close)  # after the poller's close: the stack unwinds in reverse
        sources = [
            (
                shop,
                PayoutSource(
                    stack.enter_context(StorefrontClient.from_channel(shop)),
                    payouts.payouts_page_size,
                ),
            )
            for shop in shops
        ]
        poller = PayoutPoller(settings, payouts, sources, topology=topology, serde=serde, stop=stop)
        stack.callback(poller.close)
        poller.start()
        if once:
            done = poller.poll()
            say(f"{done.published} payout(s) published, {done.refused} refused")
            return
        live, ready = poller.rounds.checks(
            settings.liveness_timeout_s, payouts.payouts_poll_interval_s
        )
        health = HealthServer(settings.http_host, settings.http_port, live=live, ready=ready)
        with health:
            say(
                f"publishing the paid payouts of {', '.join(shop.name for shop in shops)}; "
                f"health and metrics on {health.url}"
            )
            poller.run()
