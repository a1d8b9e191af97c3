"""A local Apache Kafka cluster in KRaft mode: one node, or three for fault tests.

Every node is a combined broker and controller on loopback. Node ``i`` (from 1) listens for
clients on ``port + i - 1`` and for its controller quorum on ``port + nodes + i - 1``, so
one node on 9092 uses 9092 and 9093, and three nodes use 9092-9094 and 9095-9097.

The data directory holds ``cluster.json`` (what was started) and ``node-N/`` per node with
its properties, storage, logs and pid file. ``stop`` signals exactly the processes whose
pid files it finds, after checking that each is still the java process started for that
node's properties file.

``security="scram-tls"`` makes the client listener SASL_SSL with SCRAM-SHA-512 and a
certificate for loopback (see ``retailsync.broker.security``).
"""

from __future__ import annotations

import base64
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from retailsync.broker import jars, readiness
from retailsync.broker.security import SECURITY_MODES, ScramTls, SecurityMode
from retailsync.errors import BrokerError
from retailsync.settings import KafkaConfig

HOST = "127.0.0.1"
_STATE_FILE = "cluster.json"
_HEAP = ("-Xms256m", "-Xmx1g")
_LOG_TAIL_LINES = 25


@dataclass(frozen=True, slots=True)
class Node:
    """One combined broker/controller process of the cluster."""

    node_id: int
    port: int
    controller_port: int
    directory: Path

    @property
    def properties_file(self) -> Path:
        return self.directory / "server.properties"

    @property
    def pid_file(self) -> Path:
        return self.directory / "kafka.pid"

    @property
    def log_file(self) -> Path:
        return self.directory / "logs" / "server.log"

    @property
    def stdout_file(self) -> Path:
        return self.directory / "logs" / "stdout.log"


@dataclass(frozen=True, slots=True)
class NodeStatus:
    node_id: int
    address: str
    pid: int | None
    running: bool
    accepting: bool


