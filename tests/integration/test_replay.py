"""``retailsync replay GROUP`` on the real broker: the plan equals Kafka's own dry run, the
group is refused while it runs, and an executed move is audited."""

from __future__ import annotations

import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest
from confluent_kafka import Producer, TopicPartition
from confluent_kafka.admin import AdminClient

from retailsync.operate.groups import alter_offsets, committed_offsets
from retailsync.operate.positions import PartitionId
from retailsync.settings import Settings
from tests.integration.harness import Sink, order
from tests.integration.operator_support import Operated, make_operated

pytestmark = pytest.mark.integration

MINUTE_MS = 60_000


@pytest.fixture
def operated(kafka_settings: Settings, admin: AdminClient, unique: str, tmp_path: Path) -> Operated:
    return make_operated(kafka_settings, admin, unique, tmp_path)


def _fill(operated: Operated, admin: AdminClient, base_ms: int) -> None:
    """Three partitions of transactions (a marker after each), an aborted transaction in
    partition 1 (a gap), records deleted at the start of partition 0, and record times
    5 minutes apart from ``base_ms``, the second half of each interval free."""
    pipeline = operated.pipeline
    producer = Producer(pipeline.settings.producer_config(f"fill-{operated.unique}"))
    producer.init_transactions(30)
    sequence = 0
    for round_ in range(3):
        for partition in range(3):
            producer.begin_transaction()
            for _ in range(4):
                producer.produce(pipeline.topic, key=b"k", value=b"v", partition=partition,
                                 timestamp=base_ms + sequence * 5 * MINUTE_MS,
                                 headers=[("event_type", b"order_created")])  # fmt: skip
                sequence += 1
            producer.commit_transaction(30)
        if round_ == 0:
            producer.begin_transaction()
            for _ in range(3):
                producer.produce(pipeline.topic, key=b"k", value=b"gone", partition=1)
            producer.flush(10)
            producer.abort_transaction(30)
    (deleted,) = admin.delete_records([TopicPartition(pipeline.topic, 0, 3)]).values()
    deleted.result(timeout=10)


def _kafka_dry_run(operated: Operated, *target: str) -> dict[int, int]:
    pipeline = operated.pipeline
    done = operated.cli(
        "broker", "tool", "kafka-consumer-groups",
        "--bootstrap-server", pipeline.settings.bootstrap_servers,
        "--group", pipeline.group, "--topic", pipeline.topic,
        "--reset-offsets", *target, "--dry-run",
    )  # fmt: skip
    plan = {}
    for line in done.stdout.splitlines():
        cells = line.split()
        if len(cells) == 4 and cells[0] == pipeline.group and cells[2].isdigit():
            plan[int(cells[2])] = int(cells[3])
    assert len(plan) == 3, done.stdout
    return plan


def test_the_plan_equals_kafka_consumer_groups_dry_run(
    operated: Operated, admin: AdminClient
) -> None:
    pipeline = operated.pipeline
    now_ms = int(time.time() * 1000)
    # Records from 200 minutes ago: 90 minutes ago falls 2.5 minutes after a record.
    base_ms = now_ms - 200 * MINUTE_MS + 5 * MINUTE_MS // 2
    _fill(operated, admin, base_ms)
    alter_offsets(admin, pipeline.group, {PartitionId(pipeline.topic, 0): 6,
                                          PartitionId(pipeline.topic, 1): 10,
                                          PartitionId(pipeline.topic, 2): 1})  # fmt: skip
    between = datetime.fromtimestamp((base_ms + 17 * 5 * MINUTE_MS + MINUTE_MS) / 1000, UTC)
    targets = [
        ["--to-earliest"],
        ["--to-latest"],
        ["--to-offset", "5"],
        ["--to-offset", "1000"],
        ["--shift-by", "-4"],
        ["--shift-by", "100"],
        ["--to-datetime", between.strftime("%Y-%m-%dT%H:%M:%S.000") + "Z"],
        ["--to-datetime", "2999-01-01T00:00:00.000Z"],
        ["--by-duration", "PT90M"],
    ]

    def plans(target: list[str]) -> tuple[dict[int, int], dict[int, int]]:
        ours = operated.json("replay", pipeline.group, "--topic", pipeline.topic, *target)
        planned = {int(m["partition"].split("[")[1].rstrip("]")): m["target"]
                   for m in ours["moves"]}  # fmt: skip
        return planned, _kafka_dry_run(operated, *target)

    # Both only read the group's offsets: the 18 processes (9 JVMs) run a few at a time.
    with ThreadPoolExecutor(max_workers=3) as pool:
        for target, (planned, kafkas) in zip(targets, pool.map(plans, targets), strict=True):
            assert planned == kafkas, target
    # Nothing moved without --execute.
    current = committed_offsets(admin, pipeline.group,
                                [PartitionId(pipeline.topic, p) for p in range(3)])  # fmt: skip
    assert sorted(current.values()) == [1, 6, 10]


