"""SIGKILL of a running service, then a restart: nothing lost, nothing applied twice."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from confluent_kafka.admin import AdminClient

from retailsync.settings import Settings
from tests.integration.crash_app import open_sink
from tests.integration.harness import SCHEMAS, make_pipeline, order

pytestmark = pytest.mark.integration

ROOT = Path(__file__).parents[2]
TOTAL = 3_000
APP = "tests.integration.crash_app:service"
SESSION_TIMEOUT_MS = 45_000


def start(
    group: str,
    topology: Path,
    sink: Path,
    bootstrap: str,
    log: Path,
    *,
    session_timeout_ms: int = 6000,
    instance_id: str | None = None,
) -> subprocess.Popen[bytes]:
    # The killed member holds its partitions until its session times out, unless a
    # restarted instance takes its place by its instance id.
    options = {"session.timeout.ms": session_timeout_ms, "heartbeat.interval.ms": 1000}
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith("RETAILSYNC_")},
        "RETAILSYNC_BOOTSTRAP_SERVERS": bootstrap,
        "RETAILSYNC_TOPOLOGY_FILE": str(topology),
        "RETAILSYNC_SCHEMAS_DIR": str(SCHEMAS),
        "RETAILSYNC_TEST_GROUP": group,
        "RETAILSYNC_TEST_SINK": str(sink),
        "RETAILSYNC_KAFKA_OPTIONS": json.dumps(options),
        # Any free port for its probes: the default one may be another process's.
        "RETAILSYNC_HTTP_PORT": "0",
    }
    if instance_id is not None:
        environment["RETAILSYNC_INSTANCE_ID"] = instance_id
    command = [sys.executable, "-m", "commands", "consume", group, "--app", APP]
    with log.open("ab") as output:
        return subprocess.Popen(command, cwd=ROOT, env=environment, stdout=output, stderr=output)


def count(sink: sqlite3.Connection, table: str) -> int:
    return int(sink.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])


def test_sigkill_mid_batch_then_restart_loses_nothing_and_applies_nothing_twice(
    kafka_settings: Settings, admin: AdminClient, unique: str, tmp_path: Path
) -> None:
    pipeline = make_pipeline(kafka_settings, admin, unique)
    topology_file = tmp_path / "topology.yaml"
    topology_file.write_text(pipeline.text)
    sink = open_sink(str(tmp_path / "sink.db"))
    pipeline.publish(*[order(f"shop:{n % 50}", n) for n in range(TOTAL)])

    log = tmp_path / "service.log"
    bootstrap = kafka_settings.bootstrap_servers
    first = start(pipeline.group, topology_file, tmp_path / "sink.db", bootstrap, log)
    pipeline.wait(
        lambda: count(sink, "applied") >= TOTAL // 3 or first.poll() is not None, 60, "progress"
    )
    assert first.poll() is None, log.read_text()[-2000:]
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    killed_at = count(sink, "applied")
    assert 0 < killed_at < TOTAL

    second = start(pipeline.group, topology_file, tmp_path / "sink.db", bootstrap, log)
    try:
        pipeline.wait(
            lambda: count(sink, "applied") == TOTAL or second.poll() is not None, 120, "all"
        )
        assert count(sink, "applied") == TOTAL
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(60)
    assert second.returncode == 0, log.read_text()[-2000:]

    # Each event applied exactly once; redeliveries after the kill were absorbed by the sink.
    assert count(sink, "deliveries") >= TOTAL
    rows = sink.execute("SELECT order_ref, sequence FROM applied ORDER BY rowid").fetchall()
    assert sorted(sequence for _, sequence in rows) == list(range(TOTAL))
    for ref in {ref for ref, _ in rows}:
        sequences = [sequence for key, sequence in rows if key == ref]
        assert sequences == sorted(sequences), f"{ref} applied out of order"
    assert pipeline.committed(pipeline.group, pipeline.topic) == TOTAL
    sink.close()


def test_a_restart_with_the_same_instance_id_takes_the_partitions_back_at_once(
    kafka_settings: Settings, admin: AdminClient, unique: str, tmp_path: Path
) -> None:
    pipeline = make_pipeline(kafka_settings, admin, unique)
    topology_file = tmp_path / "topology.yaml"
    topology_file.write_text(pipeline.text)
    sink = open_sink(str(tmp_path / "sink.db"))
    pipeline.publish(*[order(f"shop:{n % 50}", n) for n in range(TOTAL)])
    log = tmp_path / "service.log"

    def service() -> subprocess.Popen[bytes]:
        # Kafka's default session timeout: a dynamic member would wait this long.
        return start(
            pipeline.group,
            topology_file,
            tmp_path / "sink.db",
            kafka_settings.bootstrap_servers,
            log,
            session_timeout_ms=SESSION_TIMEOUT_MS,
            instance_id="odoo-orders-0",
        )

    first = service()
    pipeline.wait(
        lambda: count(sink, "applied") >= TOTAL // 3 or first.poll() is not None, 60, "progress"
    )
    assert first.poll() is None, log.read_text()[-2000:]
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    delivered = count(sink, "deliveries")
    assert count(sink, "applied") < TOTAL

    restarted_at = time.monotonic()
    second = service()
    try:
        pipeline.wait(
            lambda: count(sink, "deliveries") > delivered or second.poll() is not None,
            SESSION_TIMEOUT_MS / 1000,
            "the restarted instance to consume",
        )
        resumed_s = time.monotonic() - restarted_at
        print(f"restarted instance consuming {resumed_s:.1f} s after its process start")
        assert resumed_s < SESSION_TIMEOUT_MS / 1000 / 3, log.read_text()[-2000:]
        pipeline.wait(
            lambda: count(sink, "applied") == TOTAL or second.poll() is not None, 120, "all"
        )
        assert count(sink, "applied") == TOTAL
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(60)
    assert second.returncode == 0, log.read_text()[-2000:]
    assert pipeline.committed(pipeline.group, pipeline.topic) == TOTAL
    sink.close()
