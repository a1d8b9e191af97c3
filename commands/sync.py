"""``retailsync sync catalog --full``: publish every sellable product and price again."""

from __future__ import annotations

import logging
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from commands.operating import ActorOption, ExecuteOption, argv, console, operator
from producers.odoo import full_sync
from retailsync.errors import ConfigError
from retailsync.events import Source, SourceSystem
from retailsync.odoo import OdooClient, OdooSettings
from retailsync.operate.audit import AuditRecord
from retailsync.operate.writer import ChangeWriter
from retailsync.serde import EventSerde

app = typer.Typer(help="Publish Odoo's state again, so that drift heals.", no_args_is_help=True)


@app.command()
def catalog(
    full: Annotated[
        bool, typer.Option("--full", help="Every sellable product and its prices (required)")
    ] = False,
    execute: ExecuteOption = False,
    actor: ActorOption = None,
) -> None:
    """Republish product_upserted for every sellable Odoo product and price_changed for its
    list price and every active pricelist; prints the plan, publishes with --execute."""
    if not full:
        raise typer.BadParameter("only a full pass is known", param_hint="--full")
    odoo_settings = OdooSettings.load()
    if odoo_settings.odoo_url is None:
        raise ConfigError("environment", "RETAILSYNC_ODOO_URL", "required to read the catalog")
    context = operator()
    # One line per Odoo call would drown the progress bar.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    with OdooClient.from_settings(odoo_settings) as odoo:
        plan = full_sync.plan(odoo)
        typer.echo(
            f"{len(plan.product_ids)} sellable products: {len(plan.product_ids)} product_upserted "
            f"and up to {plan.prices} price_changed (list price and {plan.pricelists} pricelists)"
        )
        if not execute:
            typer.echo("Plan only: nothing published; add --execute.")
            return
        audit = AuditRecord.new(
            full_sync.AUDIT_ACTION, argv(), {"products": len(plan.product_ids)}, actor
        )
        source = Source(system=SourceSystem.ODOO, instance=odoo_settings.instance)
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                   TimeRemainingColumn())  # fmt: skip
        with (
            ChangeWriter(context.settings, full_sync.WRITER, context.operate.audit_topic) as writer,
            Progress(*columns, console=console, transient=True) as progress,
        ):
            task = progress.add_task("products", total=len(plan.product_ids))
            done = full_sync.full_pass(
                odoo,
                source,
                plan,
                writer=writer,
                topology=context.topology,
                serde=EventSerde(context.serde),
                audit=audit,
                advanced=lambda products: progress.advance(task, products),
            )
    typer.echo(
        f"Published {done.products} product_upserted and {done.prices} price_changed; "
        f"audit record {audit.id}"
    )
