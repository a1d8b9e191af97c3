"""Proof that a cluster is usable: create a topic, write to it with acks=all, delete it."""

from __future__ import annotations

import time
import uuid

from confluent_kafka import KafkaError, KafkaException, Producer
from confluent_kafka.admin import AdminClient, NewTopic

from retailsync.errors import BrokerError
from retailsync.settings import KafkaConfig

# The nodes are expected to refuse connections while they boot; librdkafka's complaints
# about that would only bury the real error, which the launcher reports with the log tail.
_QUIET = {"log_level": 0}


def wait_until_usable(
    client_config: KafkaConfig, replication_factor: int, timeout_s: float
) -> None:
    """Return once a topic replicated ``replication_factor`` times accepts an acks=all write.

    ``client_config`` holds the bootstrap servers and the client security settings, so the
    probe connects exactly as the cluster's clients will.
    """
    deadline = time.monotonic() + timeout_s
    admin = AdminClient({**client_config, **_QUIET})
    topic = f"_retailsync.ready.{uuid.uuid4().hex[:12]}"
    last_error = "no answer from the cluster"
    while time.monotonic() < deadline:
        try:
            brokers = admin.list_topics(timeout=2).brokers
            if len(brokers) < replication_factor:
                last_error = f"{len(brokers)} of {replication_factor} brokers registered"
            else:
                _create(admin, topic, replication_factor)
                try:
                    _write_one(client_config, topic, deadline)
                finally:
                    admin.delete_topics([topic])
                return
        except KafkaException as exc:
            last_error = str(exc.args[0])
        time.sleep(0.2)
    raise BrokerError(f"the cluster was not usable within {timeout_s:.0f}s: {last_error}")


def _create(admin: AdminClient, topic: str, replication_factor: int) -> None:
    future = admin.create_topics([NewTopic(topic, 1, replication_factor)], operation_timeout=10)
    try:
        future[topic].result(timeout=15)
    except KafkaException as exc:
        if exc.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
            raise


def _write_one(client_config: KafkaConfig, topic: str, deadline: float) -> None:
    producer = Producer(
        {
            **client_config,
            "acks": "all",
            "enable.idempotence": True,
            **_QUIET,
        }
    )
    errors: list[KafkaError] = []
    delivered: list[bool] = []

    def on_delivery(error: KafkaError | None, _message: object) -> None:
        if error is None:
            delivered.append(True)
        else:
            errors.append(error)

    producer.produce(topic, b"ready", on_delivery=on_delivery)
    while not delivered and not errors and time.monotonic() < deadline:
        producer.poll(0.1)
    if errors:
        raise KafkaException(errors[0])
    if not delivered:
        raise KafkaException(KafkaError(KafkaError._TIMED_OUT, "no delivery report"))
