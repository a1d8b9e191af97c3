"""``retailsync serve``: the long-running producers, one command each."""

from __future__ import annotations

from typing import Annotated

import typer
import uvicorn

from producers.commerce import WebhookSettings, receiver_app
from producers.odoo import ChangeCaptureSettings, run_change_capture
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
    only once its event is on Kafka."""
    settings = WebhookSettings.load()
    uvicorn.run(
        receiver_app(load_settings(), settings),
        host=host or settings.webhook_host,
        port=settings.webhook_port if port is None else port,
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
    run_change_capture(
        load_settings(),
        OdooSettings.load(),
        ChangeCaptureSettings.load(),
        once=once,
        say=typer.echo,
    )
