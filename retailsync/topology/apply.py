"""Carrying out a plan: every step is first checked by the brokers, then done.

The brokers validate each create, partition increase and config change (``validate_only``)
before any of them is made, so a topic config the broker rejects fails the whole apply
with nothing changed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from typing import Any

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import (
    AdminClient,
    AlterConfigOpType,
    ConfigEntry,
    ConfigResource,
    NewPartitions,
    NewTopic,
    ResourceType,
)

from retailsync.errors import ConfigError
from retailsync.topology.model import TopicSpec, Topology
from retailsync.topology.plan import Change, Plan, make_plan, read_cluster

_TIMEOUT_S = 30.0


def apply_plan(
    admin: AdminClient,
    topology: Topology,
    plan: Plan,
    *,
    allow_data_loss: bool = False,
    report: Callable[[str], None] = lambda _line: None,
) -> None:
    """Carry out ``plan`` (made for ``topology``) and return once the cluster shows it.

    Raises ConfigError, changing nothing, if any step is refused or rejected by the brokers.
    """
    source = topology.source
    refused = plan.refused(allow_data_loss)
    if refused:
        lines = [line for change in refused for line in change.describe()]
        hint = (
            ""
            if all(not change.supported for change in refused)
            else ("\nrerun with --allow-data-loss to carry out the changes that lose records")
        )
        raise ConfigError(source, "", "refusing to apply:\n" + "\n".join(lines) + hint)

    def specs(action: str) -> list[TopicSpec]:
        return [c.spec for c in plan.changes if c.action == action and c.spec is not None]

    fresh = [_new_topic(spec) for spec in specs("create")]
    recreated = [_new_topic(spec) for spec in specs("recreate")]
    partitions = [
        NewPartitions(c.topic, c.partitions[1])
        for c in plan.changes
        if c.action == "add_partitions" and c.partitions
    ]
    configs = [_config_resource(c) for c in plan.changes if c.action == "alter_configs"]
    # A recreated topic still exists now, so the broker could only answer "already exists".
    _validate(admin, fresh, partitions, configs, source)

    creates = fresh + recreated
    doomed = [c.topic for c in plan.changes if c.action in ("delete", "recreate")]
    if doomed:
        _wait_all(admin.delete_topics(doomed, operation_timeout=_TIMEOUT_S), source)
        report(f"deleted {', '.join(doomed)}")
    if creates:
        _create_when_gone(admin, creates, source)
        report(f"created {', '.join(topic.topic for topic in creates)}")
    if partitions:
        _wait_all(admin.create_partitions(partitions, operation_timeout=_TIMEOUT_S), source)
        report(f"added partitions to {', '.join(p.topic for p in partitions)}")
    if configs:
        _wait_all(admin.incremental_alter_configs(configs, request_timeout=_TIMEOUT_S), source)
        report(f"altered configs of {', '.join(r.name for r in configs)}")
    _await_convergence(admin, topology)


def _await_convergence(admin: AdminClient, topology: Topology) -> None:
    # The controller acknowledges a change before every broker's metadata and config view
    # shows it; waiting here means a plan made right after apply sees what apply did.
    deadline = time.monotonic() + _TIMEOUT_S
    while not (remaining := make_plan(topology, read_cluster(admin, topology.namespace))).empty:
        if time.monotonic() > deadline:
            lines = [line for change in remaining.changes for line in change.describe()]
            raise ConfigError(
                topology.source,
                "",
                "the cluster did not show the changes in time:\n" + "\n".join(lines),
            )
        time.sleep(0.2)


def _new_topic(spec: TopicSpec) -> NewTopic:
    return NewTopic(
        spec.name,
        num_partitions=spec.partitions,
        replication_factor=spec.replication_factor or -1,
        config=dict(spec.configs),
    )


def _config_resource(change: Change) -> ConfigResource:
    entries = [
        ConfigEntry(key, value, incremental_operation=AlterConfigOpType.SET)
        for key, (_, value) in change.set_configs.items()
    ]
    entries += [
        ConfigEntry(key, None, incremental_operation=AlterConfigOpType.DELETE)
        for key in change.unset_configs
    ]
    return ConfigResource(ResourceType.TOPIC, change.topic, incremental_configs=entries)


def _validate(
    admin: AdminClient,
    creates: list[NewTopic],
    partitions: list[NewPartitions],
    configs: list[ConfigResource],
    source: str,
) -> None:
    if creates:
        _wait_all(admin.create_topics(creates, validate_only=True), source)
    if partitions:
        _wait_all(admin.create_partitions(partitions, validate_only=True), source)
    if configs:
        _wait_all(admin.incremental_alter_configs(configs, validate_only=True), source)


def _create_when_gone(admin: AdminClient, topics: list[NewTopic], source: str) -> None:
    # A topic just deleted lingers until every broker has removed it; creating it again
    # before then fails with TOPIC_ALREADY_EXISTS, so those are tried again shortly.
    pending = topics
    deadline = time.monotonic() + _TIMEOUT_S
    while pending:
        futures = admin.create_topics(pending, operation_timeout=_TIMEOUT_S)
        retry = []
        for topic in pending:
            try:
                futures[topic.topic].result()
            except KafkaException as exc:
                error = exc.args[0]
                if error.code() != KafkaError.TOPIC_ALREADY_EXISTS or time.monotonic() > deadline:
                    raise _failed(topic.topic, error, source) from None
                retry.append(topic)
        pending = retry
        if pending:
            time.sleep(0.5)


def _wait_all(futures: Mapping[Any, Future[Any]], source: str) -> None:
    failures = []
    for resource, future in futures.items():
        try:
            future.result()
        except KafkaException as exc:
            failures.append(_failed(_name(resource), exc.args[0], source))
    if failures:
        raise ConfigError(source, "", "the cluster refused:\n" + "\n".join(
            f"  {failure.key}: {failure.reason}" for failure in failures
        ))  # fmt: skip


def _failed(topic: str, error: KafkaError, source: str) -> ConfigError:
    return ConfigError(source, f"topics.{topic}", error.str())


def _name(resource: object) -> str:
    return resource.name if isinstance(resource, ConfigResource) else str(resource)
