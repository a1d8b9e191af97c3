"""The launcher as operators and fault tests use it: its own clusters, not the session's."""

import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from confluent_kafka import Consumer, KafkaError, Producer
from confluent_kafka.admin import AdminClient, NewTopic

from retailsync.broker import LocalCluster, free_port_block
from retailsync.settings import load_settings

pytestmark = pytest.mark.integration


def cli(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "commands", *arguments],
        capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip


def pid_alive(pid: int) -> bool:
    """Running, as opposed to gone or a zombie waiting for init to reap it."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_cli_start_status_tool_stop(tmp_path: Path) -> None:
    data_dir = str(tmp_path / "kafka")
    port = free_port_block(2)

    started = cli("broker", "start", "--data-dir", data_dir, "--port", str(port))
    assert started.returncode == 0, started.stderr
    assert started.stdout.strip() == f"127.0.0.1:{port}"
    pid = int((tmp_path / "kafka" / "node-1" / "kafka.pid").read_text())
    try:
        status = cli("broker", "status", "--data-dir", data_dir)
        assert status.returncode == 0
        assert "up" in status.stdout

        again = cli("broker", "start", "--data-dir", data_dir, "--port", str(port))
        assert again.returncode == 0
        assert int((tmp_path / "kafka" / "node-1" / "kafka.pid").read_text()) == pid

        topics = cli(
            "broker", "tool", "kafka-topics", "--bootstrap-server", f"127.0.0.1:{port}", "--list"
        )
        assert topics.returncode == 0, topics.stderr
        assert (tmp_path / "kafka" / "node-1" / "logs" / "server.log").stat().st_size > 0
    finally:
        stopped = cli("broker", "stop", "--data-dir", data_dir)
    assert stopped.returncode == 0
    assert "stopped node(s) 1" in stopped.stderr
    assert not pid_alive(pid)
    assert cli("broker", "status", "--data-dir", data_dir).returncode == 1


def test_a_failed_start_shows_the_broker_log_and_exits_non_zero(tmp_path: Path) -> None:
    data_dir = tmp_path / "kafka"
    port = free_port_block(2)
    LocalCluster(
        data_dir, cache_dir=load_settings().cache_dir, port=port
    ).running().__enter__().stop()
    properties = data_dir / "node-1" / "server.properties"
    properties.write_text(properties.read_text() + "num.network.threads=many\n")

    failed = cli("broker", "start", "--data-dir", str(data_dir), "--port", str(port))
    assert failed.returncode == 2
    assert "exited during start" in failed.stderr
    assert "last lines of" in failed.stderr
    assert "num.network.threads" in failed.stderr


def test_three_nodes_survive_a_sigkill_without_losing_acknowledged_records(tmp_path: Path) -> None:
    cluster = LocalCluster(
        tmp_path / "kafka", cache_dir=load_settings().cache_dir, nodes=3, port=free_port_block(6)
    )
    with cluster.running():
        bootstrap = cluster.bootstrap_servers
        topic = f"t{uuid.uuid4().hex[:12]}.faults"
        admin = AdminClient({"bootstrap.servers": bootstrap, "log_level": 0})
        admin.create_topics([NewTopic(topic, 3)])[topic].result(30)  # cluster defaults: RF 3

        def replicas() -> list[int]:
            partitions = admin.list_topics(topic, timeout=10).topics[topic].partitions
            return [len(p.replicas) for p in partitions.values()]

        # The controller answers before every broker's metadata shows the new topic.
        deadline = time.monotonic() + 30
        while len(replicas()) < 3 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert replicas() == [3, 3, 3]

        acknowledged: set[str] = set()
        failures: list[KafkaError] = []

        def on_delivery(error: KafkaError | None, message: object) -> None:
            if error is not None:
                failures.append(error)
            else:
                acknowledged.add(message.value().decode())  # type: ignore[attr-defined]

        producer = Producer({
            "bootstrap.servers": bootstrap, "acks": "all", "enable.idempotence": True,
            "delivery.timeout.ms": 60_000, "log_level": 0,
        })  # fmt: skip
        total = 3_000
        leader = admin.list_topics(topic, timeout=10).topics[topic].partitions[0].leader
        for index in range(total):
            producer.produce(
                topic, key=str(index % 17), value=str(index).encode(), on_delivery=on_delivery
            )
            producer.poll(0)
            if index == total // 3:
                producer.flush(30)
                cluster.kill_node(leader, signal.SIGKILL)
                assert [s.running for s in cluster.status()].count(False) == 1
            if index % 100 == 0:
                time.sleep(0.01)
        assert producer.flush(90) == 0
        assert failures == []
        assert len(acknowledged) == total

        consumer = Consumer({
            "bootstrap.servers": bootstrap, "group.id": f"g{uuid.uuid4().hex}",
            "auto.offset.reset": "earliest", "enable.auto.commit": False, "log_level": 0,
        })  # fmt: skip
        consumer.subscribe([topic])
        seen: list[str] = []
        deadline = time.monotonic() + 90
        while len(seen) < total and time.monotonic() < deadline:
            for message in consumer.consume(500, timeout=1):
                if message.error() is None:
                    seen.append(message.value().decode())
        consumer.close()
        assert sorted(seen, key=int) == sorted(acknowledged, key=int)  # every record, once


def test_restarting_one_of_three_nodes_brings_it_back_with_its_data(tmp_path: Path) -> None:
    data_dir = tmp_path / "kafka"
    port = free_port_block(6)
    started = cli("broker", "start", "--nodes", "3", "--data-dir", str(data_dir),
                  "--port", str(port))  # fmt: skip
    assert started.returncode == 0, started.stderr
    try:
        admin = AdminClient({"bootstrap.servers": started.stdout.strip(), "log_level": 0})
        topic = f"t{uuid.uuid4().hex[:12]}.restart"
        admin.create_topics([NewTopic(topic, 3)])[topic].result(30)  # cluster defaults: RF 3
        node_2 = data_dir / "node-2"
        pid = int((node_2 / "kafka.pid").read_text())

        restarted = cli("broker", "restart", "--node", "2", "--data-dir", str(data_dir))

        assert restarted.returncode == 0, restarted.stderr
        assert not pid_alive(pid)
        assert int((node_2 / "kafka.pid").read_text()) != pid
        assert cli("broker", "status", "--data-dir", str(data_dir)).returncode == 0
        assert list((node_2 / "data").glob(f"{topic}-*")), "node 2 lost its replicas"

        def in_sync_everywhere() -> bool:
            partitions = admin.list_topics(topic, timeout=10).topics[topic].partitions
            return all(sorted(p.isrs) == [1, 2, 3] for p in partitions.values())

        # Node 2 rejoins every partition's in-sync replicas from the data it kept.
        deadline = time.monotonic() + 60
        while not in_sync_everywhere() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert in_sync_everywhere()
    finally:
        cli("broker", "stop", "--data-dir", str(data_dir))
