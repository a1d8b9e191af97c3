"""`retailsync topology export --format strimzi`: topology.yaml as Strimzi KafkaTopic
resources."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from commands import app
from retailsync.topology import load_topology
from retailsync.topology.export import resource_name, strimzi_topics

pytestmark = pytest.mark.unit

TOPOLOGY = Path(__file__).parents[2] / "topology.yaml"


def test_every_topic_becomes_one_kafka_topic_with_its_partitions_and_configs() -> None:
    topology = load_topology(TOPOLOGY)
    resources = strimzi_topics(topology, "retail")
    by_topic = {resource["spec"]["topicName"]: resource for resource in resources}
    # Retry and dead-letter topics too: a GitOps team that drops the Job still needs them.
    assert by_topic.keys() == topology.topics.keys()
    orders = by_topic["retail.orders"]
    assert orders["apiVersion"] == "kafka.strimzi.io/v1beta2"
    assert orders["kind"] == "KafkaTopic"
    assert orders["metadata"]["labels"] == {"strimzi.io/cluster": "retail"}
    assert orders["spec"]["partitions"] == topology.topic("retail.orders").partitions
    assert orders["spec"]["config"] == dict(topology.topic("retail.orders").configs)
    # No replication factor declared: Strimzi uses the cluster's default.
    assert "replicas" not in orders["spec"]


def test_resource_names_are_kubernetes_names() -> None:
    assert resource_name("retail.orders.odoo-orders.retry.10s") == (
        "retail.orders.odoo-orders.retry.10s"
    )
    assert resource_name("Retail_Orders") == "retail-orders"


def test_the_command_prints_the_resources_as_yaml(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RETAILSYNC_TOPOLOGY_FILE", raising=False)
    result = CliRunner().invoke(
        app, ["topology", "export", "--format", "strimzi", "--cluster", "main", "-f", str(TOPOLOGY)]
    )
    assert result.exit_code == 0, result.output
    documents = list(yaml.safe_load_all(result.output))
    assert len(documents) == len(load_topology(TOPOLOGY).topics)
    assert {d["metadata"]["labels"]["strimzi.io/cluster"] for d in documents} == {"main"}
