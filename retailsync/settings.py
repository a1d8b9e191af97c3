"""Settings from the environment (prefix ``RETAILSYNC_``) and the one place that turns them
into librdkafka configuration.

``Settings`` is the core every part shares; each client, producer and consumer owns a
``PartSettings`` subclass with its own keys, beside its code (``OdooSettings``,
``StorefrontSettings``, ``ChangeCaptureSettings``, ``WebhookSettings``, …), all under the same
prefix and read with ``load``.

Secrets are ``SecretStr`` and never printed; each may instead be read from a file named by
``RETAILSYNC_<NAME>_FILE`` (Docker and Kubernetes secrets). An unknown ``RETAILSYNC_`` variable
is an error, so a typo cannot silently fall back to a default.
"""

from __future__ import annotations

import difflib
import json
import logging
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar, Literal, Self

import confluent_kafka
from pydantic import Field, FilePath, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict, SettingsError

from retailsync.errors import ConfigError

ENV_PREFIX = "RETAILSYNC_"
# Variables the test fixtures read; they are not settings of the product.
_RESERVED_ENV_PREFIXES = (f"{ENV_PREFIX}TEST_",)
_ENV_SOURCE = "environment"

SecurityProtocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
SaslMechanism = Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]
KafkaConfig = dict[str, Any]

# Properties retailsync sets itself: overriding them would break a delivery guarantee or
# the credentials handling, so ``kafka_options`` may not name them.
_MANAGED_PROPERTIES = frozenset(
    {
        "bootstrap.servers",
        "client.id",
        "security.protocol",
        "sasl.mechanism",
        "sasl.mechanisms",
        "sasl.username",
        "sasl.password",
        "ssl.ca.location",
        "ssl.certificate.location",
        "ssl.key.location",
        "ssl.key.password",
        "ssl.endpoint.identification.algorithm",
        "acks",
        "enable.idempotence",
        "transactional.id",
        "group.id",
        "group.instance.id",
        "enable.auto.offset.store",
        "isolation.level",
    }
)


def _not_connection_noise(record: logging.LogRecord) -> bool:
    """librdkafka logs every failed connection attempt (``FAIL``), twice a second while a
    broker is down; each client's BrokerWatch says it once instead (retailsync.kafka)."""
    return not str(record.msg).startswith("FAIL ")


_kafka_log = logging.getLogger("retailsync.kafka")
_kafka_log.addFilter(_not_connection_noise)


def _default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "retailsync"


class PartSettings(BaseSettings):
    """The base of every settings class: env prefix ``RETAILSYNC_``, frozen, no extra keys.

    The runtime's core (``Settings``) and each producer, consumer and client own a subclass
    with their own keys. Every subclass is registered when its module is imported, so that
    ``load`` can refuse a ``RETAILSYNC_`` variable that no part knows.
    """

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, frozen=True, extra="forbid")

    _parts: ClassVar[list[type[PartSettings]]] = []

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        PartSettings._parts.append(cls)

    @classmethod
    def load(cls, **overrides: Any) -> Self:
        """Read this part's settings from the environment; ``overrides`` win over it.

        Raises ConfigError naming the variable at fault; a secret's value never appears in
        it. A ``RETAILSYNC_`` variable that no part knows is an error too.
        """
        _reject_unknown_variables(os.environ)
        values: dict[str, Any] = {**_secrets_from_files(cls, os.environ), **overrides}
        try:
            return cls(**values)
        except SettingsError as exc:
            # pydantic-settings names the field only in its message; the value is not repeated.
            field = re.search(r'field "(\w+)"', str(exc))
            key = _env_name(field.group(1)) if field else ENV_PREFIX + "*"
            raise ConfigError(_ENV_SOURCE, key, "not valid JSON") from None
        except ValidationError as exc:
            error = exc.errors()[0]
            raise ConfigError(
                _ENV_SOURCE, _env_name(str(error["loc"][0])), _describe(cls, error)
            ) from None

    def environment(self) -> dict[str, str]:
        """The ``RETAILSYNC_`` variables that give a child process these settings (only the
        values that were set, secrets included: hand them to the child alone)."""
        variables: dict[str, str] = {}
        for name in self.model_fields_set:
            value = getattr(self, name)
            if value is None:
                continue
            if isinstance(value, SecretStr):
                text = value.get_secret_value()
            elif isinstance(value, dict | list):
                text = json.dumps(value, default=str)
            elif isinstance(value, bool):
                text = "true" if value else "false"
            else:
                text = str(value)
            variables[_env_name(name)] = text
        return variables


