"""Operator commands against the session broker: a pipeline whose topology also declares the
audit and dead-letter state topics and a second group, and the CLI run as a process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient

from retailsync.consumer.record import ConsumedRecord
from retailsync.events import Event
from retailsync.operate.reader import TopicReader
from retailsync.publisher import event_record
from retailsync.settings import Settings
from tests.integration.harness import SCHEMAS, Pipeline, make_pipeline

OPERATOR_TOPOLOGY = """
namespace: NS
defaults: {partitions: 3}
topics:
  NS.orders: {}
  NS.audit: {partitions: 1}
  NS.dlt-state: {partitions: 1, configs: {cleanup.policy: compact}}
events:
  order_created: {topic: NS.orders, key: "{order_ref}"}
  order_cancelled: {topic: NS.orders, key: "{order_ref}"}
  payment_captured: {topic: NS.orders, key: "{order_ref}"}
consumers:
  GROUP:
    subscriptions: [NS.orders]
    retry: {in_process_attempts: 2, delays: [1s, 2s], ordering: ORDERING}
  GROUP-other:
    subscriptions: [NS.orders]
    retry: {in_process_attempts: 1, delays: [1s], ordering: key}
"""


@dataclass
class Operated:
    """A pipeline and the CLI pointed at it."""

    pipeline: Pipeline
    directory: Path
    unique: str
    # More RETAILSYNC_ variables for the CLI, e.g. a part's settings.
    variables: dict[str, str] = field(default_factory=dict)

    @property
    def other_group(self) -> str:
        return f"{self.pipeline.group}-other"

    @property
    def audit_topic(self) -> str:
        return f"{self.unique}.audit"

    def environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("RETAILSYNC_")}
        env.update(
            RETAILSYNC_BOOTSTRAP_SERVERS=self.pipeline.settings.bootstrap_servers,
            RETAILSYNC_TOPOLOGY_FILE=str(self.directory / "topology.yaml"),
            RETAILSYNC_SCHEMAS_DIR=str(SCHEMAS),
            RETAILSYNC_AUDIT_TOPIC=self.audit_topic,
            RETAILSYNC_DEAD_LETTER_STATE_TOPIC=f"{self.unique}.dlt-state",
            RETAILSYNC_LOG_LEVEL="WARNING",
        )
        env.update(self.variables)
        return env

    def cli(
        self, *arguments: str, check: bool = True, user: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        """``retailsync ARGUMENTS`` as a process; fails the test on a non-zero exit if ``check``.
        ``user``: the OS user it runs as, as far as the audit trail can tell (``LOGNAME``)."""
        environment = self.environment()
        if user is not None:
            environment.update(LOGNAME=user, USER=user)
        done = subprocess.run(
            [sys.executable, "-X", "faulthandler", "-m", "commands", *arguments],
            env=environment,
            cwd=self.directory,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
        if check and done.returncode != 0:
            raise AssertionError(
                f"retailsync {' '.join(arguments)} exited {done.returncode}:\n"
                f"{done.stdout}\n{done.stderr}"
            )
        return done

    def json(self, *arguments: str) -> Any:
        return json.loads(self.cli(*arguments, "--json").stdout)

    def committed_records(self, topic: str) -> list[ConsumedRecord]:
        """The committed records of ``topic`` (aborted ones and markers left out)."""
        with TopicReader(self.pipeline.settings) as reader:
            return list(reader.read({p: reader.watermarks(p) for p in reader.partitions(topic)}))

    def publish_transactionally(self, *events: Event, per_transaction: int = 5) -> None:
        """Publish ``events`` in transactions of ``per_transaction``: each leaves a marker."""
        pipeline = self.pipeline
        producer = Producer(pipeline.settings.producer_config(f"tx-{self.unique}"))
        producer.init_transactions(30)
        for start in range(0, len(events), per_transaction):
            producer.begin_transaction()
            for event in events[start : start + per_transaction]:
                record = event_record(event, pipeline.topology, pipeline.serde)
                producer.produce(
                    record.topic, key=record.key, value=record.value, headers=record.headers
                )
            producer.commit_transaction(30)


def make_operated(
    settings: Settings,
    admin: AdminClient,
    unique: str,
    directory: Path,
    ordering: str = "key",
    template: str = OPERATOR_TOPOLOGY,
) -> Operated:
    pipeline = make_pipeline(settings, admin, unique, ordering, template=template)
    (directory / "topology.yaml").write_text(pipeline.text, encoding="utf-8")
    return Operated(pipeline, directory, unique)
