"""The ``retailsync`` command: one CLI for everything an operator does."""

from __future__ import annotations

import logging
import sys

import typer
from confluent_kafka import KafkaException

from commands import backfill, broker, dlt, held, orders, reconcile, schemas, serve, sync, topology
from commands.asyncapi import asyncapi
from commands.audit import audit
from commands.consume import consume
from commands.lag import lag
from commands.publish import publish
from commands.replay import replay
from commands.run import run
from commands.status import status
from commands.tail import tail
from retailsync.errors import RetailsyncError
from retailsync.logs import configure_logging
from retailsync.settings import load_settings

app = typer.Typer(
    name="retailsync",
    help="Keep Odoo and the storefronts in step through Avro events on Apache Kafka.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(broker.app, name="broker")
app.add_typer(topology.app, name="topology")
app.add_typer(schemas.app, name="schemas")
app.add_typer(serve.app, name="serve")
app.add_typer(dlt.app, name="dlt")
app.add_typer(reconcile.app, name="reconcile")
app.add_typer(orders.app, name="orders")
app.add_typer(held.app, name="held")
app.add_typer(sync.app, name="sync")
app.add_typer(backfill.app, name="backfill")
app.command()(run)
app.command()(consume)
app.command()(publish)
app.command()(lag)
app.command()(audit)
app.command()(asyncapi)
app.command()(tail)
app.command()(replay)
app.command()(status)


def main() -> None:
    """Console entry point: known errors print one clear line and exit 2."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # One line per HTTP request to Odoo or the storefront buries what matters.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    try:
        settings = load_settings()
        configure_logging(settings.log_level, settings.log_format)
        app()
    except RetailsyncError as exc:
        typer.secho(f"error: {exc}", err=True, fg=typer.colors.RED)
        sys.exit(2)
    except KafkaException as exc:
        # What the brokers answered, as one line: the operator acts on it, not on a trace.
        typer.secho(f"error: Kafka: {exc.args[0].str()}", err=True, fg=typer.colors.RED)
        sys.exit(2)
