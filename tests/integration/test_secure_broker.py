"""A ``scram-tls`` local cluster, started and restarted through the CLI as an operator does,
used with exactly the client settings ``broker start`` prints: SASL_SSL, SCRAM-SHA-512."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient

from retailsync import headers as h
from retailsync.broker import free_port_block
from retailsync.broker.tls import write_loopback_tls
from retailsync.consumer import HandlerContext
from retailsync.errors import ConfigError, PermanentError, TransientError
from retailsync.events import OrderCreated
from retailsync.kafka.security import check_connection, raise_on_security_error
from retailsync.settings import Settings, load_settings
from tests.integration.harness import Sink, make_pipeline, order
from tests.integration.test_broker import pid_alive

pytestmark = pytest.mark.integration

REPOSITORY = Path(__file__).parents[2]
SETTING_LINE = re.compile(r"^(RETAILSYNC_[A-Z_]+)=(.+)$", re.MULTILINE)


@dataclass(frozen=True)
class SecureCluster:
    data_dir: Path
    bootstrap_servers: str
    environment: dict[str, str]  # RETAILSYNC_ client settings, as `broker start` printed them
    start_output: str

    @property
    def password(self) -> str:
        return (self.data_dir / "client.password").read_text().strip()

    def node_pid(self) -> int:
        return int((self.data_dir / "node-1" / "kafka.pid").read_text())


def cli(
    *arguments: str, environment: dict[str, str] | None = None, timeout_s: float = 180
) -> subprocess.CompletedProcess[str]:
    """``python -m commands`` (the retailsync command) with only the given RETAILSYNC_ settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RETAILSYNC_")}
    env.update(environment or {})
    return subprocess.run(
        [sys.executable, "-m", "commands", *arguments],
        capture_output=True, text=True, timeout=timeout_s, check=False, env=env, cwd=REPOSITORY,
    )  # fmt: skip


@pytest.fixture(scope="module")
def secure_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecureCluster]:
    data_dir = tmp_path_factory.mktemp("secure") / "kafka"
    port = free_port_block(2)
    started = cli(
        "broker", "start", "--security", "scram-tls", "--data-dir", str(data_dir),
        "--port", str(port),
    )  # fmt: skip
    try:
        assert started.returncode == 0, started.stderr
        printed = dict(SETTING_LINE.findall(started.stderr))
        yield SecureCluster(
            data_dir=data_dir,
            bootstrap_servers=started.stdout.strip(),
            environment={"RETAILSYNC_BOOTSTRAP_SERVERS": started.stdout.strip(), **printed},
            start_output=started.stdout + started.stderr,
        )
    finally:
        cli("broker", "stop", "--data-dir", str(data_dir))


@pytest.fixture
def secure_settings(secure_cluster: SecureCluster, monkeypatch: pytest.MonkeyPatch) -> Settings:
    for name in list(os.environ):
        if name.startswith("RETAILSYNC_") and not name.startswith("RETAILSYNC_TEST_"):
            monkeypatch.delenv(name)
    for name, value in secure_cluster.environment.items():
        monkeypatch.setenv(name, value)
    return load_settings()


def test_start_prints_the_client_settings_but_never_the_password(
    secure_cluster: SecureCluster,
) -> None:
    port = secure_cluster.bootstrap_servers.rsplit(":", 1)[1]
    assert secure_cluster.bootstrap_servers == f"127.0.0.1:{port}"  # stdout: servers only
    assert secure_cluster.environment == {
        "RETAILSYNC_BOOTSTRAP_SERVERS": secure_cluster.bootstrap_servers,
        "RETAILSYNC_SECURITY_PROTOCOL": "SASL_SSL",
        "RETAILSYNC_SASL_MECHANISM": "SCRAM-SHA-512",
        "RETAILSYNC_SASL_USERNAME": "retailsync",
        "RETAILSYNC_SASL_PASSWORD_FILE": str(secure_cluster.data_dir / "client.password"),
        "RETAILSYNC_SSL_CA_LOCATION": str(secure_cluster.data_dir / "ca.pem"),
    }
    assert secure_cluster.password not in secure_cluster.start_output


