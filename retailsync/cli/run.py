"""``retailsync run``: the main job on the embedded defaults."""

from __future__ import annotations

import typer
from confluent_kafka.admin import AdminClient

from retailsync.broker import LocalCluster
from retailsync.settings import load_settings
from retailsync.topology import load_topology
from retailsync.topology.apply import apply_plan
from retailsync.topology.plan import make_plan, read_cluster


def run() -> None:
    """Start the local broker (unless RETAILSYNC_BOOTSTRAP_SERVERS points elsewhere) and
    apply topology.yaml to it."""
    settings = load_settings()
    topology = load_topology(settings.topology_file)
    if "bootstrap_servers" not in settings.model_fields_set:
        port = settings.bootstrap_servers.rpartition(":")[2]
        cluster = LocalCluster(
            settings.broker_data_dir, cache_dir=settings.cache_dir, port=int(port)
        )
        cluster.start()
        typer.echo(f"Kafka is up at {cluster.bootstrap_servers} ({settings.broker_data_dir})")
    admin = AdminClient(settings.admin_config())
    plan = make_plan(topology, read_cluster(admin, topology.namespace))
    apply_plan(admin, topology, plan, report=typer.echo)
    typer.echo(f"{plan.summary()}\nStop the broker with: retailsync broker stop")