def test_a_replay_is_refused_while_the_group_runs_and_audited_when_executed(
    operated: Operated,
) -> None:
    pipeline = operated.pipeline
    sink = Sink()
    pipeline.publish(*[order(f"shop:{n}", n) for n in range(1, 7)])
    with pipeline.running(pipeline.service(lambda event, _context: sink.add(event))):
        pipeline.wait(lambda: sink.count() == 6, what="6 applied")
        pipeline.wait(lambda: pipeline.committed(pipeline.group, pipeline.topic) == 6,
                      what="the offsets committed")  # fmt: skip
        refused = operated.cli("replay", pipeline.group, "--to-earliest", "--execute",
                               check=False)  # fmt: skip
    assert refused.returncode == 2
    assert "active members" in refused.stderr
    assert "retailsync on 127.0.0.1" in refused.stderr
    assert pipeline.committed(pipeline.group, pipeline.topic) == 6

    plan = operated.cli("replay", pipeline.group, "--to-earliest").stdout
    assert "This re-delivers 6 order_created." in plan
    operated.cli("replay", pipeline.group, "--to-earliest", "--execute", "--actor", "night-ops")
    assert pipeline.committed(pipeline.group, pipeline.topic) == 0
    (audit,) = operated.json("audit")
    assert audit["actor"] == "night-ops"
    assert audit["action"] == "replay"
    assert "--to-earliest --execute" in audit["command"]
    assert sum(change["before"] for change in audit["changes"]) == 6
    assert {change["after"] for change in audit["changes"]} == {0}

    with pipeline.running(pipeline.service(lambda event, _context: sink.add(event))):
        pipeline.wait(lambda: sink.count() == 12, what="the 6 orders re-delivered")


def test_a_replay_with_wait_goes_ahead_once_the_group_has_left(operated: Operated) -> None:
    pipeline = operated.pipeline
    sink = Sink()
    pipeline.publish(*[order(f"shop:{n}", n) for n in range(1, 4)])
    with pipeline.running(pipeline.service(lambda event, _context: sink.add(event))):
        pipeline.wait(lambda: pipeline.committed(pipeline.group, pipeline.topic) == 3,
                      what="the offsets committed")  # fmt: skip
        waiting = subprocess.Popen(
            [sys.executable, "-m", "commands", "replay", pipeline.group, "--to-earliest",
             "--execute", "--wait", "120"],
            env=operated.environment(), cwd=operated.directory,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert waiting.stderr is not None
        said = waiting.stderr.readline()
        assert said.startswith(f"Waiting up to 120s for {pipeline.group}'s members to leave")
        # Still waiting while the group runs: nothing moved yet.
        assert waiting.poll() is None
        assert pipeline.committed(pipeline.group, pipeline.topic) == 3
    out, err = waiting.communicate(timeout=150)
    assert waiting.returncode == 0, err
    assert f"Moved {pipeline.group}" in out
    assert pipeline.committed(pipeline.group, pipeline.topic) == 0


def test_records_parked_in_retry_topics_are_listed_and_dropped_only_when_asked(
    operated: Operated, admin: AdminClient
) -> None:
    pipeline = operated.pipeline
    pipeline.publish(*[order(f"shop:{n}", n) for n in range(1, 4)])
    retry_1s = f"{pipeline.topic}.{pipeline.group}.retry.1s"
    producer = Producer(pipeline.settings.producer_config())
    due_ms = int(time.time() * 1000) + 3_600_000
    for _ in range(3):  # parked as the runtime parks them
        producer.produce(retry_1s, key=b"shop:parked", value=b"x", partition=1,
                         headers=[("retailsync.due", str(due_ms).encode())])  # fmt: skip
    assert producer.flush(10) == 0

    plan = operated.json("replay", pipeline.group, "--to-earliest")
    assert plan["parked"]["by_key"] == {"shop:parked": 3}
    assert plan["redelivered"] == {}  # the group never committed: it starts at the beginning
    refused = operated.cli("replay", pipeline.group, "--to-earliest", "--execute", check=False)
    assert refused.returncode == 2
    assert "--with-retries" in refused.stderr

    operated.cli("replay", pipeline.group, "--to-earliest", "--with-retries", "drop", "--execute")
    (after,) = operated.json("lag", pipeline.group)
    assert after["in_retry"] == 0
    retry_offsets = committed_offsets(admin, f"{pipeline.group}.retry",
                                      [PartitionId(retry_1s, 1)])  # fmt: skip
    assert retry_offsets == {PartitionId(retry_1s, 1): 3}
    (audit,) = operated.json("audit")
    dropped = [c["dropped"] for c in audit["changes"] if "dropped" in c]
    assert dropped == [{"partition": f"{retry_1s}[1]", "offsets": "0-2", "records": 3}]
