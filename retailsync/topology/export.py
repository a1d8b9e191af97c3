"""topology.yaml as resources for tools that manage topics themselves: Strimzi's KafkaTopic
custom resources, for teams that keep their topics in git (GitOps) rather than run
``topology apply``. Every topic is exported, the retry and dead-letter topics included."""

from __future__ import annotations

import re
from typing import Any

from retailsync.topology.model import TopicSpec, Topology

STRIMZI_API_VERSION = "kafka.strimzi.io/v1beta2"
# Kubernetes names are lowercase DNS subdomains; Kafka topic names allow more.
_NOT_IN_NAME = re.compile(r"[^a-z0-9.-]+")


def strimzi_topics(topology: Topology, cluster: str) -> list[dict[str, Any]]:
    """One KafkaTopic per topic, for the Strimzi cluster named ``cluster``."""
    return [_kafka_topic(spec, cluster) for spec in topology.topics.values()]


def _kafka_topic(spec: TopicSpec, cluster: str) -> dict[str, Any]:
    topic_spec: dict[str, Any] = {"topicName": spec.name, "partitions": spec.partitions}
    if spec.replication_factor is not None:
        topic_spec["replicas"] = spec.replication_factor
    if spec.configs:
        topic_spec["config"] = dict(spec.configs)
    return {
        "apiVersion": STRIMZI_API_VERSION,
        "kind": "KafkaTopic",
        "metadata": {
            "name": resource_name(spec.name),
            "labels": {"strimzi.io/cluster": cluster},
        },
        "spec": topic_spec,
    }


def resource_name(topic: str) -> str:
    """A Kubernetes resource name for ``topic``: lowercase, other characters as ``-``."""
    return _NOT_IN_NAME.sub("-", topic.lower()).strip("-.")[:253]
