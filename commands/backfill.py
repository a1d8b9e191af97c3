"""``retailsync backfill orders``: a channel's orders placed before go-live, published
through the live path's mapping."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeRemainingColumn,
)

from commands.operating import ActorOption, ExecuteOption, argv, console, operator, table
from commands.reconcile import channels
from producers.backfill import AUDIT_ACTION, BackfillPlan, publish, writer_name
from producers.backfill.channels import order_source
from retailsync.errors import ConfigError
from retailsync.operate.audit import AuditRecord
from retailsync.operate.writer import ChangeWriter
from retailsync.serde import EventSerde
from retailsync.storefront import StorefrontSettings

app = typer.Typer(help="Publish what a channel holds from before go-live.", no_args_is_help=True)


def parse_since(value: str) -> datetime:
    """An ISO 8601 date or time; without an offset, UTC."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(
            "an ISO 8601 date or time, e.g. 2026-11-01 or 2026-11-01T08:00:00+01:00"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@app.command()
def orders(
    channel: Annotated[str, typer.Option(help="The channel's name in the channels file")],
    since: Annotated[
        datetime,
        typer.Option(parser=parse_since, metavar="DATE", help="Orders placed at or after this"),
    ],
    execute: ExecuteOption = False,
    actor: ActorOption = None,
) -> None:
    """Read the channel's orders placed since DATE through its API and publish each one's
    events as its webhooks (or the SFCC export) would: prints the plan, publishes with
    --execute. Re-running it, or a webhook of the same order, creates nothing twice."""
    known = {found.name: found for found in channels()}
    if channel not in known:
        raise ConfigError("channels", channel, f"no such channel ({', '.join(known) or 'none'})")
    context = operator()
    # One line per API call would drown the progress bar.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    timeout_s = StorefrontSettings.load().storefront_timeout_s
    with (
        order_source(known[channel], timeout_s=timeout_s) as source,
        Progress(SpinnerColumn(), TextColumn("{task.description}"), MofNCompleteColumn(),
                 console=console, transient=True) as progress,
    ):  # fmt: skip
        task = progress.add_task(f"reading {channel}'s orders", total=None)
        read = []
        for order in source.orders(since):
            read.append(order)
            progress.advance(task)
    plan = BackfillPlan(channel, since, read)
    table(
        f"Orders of {channel} since {since.isoformat()}",
        ["order", "placed", "events", "refused"],
        plan.rows(),
    )
    typer.echo(plan.summary())
    if not execute:
        typer.echo("Plan only: nothing published; add --execute.")
        return
    selection = {"channel": channel, "since": since.isoformat(), "orders": len(plan.taken)}
    audit = AuditRecord.new(AUDIT_ACTION, argv(), selection, actor)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeRemainingColumn())  # fmt: skip
    with (
        ChangeWriter(context.settings, writer_name(channel), context.operate.audit_topic) as writer,
        Progress(*columns, console=console, transient=True) as progress,
    ):
        task = progress.add_task("orders", total=len(plan.taken))
        published = publish(
            plan.orders,
            writer=writer,
            topology=context.topology,
            serde=EventSerde(context.serde),
            audit=audit,
            advanced=lambda done: progress.advance(task, done),
        )
    events = ", ".join(f"{count} {kind}" for kind, count in published.items()) or "no events"
    typer.echo(f"Published {events} of {len(plan.taken)} orders; audit record {audit.id}")
