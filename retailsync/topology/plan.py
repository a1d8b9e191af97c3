"""What it takes to make a live cluster match the topology: a list of changes, read-only.

Changes that lose data (deleting a topic, recreating one with fewer partitions) are only
carried out when the operator allows data loss; a replication-factor change is never done
here because it needs a partition reassignment.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient, ConfigResource, ConfigSource, ResourceType

from retailsync.topology.model import TopicSpec, Topology

Action = Literal["create", "add_partitions", "alter_configs", "delete", "recreate", "replication"]
_TIMEOUT_S = 30.0


@dataclass(frozen=True, slots=True)
class LiveTopic:
    name: str
    partitions: int
    replication_factor: int
    # Only configs set on the topic itself, not inherited broker or Kafka defaults.
    overrides: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class Change:
    """One step towards the topology, with the lines that explain it to an operator."""

    action: Action
    topic: str
    spec: TopicSpec | None = None
    partitions: tuple[int, int] | None = None
    set_configs: Mapping[str, tuple[str | None, str]] = field(default_factory=dict)
    unset_configs: Mapping[str, str] = field(default_factory=dict)

    @property
    def loses_data(self) -> bool:
        return self.action in ("delete", "recreate")

    @property
    def supported(self) -> bool:
        return self.action != "replication"

    def describe(self) -> list[str]:
        if self.action == "create" and self.spec is not None:
            replication = self.spec.replication_factor or "cluster default"
            lines = [
                f"+ create {self.topic} ({self.spec.partitions} partitions, "
                f"replication {replication})"
            ]
            lines += [f"      {key} = {value}" for key, value in sorted(self.spec.configs.items())]
            return lines
        if self.action == "add_partitions" and self.partitions and self.spec:
            before, after = self.partitions
            line = f"~ partitions {self.topic}: {before} -> {after}"
            if self.spec.keyed:
                line += " (keys move to other partitions; per-key order breaks across the change)"
            return [line]
        if self.action == "alter_configs":
            lines = [f"~ configs {self.topic}"]
            for key, (old, new) in sorted(self.set_configs.items()):
                lines.append(f"      {key}: {old if old is not None else '(default)'} -> {new}")
            lines += [
                f"      {key}: {old} -> (default)"
                for key, old in sorted(self.unset_configs.items())
            ]
            return lines
        if self.action == "delete":
            return [f"- delete {self.topic} (not in the topology; its records are lost)"]
        if self.action == "recreate" and self.partitions:
            before, after = self.partitions
            return [
                f"! recreate {self.topic}: {before} -> {after} partitions "
                "(Kafka cannot remove partitions; the topic's records are lost)"
            ]
        before, after = self.partitions or (0, 0)
        return [
            f"! replication {self.topic}: {before} -> {after} is not changed by retailsync; "
            "reassign its partitions with Kafka's kafka-reassign-partitions"
        ]


@dataclass(frozen=True, slots=True)
class Plan:
    changes: tuple[Change, ...]

    @property
    def empty(self) -> bool:
        return not self.changes

    def refused(self, allow_data_loss: bool) -> list[Change]:
        return [
            change
            for change in self.changes
            if not change.supported or (change.loses_data and not allow_data_loss)
        ]

    def summary(self) -> str:
        if self.empty:
            return "No changes: the cluster matches the topology."
        counts: dict[str, int] = {}
        for change in self.changes:
            counts[change.action] = counts.get(change.action, 0) + 1
        return "Plan: " + ", ".join(f"{count} {action}" for action, count in counts.items())


def read_cluster(admin: AdminClient, namespace: str) -> dict[str, LiveTopic]:
    """The topics under ``namespace.`` as the cluster has them."""
    metadata = admin.list_topics(timeout=_TIMEOUT_S)
    names = sorted(name for name in metadata.topics if name.startswith(f"{namespace}."))
    if not names:
        return {}
    resources = [ConfigResource(ResourceType.TOPIC, name) for name in names]
    described = admin.describe_configs(resources, request_timeout=_TIMEOUT_S)
    live: dict[str, LiveTopic] = {}
    for resource, future in described.items():
        try:
            entries = future.result()
        except KafkaException:
            continue  # deleted while we looked: it is simply not there
        topic = metadata.topics[resource.name]
        first_partition = next(iter(topic.partitions.values()), None)
        live[resource.name] = LiveTopic(
            name=resource.name,
            partitions=len(topic.partitions),
            replication_factor=len(first_partition.replicas) if first_partition else 0,
            overrides={
                key: entry.value
                for key, entry in entries.items()
                if entry.source == ConfigSource.DYNAMIC_TOPIC_CONFIG.value
            },
        )
    return live


def make_plan(topology: Topology, live: Mapping[str, LiveTopic]) -> Plan:
    changes: list[Change] = []
    for name, spec in topology.topics.items():
        current = live.get(name)
        if current is None:
            changes.append(Change("create", name, spec=spec))
            continue
        changes += _topic_changes(spec, current)
    changes += [Change("delete", name) for name in sorted(live) if name not in topology.topics]
    return Plan(tuple(changes))


def _topic_changes(spec: TopicSpec, current: LiveTopic) -> list[Change]:
    changes: list[Change] = []
    wanted_rf = spec.replication_factor
    if wanted_rf is not None and wanted_rf != current.replication_factor:
        changes.append(
            Change(
                "replication",
                spec.name,
                spec=spec,
                partitions=(current.replication_factor, wanted_rf),
            )
        )
    if spec.partitions < current.partitions:
        # A recreated topic gets all declared configs, so no separate config change.
        return [
            *changes,
            Change(
                "recreate", spec.name, spec=spec, partitions=(current.partitions, spec.partitions)
            ),
        ]
    if spec.partitions > current.partitions:
        changes.append(
            Change(
                "add_partitions",
                spec.name,
                spec=spec,
                partitions=(current.partitions, spec.partitions),
            )
        )
    set_configs = {
        key: (current.overrides.get(key), value)
        for key, value in spec.configs.items()
        if current.overrides.get(key) != value
    }
    unset_configs = {
        key: value for key, value in current.overrides.items() if key not in spec.configs
    }
    if set_configs or unset_configs:
        changes.append(
            Change(
                "alter_configs",
                spec.name,
                spec=spec,
                set_configs=set_configs,
                unset_configs=unset_configs,
            )
        )
    return changes
