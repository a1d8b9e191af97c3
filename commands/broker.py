"""``retailsync broker``: run a real Apache Kafka cluster on this machine."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from retailsync.broker import LocalCluster, resolve_kafka
from retailsync.broker.security import SecurityMode
from retailsync.broker.tools import TOOL_CLASSES, run_tool
from retailsync.settings import load_settings

app = typer.Typer(help="Run a local Apache Kafka cluster (KRaft) from jars Maven resolves.")
_err = Console(stderr=True)

DataDir = Annotated[
    Path | None,
    typer.Option(help="Where the cluster keeps its state [default: RETAILSYNC_BROKER_DATA_DIR]"),
]
NodeId = Annotated[int | None, typer.Option("--node", help="Only this node (1, 2 or 3)")]


def _existing(data_dir: Path | None) -> LocalCluster:
    settings = load_settings()
    return LocalCluster.existing(data_dir or settings.broker_data_dir, cache_dir=settings.cache_dir)


@app.command()
def fetch() -> None:
    """Resolve Kafka's jars from Maven Central into the cache; later starts need no network."""
    settings = load_settings()
    typer.echo(resolve_kafka(settings.cache_dir))


@app.command()
def start(
    data_dir: DataDir = None,
    nodes: Annotated[int, typer.Option(help="1, or 3 for fault tests (RF 3, min ISR 2)")] = 1,
    port: Annotated[int, typer.Option(help="Client port of the first node")] = 9092,
    security: Annotated[
        SecurityMode,
        typer.Option(
            help="scram-tls: SASL_SSL with SCRAM-SHA-512 and a certificate from a local CA"
        ),
    ] = "none",
) -> None:
    """Start the cluster and print its bootstrap servers once a topic can be used."""
    settings = load_settings()
    cluster = LocalCluster(
        data_dir or settings.broker_data_dir,
        cache_dir=settings.cache_dir,
        nodes=nodes,
        port=port,
        security=security,
    )
    began = time.monotonic()
    with _err.status(f"starting {nodes} Kafka node(s) in {cluster.data_dir}"):
        cluster.start()
    _err.print(f"Kafka is up in {time.monotonic() - began:.1f}s; logs in {cluster.data_dir}")
    if cluster.scram_tls is not None:
        _err.print("Clients connect with these settings (the password is in the file):")
        for name, value in cluster.scram_tls.client_environment().items():
            _err.print(f"{name}={value}", markup=False, highlight=False, soft_wrap=True)
    typer.echo(cluster.bootstrap_servers)


@app.command()
def stop(data_dir: DataDir = None, node: NodeId = None) -> None:
    """Stop exactly the broker processes this data directory's pid files name."""
    settings = load_settings()
    directory = data_dir or settings.broker_data_dir
    if not directory.exists():
        _err.print(f"no cluster in {directory}")
        return
    cluster = LocalCluster.existing(directory, cache_dir=settings.cache_dir)
    stopped = cluster.stop(node_ids=None if node is None else [node])
    if stopped:
        _err.print(f"stopped node(s) {', '.join(map(str, stopped))}")
    else:
        _err.print("no node was running")


@app.command()
def restart(
    node: Annotated[int, typer.Option("--node", help="The node to restart (1, 2 or 3)")],
    data_dir: DataDir = None,
) -> None:
    """Stop one node (SIGTERM) and start it again with the same settings and data; returns
    once the cluster is usable with it."""
    cluster = _existing(data_dir)
    began = time.monotonic()
    with _err.status(f"restarting node {node} in {cluster.data_dir}"):
        cluster.restart_node(node)
    _err.print(f"node {node} is back in {time.monotonic() - began:.1f}s")


@app.command()
def status(data_dir: DataDir = None) -> None:
    """Say which nodes are up; exits 1 unless all of them are."""
    cluster = _existing(data_dir)
    table = Table("node", "address", "pid", "state")
    states = cluster.status()
    for node in states:
        state = "up" if node.accepting else ("starting" if node.running else "down")
        table.add_row(str(node.node_id), node.address, str(node.pid or "-"), state)
    Console().print(table)
    if not all(node.accepting for node in states):
        raise typer.Exit(1)


@app.command(
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
    help=f"Run one of Kafka's own commands: {', '.join(sorted(TOOL_CLASSES))}.",
)
def tool(context: typer.Context, name: str) -> None:
    libs = resolve_kafka(load_settings().cache_dir)
    raise typer.Exit(run_tool(libs, name, list(context.args)))
