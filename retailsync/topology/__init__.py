"""topology.yaml: topics, event routing and consumer groups, and their reconciliation."""

from retailsync.topology.model import (
    ConsumerGroup,
    EventDestination,
    HoldRule,
    PublishingRules,
    RetryPolicy,
    TopicSpec,
    Topology,
    load_topology,
    parse_topology,
)

__all__ = [
    "ConsumerGroup",
    "EventDestination",
    "HoldRule",
    "PublishingRules",
    "RetryPolicy",
    "TopicSpec",
    "Topology",
    "load_topology",
    "parse_topology",
]
