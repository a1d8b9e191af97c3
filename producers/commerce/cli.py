"""``retailsync serve webhooks``: the signed-webhook receiver, served by uvicorn."""

from __future__ import annotations

from typing import Annotated

import typer
import uvicorn

from producers.commerce.app import receiver_app
from retailsync.settings import load_settings


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
    settings = load_settings()
    uvicorn.run(
        receiver_app(settings),
        host=host or settings.webhook_host,
        port=settings.webhook_port if port is None else port,
        log_config=None,
        access_log=False,
        server_header=False,
    )
