"""``retailsync serve``: the long-running producers, one command each."""

from __future__ import annotations

import typer

from producers.commerce.cli import webhooks
from producers.odoo.cli import odoo_changes

app = typer.Typer(help="Run a producer service until SIGTERM.", no_args_is_help=True)
app.command()(webhooks)
app.command(name="odoo-changes")(odoo_changes)
