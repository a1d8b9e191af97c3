"""Odoo change capture as a service: the poller, its trigger endpoint and its lag gauge,
wired from settings and run until stopped."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from contextlib import ExitStack

from producers.odoo import full_sync
from producers.odoo.poller import Poller
from producers.odoo.settings import ChangeCaptureSettings
from producers.odoo.trigger import TriggerServer, trigger_app
from retailsync.errors import ConfigError
from retailsync.events import Source, SourceSystem, default_schemas_dir, load_catalogue
from retailsync.health import ok, with_endpoints
from retailsync.odoo import OdooClient, OdooSettings
from retailsync.operate.audit import AuditRecord
from retailsync.operate.settings import OperateSettings
from retailsync.operate.writer import ChangeWriter
from retailsync.serde import EventSerde, serde_for
from retailsync.settings import Settings
from retailsync.telemetry import observe_gauge
from retailsync.topology import Topology, load_topology

log = logging.getLogger("retailsync.odoo_changes")
# How long a stopping service waits for a full pass in flight (the rest is aborted).
_PASS_STOP_S = 30.0


def run_change_capture(
    settings: Settings,
    odoo_settings: OdooSettings,
    capture: ChangeCaptureSettings,
    *,
    once: bool,
    say: Callable[[str], None],
) -> None:
    """Poll Odoo and publish its changes until SIGTERM (or one round with ``once``).

    A service never starts a stand-in on its own: without ``RETAILSYNC_ODOO_URL`` it stops
    with a ConfigError; ``retailsync run`` is what starts a sandbox Odoo in its place.
    """
    if odoo_settings.odoo_url is None:
        raise ConfigError(
            "environment",
            "RETAILSYNC_ODOO_URL",
            "required (only `retailsync run` starts a sandbox Odoo when it is not set)",
        )
    # A line per Odoo call would drown the one line per round that says what happened.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    with ExitStack() as stack:
        topology = load_topology(settings.topology_file)
        catalogue = load_catalogue(
            settings.schemas_dir or default_schemas_dir(settings.topology_file)
        )
        odoo = stack.enter_context(OdooClient.from_settings(odoo_settings))
        serde = EventSerde(serde_for(settings, catalogue, topology))
        stack.callback(serde.close)  # after the poller's close: the stack unwinds in reverse
        poller = Poller(
            settings,
            capture,
            odoo=odoo,
            instance=odoo_settings.instance,
            topology=topology,
            serde=serde,
        )
        stack.callback(poller.close)
        poller.start()
        observe_gauge(
            "retailsync.odoo.lag",
            poller.lag.seconds,
            unit="s",
            description="now minus the oldest Odoo change not yet published",
        )
        if once:
            published = poller.poll()
            say(f"published {published} event(s); lag {poller.lag.seconds():.1f} s")
            return
        app = with_endpoints(
            trigger_app(poller.wake, poller.lag.seconds, capture.odoo_trigger_token),
            routes=("/odoo/webhook", "/lag"),
            live=ok,
            ready=ok,  # it serves once the checkpoints are read and the producer is fenced
        )
        server = TriggerServer(app, capture.odoo_trigger_host, capture.odoo_trigger_port)
        server.start()
        stack.callback(server.stop)
        say(f"polling Odoo; webhook trigger at {server.url}/odoo/webhook")
        if capture.odoo_full_sync_interval_s is not None:
            # Its own serde: the passes encode on their own thread, beside the poller's.
            pass_serde = EventSerde(serde_for(settings, catalogue, topology))
            stack.callback(pass_serde.close)
            stopped = threading.Event()
            passes = threading.Thread(
                target=full_passes,
                args=(settings, odoo_settings, capture.odoo_full_sync_interval_s, stopped),
                kwargs={"topology": topology, "serde": pass_serde},
                name="odoo-full-sync",
                daemon=True,  # a pass cut short at exit leaves whole pages: harmless
            )
            passes.start()
            stack.callback(passes.join, _PASS_STOP_S)
            stack.callback(stopped.set)
            say(f"a full catalog pass every {capture.odoo_full_sync_interval_s:g} s")
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda _signum, _frame: poller.stop())
        poller.run()


def full_passes(
    settings: Settings,
    odoo_settings: OdooSettings,
    interval_s: float,
    stopped: threading.Event,
    *,
    topology: Topology,
    serde: EventSerde,
) -> None:
    """``retailsync sync catalog --full --execute`` every ``interval_s`` (the first after one
    interval) until ``stopped``, beside the poller: its own Odoo client and producer, so the
    change feeds keep their pace. A pass that fails is logged and tried at the next interval.
    """
    audit_topic = OperateSettings.load().audit_topic
    source = Source(system=SourceSystem.ODOO, instance=odoo_settings.instance)
    while not stopped.wait(interval_s):
        audit = AuditRecord.new(
            full_sync.AUDIT_ACTION, ["retailsync", "serve", "odoo-changes"], {}, "odoo-changes"
        )
        try:
            with (
                OdooClient.from_settings(odoo_settings) as odoo,
                ChangeWriter(settings, full_sync.WRITER, audit_topic) as writer,
            ):
                done = full_sync.full_pass(
                    odoo,
                    source,
                    full_sync.plan(odoo),
                    writer=writer,
                    topology=topology,
                    serde=serde,
                    audit=audit,
                )
            log.info("full catalog pass: %d products, %d prices", done.products, done.prices)
        except Exception:
            log.exception("full catalog pass failed; again in %g s", interval_s)