class LocalCluster:
    """Start, stop and inspect a local Kafka cluster kept in ``data_dir``."""

    def __init__(
        self,
        data_dir: Path,
        *,
        cache_dir: Path,
        nodes: int = 1,
        port: int = 9092,
        kafka_version: str = jars.KAFKA_VERSION,
        security: SecurityMode = "none",
    ) -> None:
        if nodes not in (1, 3):
            raise BrokerError(f"--nodes must be 1 or 3, not {nodes}")
        if security not in SECURITY_MODES:
            raise BrokerError(f"--security must be one of {', '.join(SECURITY_MODES)}")
        self.data_dir = data_dir.resolve()
        self.security = security
        self.scram_tls = ScramTls(self.data_dir) if security == "scram-tls" else None
        self.cache_dir = cache_dir
        self.kafka_version = kafka_version
        self.nodes = tuple(
            Node(
                node_id=index + 1,
                port=port + index,
                controller_port=port + nodes + index,
                directory=self.data_dir / f"node-{index + 1}",
            )
            for index in range(nodes)
        )
        self._processes: dict[int, subprocess.Popen[bytes]] = {}

    @classmethod
    def existing(cls, data_dir: Path, *, cache_dir: Path) -> LocalCluster:
        """The cluster described by ``data_dir/cluster.json``, as ``start`` wrote it."""
        state_path = data_dir / _STATE_FILE
        try:
            state = json.loads(state_path.read_text())
        except FileNotFoundError:
            raise BrokerError(f"no cluster in {data_dir} (no {_STATE_FILE})") from None
        return cls(
            data_dir,
            cache_dir=cache_dir,
            nodes=state["nodes"],
            port=state["port"],
            kafka_version=state["kafka_version"],
            # Clusters formatted before security existed have no such key.
            security=state.get("security", "none"),
        )

    @property
    def bootstrap_servers(self) -> str:
        return ",".join(f"{HOST}:{node.port}" for node in self.nodes)

    def client_config(self) -> KafkaConfig:
        """librdkafka properties that reach this cluster, with its credentials if it has any."""
        config: KafkaConfig = {"bootstrap.servers": self.bootstrap_servers}
        if self.scram_tls is not None:
            config.update(self.scram_tls.client_config())
        return config

    @property
    def replication_factor(self) -> int:
        return len(self.nodes)

    def node(self, node_id: int) -> Node:
        if not 1 <= node_id <= len(self.nodes):
            known = ", ".join(str(node.node_id) for node in self.nodes)
            raise BrokerError(f"--node {node_id}: this cluster has node(s) {known}")
        return self.nodes[node_id - 1]

    def start(self, timeout_s: float = 120.0) -> None:
        """Start every node that is not running and return once clients can use a topic."""
        libs = jars.resolve_kafka(self.cache_dir, self.kafka_version)
        self._check_state_matches()
        if not (self.data_dir / _STATE_FILE).exists():
            self._format(libs)
        for node in self.nodes:
            if self._read_pid(node) is None:
                self._launch(node, libs)
        deadline = time.monotonic() + timeout_s
        for node in self.nodes:
            self._wait_accepting(node, deadline)
        try:
            readiness.wait_until_usable(
                self.client_config(), self.replication_factor, deadline - time.monotonic()
            )
        except BrokerError as exc:
            raise BrokerError(f"{exc}\n{self._log_tails()}") from None

    def start_node(self, node_id: int, timeout_s: float = 120.0) -> None:
        """Restart one node (after ``kill_node``) and wait until it accepts connections."""
        node = self.node(node_id)
        self._launch(node, jars.resolve_kafka(self.cache_dir, self.kafka_version))
        self._wait_accepting(node, time.monotonic() + timeout_s)

    def restart_node(self, node_id: int, timeout_s: float = 120.0) -> None:
        """Stop one node (SIGTERM, as ``stop``), start it with the same properties and data,
        and return once it accepts connections and the whole cluster is usable again."""
        self.stop(node_ids=[node_id])
        deadline = time.monotonic() + timeout_s
        self.start_node(node_id, timeout_s)
        try:
            readiness.wait_until_usable(
                self.client_config(), self.replication_factor, deadline - time.monotonic()
            )
        except BrokerError as exc:
            raise BrokerError(f"{exc}\n{self._log_tails()}") from None

    def kill_node(self, node_id: int, sig: signal.Signals = signal.SIGKILL) -> None:
        """Send ``sig`` to one node and wait for it to exit; for fault tests."""
        node = self.node(node_id)
        pid = self._read_pid(node)
        if pid is None:
            raise BrokerError(f"node {node_id} is not running")
        os.kill(pid, sig)
        self._wait_exit(node, pid, timeout_s=60.0)

    def stop(self, timeout_s: float = 30.0, node_ids: Collection[int] | None = None) -> list[int]:
        """Stop the nodes this cluster started (all, or those in ``node_ids``); returns the
        ids of those that were running."""
        chosen = self.nodes if node_ids is None else [self.node(i) for i in node_ids]
        running = [(node, pid) for node in chosen if (pid := self._read_pid(node)) is not None]
        for _, pid in running:
            os.kill(pid, signal.SIGTERM)
        for node, pid in running:
            if not self._wait_exit(node, pid, timeout_s):
                os.kill(pid, signal.SIGKILL)
                self._wait_exit(node, pid, timeout_s)
        return [node.node_id for node, _ in running]

    def status(self) -> list[NodeStatus]:
        return [
            NodeStatus(
                node_id=node.node_id,
                address=f"{HOST}:{node.port}",
                pid=(pid := self._read_pid(node)),
                running=pid is not None,
                accepting=pid is not None and _accepting(node.port),
            )
            for node in self.nodes
        ]

    @contextmanager
    def running(self) -> Iterator[LocalCluster]:
        try:
            # Inside the try: nodes launched before a failed start are stopped too.
            self.start()
            yield self
        finally:
            self.stop()

    def _check_state_matches(self) -> None:
        state_path = self.data_dir / _STATE_FILE
        if not state_path.exists():
            return
        state = json.loads(state_path.read_text())
        wanted = {"nodes": len(self.nodes), "port": self.nodes[0].port, "security": self.security}
        found = {key: state.get(key, "none") for key in wanted}
        if found != wanted:
            raise BrokerError(
                f"{self.data_dir} holds a {found['nodes']}-node cluster on port {found['port']} "
                f"with security {found['security']}; "
                "stop it and use it as it is, or choose another --data-dir"
            )

    def _format(self, libs: Path) -> None:
        for port in [port for node in self.nodes for port in (node.port, node.controller_port)]:
            if _accepting(port):
                raise BrokerError(f"port {port} on {HOST} is already in use")
        cluster_id = _new_cluster_id()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        # Only the brokers know their own SCRAM password: it is written into their properties.
        broker_password = self.scram_tls.create() if self.scram_tls is not None else ""
        for node in self.nodes:
            shutil.rmtree(node.directory, ignore_errors=True)
            (node.directory / "logs").mkdir(parents=True)
            node.properties_file.touch(mode=0o600)
            node.properties_file.write_text(self._properties(node, broker_password))
            (node.directory / "log4j2.yaml").write_text(_log_config(node))
            command = [
                *_java(node, libs), "kafka.tools.StorageTool", "format",
                "--cluster-id", cluster_id, "--config", str(node.properties_file),
            ]  # fmt: skip
            if self.scram_tls is not None:
                command += self.scram_tls.format_arguments(broker_password)
            result = subprocess.run(command, capture_output=True, text=True, check=False)
            if result.returncode != 0:
                raise BrokerError(
                    f"formatting node {node.node_id} failed:\n{result.stdout}{result.stderr}"
                )
        state = {
            "nodes": len(self.nodes),
            "port": self.nodes[0].port,
            "kafka_version": self.kafka_version,
            "cluster_id": cluster_id,
            "security": self.security,
        }
        (self.data_dir / _STATE_FILE).write_text(json.dumps(state, indent=2) + "\n")

    def _properties(self, node: Node, broker_password: str) -> str:
        voters = ",".join(f"{n.node_id}@{HOST}:{n.controller_port}" for n in self.nodes)
        replication = len(self.nodes)
        min_insync = 2 if replication >= 3 else 1
        settings = {
            "process.roles": "broker,controller",
            "node.id": node.node_id,
            "controller.quorum.voters": voters,
            "listeners": f"PLAINTEXT://{HOST}:{node.port},CONTROLLER://{HOST}:{node.controller_port}",
            "advertised.listeners": f"PLAINTEXT://{HOST}:{node.port}",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "log.dirs": node.directory / "data",
            "default.replication.factor": replication,
            "min.insync.replicas": min_insync,
            "offsets.topic.replication.factor": replication,
            "transaction.state.log.replication.factor": replication,
            "transaction.state.log.min.isr": min_insync,
            "share.coordinator.state.topic.replication.factor": replication,
            "share.coordinator.state.topic.min.isr": min_insync,
            # topology.yaml is the source of truth: a typo in a topic name must fail, not
            # silently create a one-partition topic.
            "auto.create.topics.enable": "false",
            "group.initial.rebalance.delay.ms": 0,
            "unclean.leader.election.enable": "false",
        }
        if self.scram_tls is not None:
            settings.update(
                self.scram_tls.node_properties(
                    HOST, node.port, node.controller_port, broker_password
                )
            )
        return "".join(f"{key}={value}\n" for key, value in settings.items())

    def _launch(self, node: Node, libs: Path) -> None:
        if _accepting(node.port):
            raise BrokerError(f"port {node.port} on {HOST} is already in use")
        with node.stdout_file.open("ab") as stdout:
            process = subprocess.Popen(
                [*_java(node, libs), "kafka.Kafka", str(node.properties_file)],
                stdin=subprocess.DEVNULL,
                stdout=stdout,
                stderr=subprocess.STDOUT,
                cwd=node.directory,
                # Its own session: the broker outlives `retailsync broker start` and is not
                # hit by a Ctrl-C meant for the terminal that started it.
                start_new_session=True,
            )
        self._processes[node.node_id] = process
        node.pid_file.write_text(f"{process.pid}\n")

    def _wait_accepting(self, node: Node, deadline: float) -> None:
        while not _accepting(node.port):
            if self._read_pid(node) is None:
                raise BrokerError(f"node {node.node_id} exited during start\n{self._log_tails()}")
            if time.monotonic() > deadline:
                raise BrokerError(
                    f"node {node.node_id} did not open {HOST}:{node.port} in time\n"
                    f"{self._log_tails()}"
                )
            time.sleep(0.1)

    def _wait_exit(self, node: Node, pid: int, timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        process = self._processes.get(node.node_id)
        while time.monotonic() < deadline:
            # A child of ours must be reaped; any other process is gone once /proc says so.
            gone = (
                process.poll() is not None if process is not None else not _is_our_java(node, pid)
            )
            if gone:
                node.pid_file.unlink(missing_ok=True)
                self._processes.pop(node.node_id, None)
                return True
            time.sleep(0.1)
        return False

    def _read_pid(self, node: Node) -> int | None:
        """The pid in the node's pid file if that process is still the node's java process."""
        try:
            pid = int(node.pid_file.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None
        process = self._processes.get(node.node_id)
        # Our own child is checked through its handle: right after exec its /proc cmdline
        # can still be empty.
        alive = (
            process.poll() is None
            if process is not None and process.pid == pid
            else _is_our_java(node, pid)
        )
        if alive:
            return pid
        node.pid_file.unlink(missing_ok=True)
        return None

    def _log_tails(self) -> str:
        parts = []
        for node in self.nodes:
            for path in (node.log_file, node.stdout_file):
                if path.exists() and path.stat().st_size:
                    lines = path.read_text(errors="replace").splitlines()[-_LOG_TAIL_LINES:]
                    parts.append(f"--- last lines of {path} ---\n" + "\n".join(lines))
        return "\n".join(parts) or "(the broker wrote no log)"


def _java(node: Node, libs: Path) -> list[str]:
    return [
        jars.java_executable(), *_HEAP, "-XX:+UseG1GC", "-Djava.awt.headless=true",
        f"-Dlog4j2.configurationFile={node.directory / 'log4j2.yaml'}",
        f"-Dkafka.logs.dir={node.directory / 'logs'}",
        "-cp", f"{libs}/*",
    ]  # fmt: skip


def _new_cluster_id() -> str:
    """A random Kafka cluster id: 22 characters of URL-safe base64.

    Like Kafka's own Uuid.randomUuid, never one starting with "-", which the storage tool
    would take for an option.
    """
    while True:
        candidate = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
        if not candidate.startswith("-"):
            return candidate


def _log_config(node: Node) -> str:
    return (
        "Configuration:\n"
        "  Appenders:\n"
        "    File:\n"
        "      name: file\n"
        f'      fileName: "{node.log_file}"\n'
        '      PatternLayout: {pattern: "[%d] %p %m (%c)%n"}\n'
        "  Loggers:\n"
        "    Root:\n"
        "      level: INFO\n"
        "      AppenderRef: [{ref: file}]\n"
    )


def _is_our_java(node: Node, pid: int) -> bool:
    # A pid can be reused by an unrelated process after a crash or reboot; the command line
    # naming this node's properties file proves the process is the one we started.
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    zombie = stat.rsplit(")", 1)[-1].split()[0] == "Z"
    return not zombie and str(node.properties_file).encode() in cmdline


def _accepting(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        return probe.connect_ex((HOST, port)) == 0


_LOWEST_TEST_PORT = 20000


def free_port_block(size: int, attempts: int = 200) -> int:
    """A first port ``p`` such that ``p .. p+size-1`` are all free on loopback (for tests).

    The block is drawn below the kernel's ephemeral range: a port in that range can be taken,
    between this check and the broker's bind, by any outgoing connection, such as one node
    dialling another's controller."""
    highest_first = _first_ephemeral_port() - size
    for _ in range(attempts):
        # Random, not a secret: it spreads tests that run at once over the range.
        first = random.randint(_LOWEST_TEST_PORT, highest_first)  # noqa: S311
        if all(_bindable(first + offset) for offset in range(size)):
            return first
    raise BrokerError(f"found no {size} consecutive free ports on {HOST}")


def _first_ephemeral_port() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768  # Linux's default


def _bindable(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((HOST, port))
        except OSError:
            return False
    return True