def test_topology_publish_retry_and_dead_letter_over_sasl_ssl(
    secure_settings: Settings, unique: str
) -> None:
    admin = AdminClient(secure_settings.admin_config())
    pipeline = make_pipeline(secure_settings, admin, unique)  # applies its topology
    sink = Sink()
    attempts: list[tuple[int, int]] = []

    def handler(event: OrderCreated, context: HandlerContext) -> None:
        attempts.append((event.envelope.source_version or 0, context.attempt))
        if event.order_ref == "shop:doomed":
            if context.attempt == 1:
                raise TransientError("storefront answered 500")
            raise PermanentError("the storefront has no such product")
        sink.add(event)

    pipeline.publish(order("shop:fine", 1), order("shop:doomed", 2))
    retry_topic = f"{pipeline.topic}.{pipeline.group}.retry.1s"
    dead_letter_topic = f"{pipeline.topic}.{pipeline.group}.dlt"
    with pipeline.running(pipeline.service(handler)):
        (dead,) = pipeline.records(dead_letter_topic, timeout_s=30, expect=1)
        pipeline.wait(lambda: sink.of("shop:fine") == [1], what="the good order")
        pipeline.wait(lambda: pipeline.committed(pipeline.group, pipeline.topic) == 2,
                      what="both source offsets committed")  # fmt: skip

    assert [a for a in attempts if a[0] == 2] == [(2, 1), (2, 1), (2, 2)]
    (retried,) = pipeline.records(retry_topic, expect=1)
    assert retried.key == dead.key == b"shop:doomed"
    assert h.text_header(dead.headers, h.ERROR_CLASS) == "retailsync.errors.PermanentError"
    assert h.int_header(dead.headers, h.ATTEMPT) == 2


def assert_one_line_naming(result: subprocess.CompletedProcess[str], setting: str) -> None:
    assert result.returncode == 2, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert setting in lines[0]


def test_a_wrong_password_is_one_line_naming_the_setting(
    secure_cluster: SecureCluster, tmp_path: Path
) -> None:
    wrong = tmp_path / "wrong.password"
    wrong.write_text("not-the-password\n")
    environment = {**secure_cluster.environment, "RETAILSYNC_SASL_PASSWORD_FILE": str(wrong)}

    # Under 30 s, the admin client's own timeout: the failure is reported, not waited out.
    result = cli("topology", "plan", environment=environment, timeout_s=25)

    assert_one_line_naming(result, "RETAILSYNC_SASL_PASSWORD")
    assert "not-the-password" not in result.stderr


def test_an_untrusted_ca_is_one_line_naming_the_setting(
    secure_cluster: SecureCluster, tmp_path: Path
) -> None:
    other_ca = tmp_path / "other-ca.pem"
    write_loopback_tls(other_ca, tmp_path / "other-server.pem")  # a CA the brokers never used
    environment = {**secure_cluster.environment, "RETAILSYNC_SSL_CA_LOCATION": str(other_ca)}

    result = cli("topology", "plan", environment=environment, timeout_s=25)

    assert_one_line_naming(result, "RETAILSYNC_SSL_CA_LOCATION")


def test_no_broker_at_the_bootstrap_servers_is_named_as_such(
    secure_settings: Settings,
) -> None:
    nobody = secure_settings.model_copy(
        update={"bootstrap_servers": f"127.0.0.1:{free_port_block(1)}"}
    )
    with pytest.raises(ConfigError) as raised:
        check_connection(nobody, timeout_s=2)
    assert raised.value.key == "RETAILSYNC_BOOTSTRAP_SERVERS"
    check_connection(secure_settings, timeout_s=10)  # the secured cluster answers


def test_a_clients_error_cb_stops_it_naming_the_setting(secure_settings: Settings) -> None:
    config = secure_settings.producer_config()
    config.update(
        {"sasl.password": "not-the-password", "error_cb": raise_on_security_error, "log_level": 0}
    )
    producer = Producer(config)
    producer.produce("retail.orders", b"never sent")  # makes it connect
    deadline = time.monotonic() + 20
    with pytest.raises(ConfigError) as raised:
        while time.monotonic() < deadline:
            producer.poll(0.2)  # confluent-kafka re-raises what error_cb raised
    assert raised.value.key == "RETAILSYNC_SASL_PASSWORD"


def test_restart_one_node_keeps_its_data_and_serves_secured_clients_again(
    secure_cluster: SecureCluster, secure_settings: Settings, unique: str
) -> None:
    admin = AdminClient(secure_settings.admin_config())
    pipeline = make_pipeline(secure_settings, admin, unique)
    pipeline.publish(order("shop:before", 1))
    pid = secure_cluster.node_pid()

    restarted = cli("broker", "restart", "--node", "1", "--data-dir", str(secure_cluster.data_dir))

    assert restarted.returncode == 0, restarted.stderr
    assert secure_cluster.node_pid() != pid
    assert not pid_alive(pid)
    pipeline.publish(order("shop:after", 2))
    records = pipeline.records(pipeline.topic, timeout_s=20, expect=2)
    assert sorted(r.key or b"" for r in records) == [b"shop:after", b"shop:before"]
