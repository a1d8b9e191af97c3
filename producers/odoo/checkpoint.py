"""Where each feed stands: its cursor per Odoo model and the versions it published.

One record per feed in a compacted topic (``RETAILSYNC_ODOO_CHECKPOINT_TOPIC``), written in
the same Kafka transaction as the feed's events: key ``<db>/<feed>``, value JSON

    {"cursors": {"stock.quant": "2026-11-22 16:17:28#42"},
     "versions": {"stock.quant": {"<event type> <source_ref>": [version, "digest"]}}}

with each cursor as ``ChangeCursor.encode()`` gives it. On start the poller reads the topic
to its end with ``read_committed``, after its producer fenced and aborted any transaction a
previous instance left open, so it resumes from exactly what was published.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from confluent_kafka import Consumer, KafkaError, KafkaException, TopicPartition

from producers.odoo.settings import ChangeCaptureSettings
from producers.odoo.versions import Versions
from retailsync.errors import ConfigError
from retailsync.odoo import ChangeCursor
from retailsync.settings import Settings
from retailsync.topology import Topology

_TIMEOUT_S = 30.0
_SETTING = "RETAILSYNC_ODOO_CHECKPOINT_TOPIC"


@dataclass(frozen=True)
class Checkpoint:
    """One feed's position; ``cursors`` lacks a model whose changes were never read."""

    cursors: dict[str, ChangeCursor] = field(default_factory=dict)
    versions: Versions = field(default_factory=Versions)

    def encode(self) -> bytes:
        document = {
            "cursors": {model: cursor.encode() for model, cursor in sorted(self.cursors.items())},
            "versions": {
                model: {key: list(entry) for key, entry in table.items()}
                for model, table in sorted(self.versions.tables().items())
            },
        }
        return json.dumps(document, separators=(",", ":")).encode()

    @classmethod
    def decode(cls, value: bytes) -> Checkpoint:
        document = json.loads(value)
        return cls(
            {model: ChangeCursor.decode(text) for model, text in document["cursors"].items()},
            Versions(
                {
                    model: {key: (int(v), str(d)) for key, (v, d) in table.items()}
                    for model, table in document["versions"].items()
                }
            ),
        )


def checkpoint_key(db: str, feed: str) -> bytes:
    return f"{db}/{feed}".encode()


def checked_topic(settings: ChangeCaptureSettings, topology: Topology) -> str:
    """The checkpoint topic, once topology.yaml is seen to declare it compacted."""
    name = settings.odoo_checkpoint_topic
    spec = topology.topics.get(name)
    if spec is None:
        raise ConfigError("environment", _SETTING, f"{name!r} is not a topic of {topology.source}")
    if "compact" not in spec.configs.get("cleanup.policy", ""):
        raise ConfigError(
            topology.source, f"topics.{name}.configs.cleanup.policy", "must be compact"
        )
    return name


def read_checkpoints(settings: Settings, topic: str, db: str) -> dict[str, Checkpoint]:
    """The latest committed checkpoint of each feed of ``db``, read to the topic's end."""
    consumer = Consumer(
        {
            **settings.consumer_config(f"{settings.client_id}-odoo-checkpoints"),
            "enable.auto.commit": False,
            "enable.partition.eof": True,
        }
    )
    prefix = f"{db}/".encode()
    found: dict[str, Checkpoint] = {}
    try:
        partitions = consumer.list_topics(topic, timeout=_TIMEOUT_S).topics[topic].partitions
        consumer.assign([TopicPartition(topic, p, 0) for p in partitions])
        unread = set(partitions)
        while unread:
            message = consumer.poll(_TIMEOUT_S)
            if message is None:
                raise KafkaException(KafkaError(KafkaError._TIMED_OUT, f"reading {topic}"))
            error = message.error()
            if error is not None and error.code() == KafkaError._PARTITION_EOF:
                unread.discard(message.partition())
            elif error is not None:
                raise KafkaException(error)
            elif (key := message.key() or b"").startswith(prefix):
                feed, value = key[len(prefix) :].decode(), message.value()
                if value is None:
                    # A tombstone resets the feed: it starts again from Odoo's first change.
                    found.pop(feed, None)
                else:
                    found[feed] = Checkpoint.decode(value)
    finally:
        consumer.close()
    return found
