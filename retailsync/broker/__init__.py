"""A real Apache Kafka cluster started by retailsync itself, from jars Maven resolves."""

from retailsync.broker.cluster import LocalCluster, NodeStatus, free_port_block
from retailsync.broker.jars import KAFKA_VERSION, resolve_kafka

__all__ = ["KAFKA_VERSION", "LocalCluster", "NodeStatus", "free_port_block", "resolve_kafka"]
