"""``retailsync serve odoo-changes``: Odoo change capture until SIGTERM.

Without ``RETAILSYNC_ODOO_URL`` it starts the sandbox Odoo in-process and reads that, as
``make run`` does with every system that is not configured.
"""

from __future__ import annotations

import logging
import signal
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Annotated

import typer
from confluent_kafka import Producer
from pydantic import SecretStr

from producers.odoo.poller import Poller, producer_id
from producers.odoo.trigger import TriggerServer, trigger_app
from retailsync.events import default_schemas_dir, load_catalogue
from retailsync.odoo import OdooClient
from retailsync.serde import EventSerde, serde_for
from retailsync.settings import Settings, load_settings
from retailsync.telemetry import observe_gauge
from retailsync.topology import load_topology
from sandbox.odoo import SandboxOdoo


def odoo_changes(
    once: Annotated[
        bool, typer.Option("--once", help="poll every model once, print the lag and exit")
    ] = False,
) -> None:
    """Publish Odoo's changes as events, exactly once, until SIGTERM.

    Each page of changes is one Kafka transaction with the feed's checkpoint. An Odoo
    automation rule's "Send Webhook Notification" to /odoo/webhook makes it poll at once.
    """
    settings = load_settings()
    # A line per Odoo call would drown the one line per round that says what happened.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    with ExitStack() as stack:
        if settings.odoo_url is None:
            settings = stack.enter_context(_sandbox(settings))
        topology = load_topology(settings.topology_file)
        catalogue = load_catalogue(
            settings.schemas_dir or default_schemas_dir(settings.topology_file)
        )
        odoo = stack.enter_context(OdooClient.from_settings(settings))
        producer = Producer(settings.producer_config(transactional_id=producer_id(settings)))
        poller = Poller(
            settings, odoo, topology, EventSerde(serde_for(settings, catalogue, topology)), producer
        )
        poller.start()
        observe_gauge(
            "retailsync.odoo.lag",
            poller.lag.seconds,
            unit="s",
            description="now minus the oldest Odoo change not yet published",
        )
        if once:
            published = poller.poll()
            typer.echo(f"published {published} event(s); lag {poller.lag.seconds():.1f} s")
            return
        app = trigger_app(poller.wake, poller.lag.seconds, settings.odoo_trigger_token)
        server = TriggerServer(app, settings.odoo_trigger_host, settings.odoo_trigger_port)
        server.start()
        stack.callback(server.stop)
        typer.echo(f"polling Odoo; webhook trigger at {server.url}/odoo/webhook")
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda _signum, _frame: poller.stop())
        poller.run()


@contextmanager
def _sandbox(settings: Settings) -> Iterator[Settings]:
    with SandboxOdoo.running() as odoo:
        typer.echo(f"RETAILSYNC_ODOO_URL is not set: reading the sandbox Odoo at {odoo.url}")
        yield settings.model_copy(
            update={
                "odoo_url": odoo.url,
                "odoo_db": odoo.db,
                "odoo_protocol": "json2",
                "odoo_api_key": SecretStr(odoo.api_key),
            }
        )
