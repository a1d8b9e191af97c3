"""``retailsync serve``: the long-running producers, one command each."""

from __future__ import annotations

import signal
from typing import Annotated

import typer
import uvicorn
from starlette.types import ASGIApp

from producers.commerce import WebhookSettings, receiver_app
from producers.commerce.app import channels_from
from producers.ingest import ROUTES, IngestSettings, ingest_app
from producers.odoo import ChangeCaptureSettings, run_change_capture
from retailsync import telemetry
from retailsync.health import ok, with_endpoints
from retailsync.logs import identify
from retailsync.odoo import OdooSettings
from retailsync.settings import load_settings

app = typer.Typer(help="Run a producer service until SIGTERM.", no_args_is_help=True)


@app.command()
def webhooks(
    host: Annotated[
        str | None, typer.Option(help="address to listen on [default: RETAILSYNC_WEBHOOK_HOST]")
    ] = None,
    port: Annotated[
        int | None, typer.Option(help="port [default: RETAILSYNC_WEBHOOK_PORT]")
    ] = None,
) -> None:
    """Receive Shopify, WooCommerce and generic webhooks until SIGTERM; each is answered 2xx
    only once its event is on Kafka. /healthz, /readyz and /metrics answer on the same port."""
    settings = WebhookSettings.load()
    telemetry.configure("webhooks")
    identify("webhooks")
    _serve(
        receiver_app(load_settings(), settings),
        [f"/webhooks/{channel.name}" for channel in channels_from(settings)],
        host=host or settings.webhook_host,
        port=settings.webhook_port if port is None else port,
    )


@app.command()
def ingest(
    host: Annotated[
        str | None, typer.Option(help="address to listen on [default: RETAILSYNC_INGEST_HOST]")
    ] = None,
    port: Annotated[int | None, typer.Option(help="port [default: RETAILSYNC_INGEST_PORT]")] = None,
) -> None:
    """Take events from other teams' services over HTTP until SIGTERM.

    POST /events/EVENT_TYPE with a service's bearer token (RETAILSYNC_INGEST_TOKENS) is
    answered 202 only once the event is on Kafka. /healthz, /readyz and /metrics answer on
    the same port."""
    settings = IngestSettings.load()
    telemetry.configure("ingest")
    identify("ingest")
    _serve(
        ingest_app(load_settings(), settings),
        list(ROUTES),
        host=host or settings.ingest_host,
        port=settings.ingest_port if port is None else port,
    )


def _serve(app: ASGIApp, routes: list[str], *, host: str, port: int) -> None:
    """Serve ``app`` with /healthz, /readyz and /metrics beside ``routes`` until SIGTERM."""
    # uvicorn shuts down gracefully on SIGTERM, then raises the signal again for the handler
    # it found: with this one the process ends with 0, a clean stop, rather than 143.
    signal.signal(signal.SIGTERM, lambda _signum, _frame: None)
    uvicorn.run(
        with_endpoints(app, routes=[*routes, "/healthz", "/readyz"], live=ok),
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        server_header=False,
    )


@app.command(name="odoo-changes")
def odoo_changes(
    once: Annotated[
        bool, typer.Option("--once", help="poll every model once, print the lag and exit")
    ] = False,
) -> None:
    """Publish Odoo's changes as events, exactly once, until SIGTERM.

    Each page of changes is one Kafka transaction with the feed's checkpoint. An Odoo
    automation rule's "Send Webhook Notification" to /odoo/webhook makes it poll at once.
    Needs RETAILSYNC_ODOO_URL: only `retailsync run` starts a sandbox Odoo in its place.
    """
    telemetry.configure("odoo-changes")
    identify("odoo-changes")
    run_change_capture(
        load_settings(),
        OdooSettings.load(),
        ChangeCaptureSettings.load(),
        once=once,
        say=typer.echo,
    )
