"""``retailsync lag`` on the real broker."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient

from retailsync import headers as h
from retailsync.settings import Settings
from tests.integration.harness import Sink, order
from tests.integration.operator_support import Operated, make_operated

pytestmark = pytest.mark.integration


@pytest.fixture
def operated(kafka_settings: Settings, admin: AdminClient, unique: str, tmp_path: Path) -> Operated:
    return make_operated(kafka_settings, admin, unique, tmp_path)


def _raw_offset_lag(operated: Operated) -> int:
    """end offset minus committed offset, as kafka-consumer-groups --describe counts it."""
    pipeline = operated.pipeline
    consumer = Consumer({**pipeline.settings.admin_config(), "group.id": pipeline.group})
    try:
        partitions = [TopicPartition(pipeline.topic, p) for p in range(3)]
        committed = consumer.committed(partitions, timeout=10)
        return sum(
            consumer.get_watermark_offsets(tp, timeout=10)[1] - tp.offset for tp in committed
        )
    finally:
        consumer.close()


def test_a_group_that_read_a_transactional_topic_shows_no_lag(operated: Operated) -> None:
    pipeline = operated.pipeline
    sink = Sink()
    operated.publish_transactionally(*[order(f"shop:{n}", n) for n in range(1, 21)])
    with pipeline.running(pipeline.service(lambda event, _context: sink.add(event))):
        pipeline.wait(lambda: sink.count() == 20, what="20 applied")
        pipeline.wait(lambda: pipeline.committed(pipeline.group, pipeline.topic) >= 20,
                      what="the offsets committed")  # fmt: skip
    assert _raw_offset_lag(operated) > 0  # the commit markers Kafka's own tool counts

    (read_all,) = operated.json("lag", pipeline.group)
    assert read_all["lag"] == 0
    assert read_all["oldest_age_s"] is None
    assert read_all["dead_letters"] == 0
    assert operated.cli("lag", pipeline.group, "--max-age", "60").returncode == 0

    (unread,) = operated.json("lag", operated.other_group)
    assert unread["lag"] == 20
    assert unread["oldest_age_s"] >= 0
    late = operated.cli("lag", operated.other_group, "--max-age", "0", check=False)
    assert late.returncode == 1
    assert f"{operated.other_group} on {pipeline.topic}" in late.stderr


def test_records_waiting_in_retry_topics_are_counted_with_their_due_time(
    operated: Operated,
) -> None:
    pipeline = operated.pipeline
    due_ms = int(time.time() * 1000) + 3_600_000
    retry_1s = f"{pipeline.topic}.{pipeline.group}.retry.1s"
    producer = Producer(pipeline.settings.producer_config())
    for n in range(3):  # parked as the runtime parks them: a due time in the header
        producer.produce(retry_1s, key=f"shop:{n}".encode(), value=b"x", partition=0,
                         headers=[(h.DUE, str(due_ms + n).encode())])  # fmt: skip
    assert producer.flush(10) == 0

    (stuck,) = operated.json("lag", pipeline.group)
    assert stuck["lag"] == 0
    assert stuck["in_retry"] == 3
    due = datetime.fromtimestamp(due_ms / 1000, UTC).isoformat(timespec="seconds")
    assert stuck["oldest_due"] == due


def test_an_unreachable_broker_is_one_line_and_exit_2(operated: Operated) -> None:
    env_broker = "127.0.0.1:1"
    operated.pipeline.settings = operated.pipeline.settings.model_copy(
        update={"bootstrap_servers": env_broker}
    )
    for command in (["lag"], ["topology", "plan"]):
        done = operated.cli(*command, check=False)
        assert done.returncode == 2, done.stderr
        assert done.stderr.strip().count("\n") == 0
        assert "RETAILSYNC_BOOTSTRAP_SERVERS" in done.stderr
        assert env_broker in done.stderr
