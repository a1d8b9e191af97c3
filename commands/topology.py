"""``retailsync topology``: compare topology.yaml with the live cluster, and reconcile."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
import yaml
from confluent_kafka.admin import AdminClient

from retailsync.kafka.security import check_connection
from retailsync.settings import load_settings
from retailsync.topology import Topology, load_topology
from retailsync.topology.apply import apply_plan
from retailsync.topology.export import strimzi_topics
from retailsync.topology.plan import Plan, make_plan, read_cluster

app = typer.Typer(help="Show and apply the differences between topology.yaml and the cluster.")

TopologyFile = Annotated[
    Path | None, typer.Option("--file", "-f", help="[default: RETAILSYNC_TOPOLOGY_FILE]")
]


def _plan(file: Path | None) -> tuple[AdminClient, Topology, Plan]:
    settings = load_settings()
    topology = load_topology(file or settings.topology_file)
    check_connection(settings)
    admin = AdminClient(settings.admin_config())
    return admin, topology, make_plan(topology, read_cluster(admin, topology.namespace))


def _print(plan: Plan) -> None:
    for change in plan.changes:
        for line in change.describe():
            typer.echo(line)
    typer.echo(plan.summary())


@app.command()
def validate(file: TopologyFile = None) -> None:
    """Check topology.yaml without contacting the cluster."""
    settings = load_settings()
    topology = load_topology(file or settings.topology_file)
    typer.echo(
        f"{topology.source}: {len(topology.topics)} topics, {len(topology.events)} events, "
        f"{len(topology.consumers)} consumer groups"
    )


@app.command()
def plan(file: TopologyFile = None) -> None:
    """Print what apply would create, alter or delete; changes nothing."""
    _, _, current_plan = _plan(file)
    _print(current_plan)


@app.command()
def apply(
    file: TopologyFile = None,
    allow_data_loss: Annotated[
        bool,
        typer.Option(help="Also delete undeclared topics and recreate shrunk ones (loses records)"),
    ] = False,
) -> None:
    """Make the cluster match topology.yaml; applying twice changes nothing."""
    admin, topology, current_plan = _plan(file)
    _print(current_plan)
    apply_plan(admin, topology, current_plan, allow_data_loss=allow_data_loss, report=typer.echo)


class ExportFormat(StrEnum):
    strimzi = "strimzi"


@app.command()
def export(
    output_format: Annotated[
        ExportFormat, typer.Option("--format", help="strimzi: KafkaTopic resources")
    ] = ExportFormat.strimzi,
    cluster: Annotated[
        str, typer.Option(help="the Strimzi Kafka cluster (label strimzi.io/cluster)")
    ] = "retail",
    file: TopologyFile = None,
) -> None:
    """Print every topic of topology.yaml as resources for another tool; needs no cluster."""
    settings = load_settings()
    topology = load_topology(file or settings.topology_file)
    typer.echo(yaml.safe_dump_all(strimzi_topics(topology, cluster), sort_keys=False), nl=False)
