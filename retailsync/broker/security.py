"""The local cluster's wire security: none, or SASL_SSL with SCRAM-SHA-512 (``scram-tls``).

With ``scram-tls`` every node has one client listener, SASL_SSL, used by clients and by the
brokers among themselves (as the user ``broker``); the controller quorum stays PLAINTEXT on
loopback, where only this machine can reach it. Both SCRAM users are created when the storage
is formatted (KIP-900), so no broker ever runs without them. The data directory keeps
``ca.pem`` (trusted by clients and brokers), ``server.pem`` (the brokers' key and chain) and
``client.password`` (mode 0600); the brokers' password lives only in their properties files.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from retailsync.broker.tls import write_loopback_tls
from retailsync.settings import KafkaConfig

SecurityMode = Literal["none", "scram-tls"]
SECURITY_MODES: tuple[SecurityMode, ...] = ("none", "scram-tls")

CLIENT_USER = "retailsync"
MECHANISM = "SCRAM-SHA-512"
_BROKER_USER = "broker"
_LISTENER = "SASL_SSL"


def _new_password() -> str:
    # Hex only: no character needs quoting in Kafka's ``--add-scram`` or JAAS syntax.
    return secrets.token_hex(24)


def _write_secret(path: Path, value: str) -> None:
    path.touch(mode=0o600)
    path.write_text(value + "\n", encoding="utf-8")


@dataclass(frozen=True, slots=True)
class ScramTls:
    """The files and settings of a ``scram-tls`` cluster kept in ``data_dir``."""

    data_dir: Path

    @property
    def ca_file(self) -> Path:
        return self.data_dir / "ca.pem"

    @property
    def keystore_file(self) -> Path:
        return self.data_dir / "server.pem"

    @property
    def client_password_file(self) -> Path:
        return self.data_dir / "client.password"

    def create(self) -> str:
        """Write the CA, the server keystore and the client password; return the brokers'
        own password, for ``format_arguments`` and ``node_properties``."""
        write_loopback_tls(self.ca_file, self.keystore_file)
        _write_secret(self.client_password_file, _new_password())
        return _new_password()

    def format_arguments(self, broker_password: str) -> list[str]:
        """``kafka-storage format`` arguments that create both SCRAM users."""
        # The storage tool takes them on its command line only: for the second it runs,
        # local users can read them in /proc. Acceptable for a cluster on loopback.
        users = ((CLIENT_USER, self.client_password()), (_BROKER_USER, broker_password))
        arguments: list[str] = []
        for name, password in users:
            arguments += ["--add-scram", f"{MECHANISM}=[name={name},password={password}]"]
        return arguments

    def node_properties(
        self, host: str, port: int, controller_port: int, broker_password: str
    ) -> dict[str, str]:
        """The properties that replace a node's PLAINTEXT client listener."""
        jaas = (
            "org.apache.kafka.common.security.scram.ScramLoginModule required "
            f'username="{_BROKER_USER}" password="{broker_password}";'
        )
        return {
            "listeners": f"{_LISTENER}://{host}:{port},CONTROLLER://{host}:{controller_port}",
            "advertised.listeners": f"{_LISTENER}://{host}:{port}",
            "listener.security.protocol.map": f"{_LISTENER}:SASL_SSL,CONTROLLER:PLAINTEXT",
            "inter.broker.listener.name": _LISTENER,
            "sasl.enabled.mechanisms": MECHANISM,
            "sasl.mechanism.inter.broker.protocol": MECHANISM,
            f"listener.name.{_LISTENER.lower()}.{MECHANISM.lower()}.sasl.jaas.config": jaas,
            "ssl.keystore.type": "PEM",
            "ssl.keystore.location": str(self.keystore_file),
            "ssl.truststore.type": "PEM",
            "ssl.truststore.location": str(self.ca_file),
        }

    def client_password(self) -> str:
        return self.client_password_file.read_text(encoding="utf-8").strip()

    def client_config(self) -> KafkaConfig:
        """librdkafka properties of a client of this cluster (for the readiness probe)."""
        return {
            "security.protocol": "SASL_SSL",
            "sasl.mechanism": MECHANISM,
            "sasl.username": CLIENT_USER,
            "sasl.password": self.client_password(),
            "ssl.ca.location": str(self.ca_file),
        }

    def client_environment(self) -> dict[str, str]:
        """The settings a retailsync client needs, as variables; the password by file only."""
        return {
            "RETAILSYNC_SECURITY_PROTOCOL": "SASL_SSL",
            "RETAILSYNC_SASL_MECHANISM": MECHANISM,
            "RETAILSYNC_SASL_USERNAME": CLIENT_USER,
            "RETAILSYNC_SASL_PASSWORD_FILE": str(self.client_password_file),
            "RETAILSYNC_SSL_CA_LOCATION": str(self.ca_file),
        }
