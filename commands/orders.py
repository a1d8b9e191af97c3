"""``retailsync orders``: an order's lifecycle and the late orders, from the order-lifecycle
projection (no broker needed)."""

from __future__ import annotations

import time
from dataclasses import asdict
from typing import Annotated

import typer

from commands.lifecycle import checkpoints, follow_ups, late_rows, lines, open_store
from commands.operating import JsonOption, console, print_json, table
from consumers.order_lifecycle.checkpoints import CHECKPOINTS
from consumers.order_lifecycle.settings import LifecycleSettings
from consumers.order_lifecycle.store import LifecycleStore

app = typer.Typer(help="Orders as the order-lifecycle projection sees them.")


def _store() -> LifecycleStore:
    try:
        return open_store()
    except OSError as exc:
        typer.secho(f"error: {exc}", err=True, fg=typer.colors.RED)
        raise typer.Exit(2) from None


@app.command()
def show(
    order_ref: Annotated[str, typer.Argument(help="The order ref, e.g. shopify:1001")],
    as_json: JsonOption = False,
) -> None:
    """The order's checkpoints and its timeline: every event, every retry and dead letter
    of it, with the commands that show each record."""
    with _store() as store:
        order = store.order(order_ref)
        entries = store.timeline(order_ref)
    if order is None:
        typer.echo(f"no order {order_ref} in the projection", err=True)
        raise typer.Exit(1)
    timeline = lines(entries)
    commands = follow_ups(order_ref, entries)
    if as_json:
        print_json(
            {
                "order_ref": order_ref,
                "channel": order.channel,
                "checkpoints": dict(checkpoints(order)),
                "timeline": [asdict(line) for line in timeline],
                "commands": commands,
            }
        )
        return
    table(f"{order_ref} ({order.channel})", ["checkpoint", "reached"], checkpoints(order))
    table(
        "timeline",
        ["at", "what", "checkpoint", "record", "show it"],
        [(t.at, t.what, t.checkpoint, t.position, t.command) for t in timeline],
    )
    console.print("Look further (each only plans or reads):")
    for command in commands:
        console.print(f"  {command}", highlight=False, markup=False)


@app.command()
def late(
    checkpoint: Annotated[
        str | None, typer.Option(help=f"Only this checkpoint ({', '.join(CHECKPOINTS[1:])})")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Orders past a checkpoint's SLO: reached late, or still open and overdue."""
    if checkpoint is not None and checkpoint not in CHECKPOINTS:
        raise typer.BadParameter(f"one of {', '.join(CHECKPOINTS)}", param_hint="--checkpoint")
    settings = LifecycleSettings.load()
    with _store() as store:
        found = store.late(settings.slos, int(time.time() * 1000), checkpoint)
    rows = late_rows(found)
    if as_json:
        columns = ("order_ref", "channel", "checkpoint", "slo", "due", "reached")
        print_json([dict(zip(columns, row, strict=True)) for row in rows])
        return
    table(
        f"late orders ({len(rows)})",
        ["order", "channel", "checkpoint", "SLO", "due", "reached"],
        rows,
    )
