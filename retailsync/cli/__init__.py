"""The ``retailsync`` command: one CLI for everything an operator does."""

from __future__ import annotations

import sys

import typer

from retailsync.errors import RetailsyncError

app = typer.Typer(
    name="retailsync",
    help="Keep Odoo and the storefronts in step through Avro events on Apache Kafka.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def main() -> None:
    """Console entry point: known errors print one clear line and exit 2."""
    try:
        app()
    except RetailsyncError as exc:
        typer.secho(f"error: {exc}", err=True, fg=typer.colors.RED)
        sys.exit(2)
