"""Settings from the environment (prefix ``RETAILSYNC_``) and the one place that turns them
into librdkafka configuration.

Secrets are ``SecretStr`` and never printed; each may instead be read from a file named by
``RETAILSYNC_<NAME>_FILE`` (Docker and Kubernetes secrets). An unknown ``RETAILSYNC_`` variable
is an error, so a typo cannot silently fall back to a default.
"""

from __future__ import annotations

import difflib
import logging
import os
import re
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import confluent_kafka
from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
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

_kafka_log = logging.getLogger("retailsync.kafka")


def _default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "retailsync"


class Settings(BaseSettings):
    """Everything an operator can set, typed and frozen."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, frozen=True, extra="forbid")

    bootstrap_servers: str = "127.0.0.1:9092"
    client_id: str = "retailsync"
    # A consumer service's stable group.instance.id (static membership): a restarted
    # instance takes its partitions back at once instead of waiting for the dead member's
    # session to time out. Unique per running instance of a service, e.g. a StatefulSet
    # pod's name; None: dynamic membership. Kafka's rule for the characters.
    instance_id: str | None = Field(None, max_length=249, pattern=r"^[A-Za-z0-9._-]+$")
    security_protocol: SecurityProtocol = "PLAINTEXT"
    sasl_mechanism: SaslMechanism | None = None
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    ssl_ca_location: Path | None = None
    ssl_certificate_location: Path | None = None
    ssl_key_location: Path | None = None
    ssl_key_password: SecretStr | None = None
    ssl_verify_hostname: bool = True
    kafka_options: dict[str, str | int | bool] = {}
    schema_registry_url: str | None = None
    # Odoo: unset url means the sandbox Odoo stands in (see sandbox/odoo).
    odoo_url: str | None = None
    odoo_db: str | None = None
    odoo_protocol: Literal["json2", "jsonrpc"] = "json2"
    odoo_api_key: SecretStr | None = None
    odoo_user: str | None = None
    odoo_password: SecretStr | None = None
    odoo_timeout_s: float = Field(30.0, gt=0)
    topology_file: Path = Path("topology.yaml")
    # None: the schemas/ directory beside the topology file.
    schemas_dir: Path | None = None
    broker_data_dir: Path = Path(".retailsync/kafka")
    cache_dir: Path = _default_cache_dir()
    # Commerce: the webhook receiver (producers/commerce) and the storefront appliers
    # (consumers/storefront_*). Webhook secrets hold comma-separated values, so a new secret
    # can be added before the old one is retired.
    webhook_host: str = "127.0.0.1"
    webhook_port: int = Field(8080, ge=0, lt=65536)
    webhook_max_body_bytes: int = Field(1_048_576, gt=0)
    # Below Shopify's 5 s: past it the receiver answers 503 and the platform retries.
    webhook_ack_timeout_s: float = Field(3.0, gt=0)
    webhook_retry_after_s: int = Field(10, ge=0)
    webhook_tolerance_s: int = Field(300, gt=0)
    # Shopify retries for 4 hours; a duplicate within the window is answered from memory.
    webhook_dedup_window_s: float = Field(14_400.0, ge=0)
    webhook_dedup_entries: int = Field(100_000, ge=0)
    shopify_webhook_secrets: SecretStr | None = None
    shopify_channel: str = Field("shopify", min_length=1)
    woocommerce_webhook_secrets: SecretStr | None = None
    woocommerce_channel: str = Field("woocommerce", min_length=1)
    generic_webhook_secrets: SecretStr | None = None
    storefront_url: str | None = None
    storefront_access_token: SecretStr | None = None
    storefront_api_version: str = "2025-01"
    storefront_channel: str = Field("shopify", min_length=1)
    storefront_timeout_s: float = Field(10.0, gt=0)
    # Odoo location -> storefront location id; stock at other locations is not sold online.
    storefront_locations: dict[str, str] = {}
    # Units held back per Odoo location ("*": every other location).
    storefront_safety_stock: dict[str, Decimal] = {}
    storefront_notify_customer: bool = True
    # Odoo change capture (`retailsync serve odoo-changes`, producers/odoo).
    odoo_poll_interval_s: float = Field(5.0, gt=0)
    # The re-read window: longer than Odoo's longest transaction, whose write_date is its start.
    odoo_overlap_s: float = Field(30.0, ge=0)
    odoo_page_size: int = Field(200, ge=1, le=5_000)
    # The Odoo models to poll; None: every model the producer maps.
    odoo_models: list[str] | None = None
    odoo_trigger_host: str = "127.0.0.1"
    # 0: any free port.
    odoo_trigger_port: int = Field(8075, ge=0, lt=65536)
    odoo_trigger_token: SecretStr | None = None
    odoo_checkpoint_topic: str = "retail.odoo-changes.checkpoints"
    # The Kafka transactional.id: a restarted instance with the same id fences the old one.
    # None: odoo-changes-<odoo_db>.
    odoo_producer_id: str | None = None

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


_SECRET_FIELDS = tuple(
    name for name, field in Settings.model_fields.items() if "SecretStr" in repr(field.annotation)
)


def _env_name(field: str) -> str:
    return f"{ENV_PREFIX}{field.upper()}"


def _secrets_from_files(environ: Mapping[str, str]) -> dict[str, str]:
    secrets: dict[str, str] = {}
    for field in _SECRET_FIELDS:
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


def _reject_unknown_variables(environ: Mapping[str, str]) -> None:
    known = {_env_name(field) for field in Settings.model_fields}
    known |= {f"{_env_name(field)}_FILE" for field in _SECRET_FIELDS}
    for variable in sorted(environ):
        if not variable.startswith(ENV_PREFIX) or variable in known:
            continue
        if variable.startswith(_RESERVED_ENV_PREFIXES):
            continue
        close = difflib.get_close_matches(variable, sorted(known), n=1)
        hint = f"; did you mean {close[0]}?" if close else ""
        raise ConfigError(_ENV_SOURCE, variable, f"unknown setting{hint}")


def load_settings(**overrides: Any) -> Settings:
    """Read settings from the process environment; ``overrides`` win over it.

    Raises ConfigError naming the variable at fault; a secret's value never appears in it.
    """
    _reject_unknown_variables(os.environ)
    values: dict[str, Any] = {**_secrets_from_files(os.environ), **overrides}
    try:
        return Settings(**values)
    except SettingsError as exc:
        # pydantic-settings names the field only in its message; the value is not repeated.
        field = re.search(r'field "(\w+)"', str(exc))
        key = _env_name(field.group(1)) if field else ENV_PREFIX + "*"
        raise ConfigError(_ENV_SOURCE, key, "not valid JSON") from None
    except ValidationError as exc:
        error = exc.errors()[0]
        raise ConfigError(_ENV_SOURCE, _env_name(str(error["loc"][0])), _describe(error)) from None


def _describe(error: Mapping[str, Any]) -> str:
    message = str(error["msg"])
    # Never echo the input of a secret; other inputs help the operator see the typo.
    if error["loc"][0] in _SECRET_FIELDS:
        return message
    return f"{message} (got {error.get('input')!r})" if "input" in error else message