class Settings(PartSettings):
    """The core every part shares: Kafka, its security, the schema registry, topology.yaml,
    the local broker's directories and logging."""

    bootstrap_servers: str = "127.0.0.1:9092"
    client_id: str = "retailsync"
    # A consumer service's stable group.instance.id (static membership): a restarted
    # instance takes its partitions back at once instead of waiting for the dead member's
    # session to time out. Unique per running instance of a service, e.g. a StatefulSet
    # pod's name; None: dynamic membership. Kafka's rule for the characters, and room for
    # the digest of the subscriptions the runner appends (Kafka allows 249 in all).
    instance_id: str | None = Field(None, max_length=240, pattern=r"^[A-Za-z0-9._-]+$")
    security_protocol: SecurityProtocol = "PLAINTEXT"
    sasl_mechanism: SaslMechanism | None = None
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    # Checked here: librdkafka would only refuse a missing file when a client is built.
    ssl_ca_location: FilePath | None = None
    ssl_certificate_location: FilePath | None = None
    ssl_key_location: FilePath | None = None
    ssl_key_password: SecretStr | None = None
    ssl_verify_hostname: bool = True
    kafka_options: dict[str, str | int | bool] = {}
    schema_registry_url: str | None = None
    topology_file: Path = Path("topology.yaml")
    # None: the schemas/ directory beside the topology file.
    schemas_dir: Path | None = None
    broker_data_dir: Path = Path(".retailsync/kafka")
    cache_dir: Path = _default_cache_dir()
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # json: one JSON object per line, for a log collector; human: one readable line.
    log_format: Literal["human", "json"] = "human"
    # Where a consumer service and the SFCC order export answer /healthz, /readyz and
    # /metrics (the producers with an HTTP server of their own answer them on its port:
    # RETAILSYNC_WEBHOOK_PORT, RETAILSYNC_ODOO_TRIGGER_PORT).
    http_host: str = "127.0.0.1"
    http_port: int = Field(9464, ge=0, le=65535)
    # /healthz fails once the poll loop has not turned for this long: longer than the
    # slowest batch (a handler call with its in-process retries).
    liveness_timeout_s: float = Field(120.0, gt=0)

    @field_validator("bootstrap_servers")
    @classmethod
    def _servers_listed(cls, value: str) -> str:
        servers = [server.strip() for server in value.split(",") if server.strip()]
        for server in servers:
            host, _, port = server.rpartition(":")
            if not host or not port.isdigit():
                raise ValueError(f"{server!r} is not host:port")
        if not servers:
            raise ValueError("no servers given")
        return ",".join(servers)

    @field_validator("kafka_options")
    @classmethod
    def _options_known_to_librdkafka(
        cls, options: dict[str, str | int | bool]
    ) -> dict[str, str | int | bool]:
        for name in options:
            if name in _MANAGED_PROPERTIES:
                raise ValueError(f"{name!r} is set by retailsync and cannot be overridden")
        # librdkafka knows its own properties and their value types; asking it directly
        # keeps the check exact for whatever librdkafka version is installed.
        try:
            confluent_kafka.Producer({**options, "log_level": 0})
        except confluent_kafka.KafkaException as exc:
            raise ValueError(exc.args[0].str()) from None
        return options

    @model_validator(mode="after")
    def _security_complete(self) -> Settings:
        # Raised as ConfigError directly: a cross-field rule has no single pydantic location,
        # but the operator still needs the variable to fix.
        protocol = self.security_protocol
        sasl_values = {
            "sasl_mechanism": self.sasl_mechanism,
            "sasl_username": self.sasl_username,
            "sasl_password": self.sasl_password,
        }
        for field, value in sasl_values.items():
            if protocol.startswith("SASL_") and not value:
                raise ConfigError(_ENV_SOURCE, _env_name(field), f"required with {protocol}")
            if not protocol.startswith("SASL_") and value:
                raise ConfigError(
                    _ENV_SOURCE, _env_name(field), f"given, but security_protocol is {protocol}"
                )
        return self

    def _common_config(self) -> KafkaConfig:
        config: KafkaConfig = {
            "bootstrap.servers": self.bootstrap_servers,
            "client.id": self.client_id,
            "security.protocol": self.security_protocol,
            "logger": _kafka_log,
        }
        if self.sasl_mechanism is not None and self.sasl_password is not None:
            config["sasl.mechanism"] = self.sasl_mechanism
            config["sasl.username"] = self.sasl_username
            config["sasl.password"] = self.sasl_password.get_secret_value()
        if self.security_protocol in ("SSL", "SASL_SSL"):
            config["ssl.endpoint.identification.algorithm"] = (
                "https" if self.ssl_verify_hostname else "none"
            )
            for name, path in (
                ("ssl.ca.location", self.ssl_ca_location),
                ("ssl.certificate.location", self.ssl_certificate_location),
                ("ssl.key.location", self.ssl_key_location),
            ):
                if path is not None:
                    config[name] = str(path)
            if self.ssl_key_password is not None:
                config["ssl.key.password"] = self.ssl_key_password.get_secret_value()
        config.update(self.kafka_options)
        return config

    def admin_config(self) -> KafkaConfig:
        """librdkafka configuration for an AdminClient."""
        return self._common_config()

    def producer_config(self, transactional_id: str | None = None) -> KafkaConfig:
        """An idempotent ``acks=all`` producer; transactional when given an id."""
        # murmur2 is what Java clients use: the same key lands in the same partition
        # whichever team's producer wrote it.
        config: KafkaConfig = {"partitioner": "murmur2_random"}
        config.update(self._common_config())
        config.update({"acks": "all", "enable.idempotence": True})
        if transactional_id is not None:
            config["transactional.id"] = transactional_id
        return config

    def consumer_config(self, group_id: str) -> KafkaConfig:
        """A consumer that stores offsets only when told, and reads committed records only."""
        config: KafkaConfig = {
            "auto.offset.reset": "earliest",
            "partition.assignment.strategy": "cooperative-sticky",
        }
        config.update(self._common_config())
        config.update(
            {
                "group.id": group_id,
                "enable.auto.offset.store": False,
                "isolation.level": "read_committed",
            }
        )
        return config


def _secret_fields(cls: type[PartSettings]) -> tuple[str, ...]:
    return tuple(
        name for name, field in cls.model_fields.items() if "SecretStr" in repr(field.annotation)
    )


def _env_name(field: str) -> str:
    return f"{ENV_PREFIX}{field.upper()}"


def _secrets_from_files(cls: type[PartSettings], environ: Mapping[str, str]) -> dict[str, str]:
    secrets: dict[str, str] = {}
    for field in _secret_fields(cls):
        file_variable = f"{_env_name(field)}_FILE"
        path = environ.get(file_variable)
        if path is None:
            continue
        if _env_name(field) in environ:
            raise ConfigError(
                _ENV_SOURCE, file_variable, f"set either {_env_name(field)} or {file_variable}"
            )
        try:
            secrets[field] = Path(path).read_text(encoding="utf-8").rstrip("\r\n")
        except OSError as exc:
            raise ConfigError(
                _ENV_SOURCE, file_variable, f"cannot read the file: {exc.strerror}"
            ) from None
    return secrets


def registered_parts() -> tuple[type[PartSettings], ...]:
    """Every settings class imported so far (the CLI imports every part)."""
    return tuple(PartSettings._parts)


def known_variables() -> frozenset[str]:
    """Every ``RETAILSYNC_`` variable of the parts imported so far (the CLI imports all)."""
    known: set[str] = set()
    for part in registered_parts():
        known |= {_env_name(field) for field in part.model_fields}
        known |= {f"{_env_name(field)}_FILE" for field in _secret_fields(part)}
    return frozenset(known)


def _reject_unknown_variables(environ: Mapping[str, str]) -> None:
    known = known_variables()
    for variable in sorted(environ):
        if not variable.startswith(ENV_PREFIX) or variable in known:
            continue
        if variable.startswith(_RESERVED_ENV_PREFIXES):
            continue
        close = difflib.get_close_matches(variable, sorted(known), n=1)
        hint = f"; did you mean {close[0]}?" if close else ""
        raise ConfigError(_ENV_SOURCE, variable, f"unknown setting{hint}")


def load_settings(**overrides: Any) -> Settings:
    """The core settings from the process environment; ``overrides`` win over it."""
    return Settings.load(**overrides)


def _describe(cls: type[PartSettings], error: Mapping[str, Any]) -> str:
    message = str(error["msg"])
    # Never echo the input of a secret; other inputs help the operator see the typo.
    if error["loc"][0] in _secret_fields(cls):
        return message
    return f"{message} (got {error.get('input')!r})" if "input" in error else message
