import logging
import os
from pathlib import Path

import pytest

import commands  # noqa: F401 (as the CLI does: every part's settings are registered)
from consumers.storefront_inventory.settings import InventorySettings
from producers.commerce import WebhookSettings
from producers.odoo import ChangeCaptureSettings
from retailsync.errors import ConfigError
from retailsync.odoo import OdooSettings
from retailsync.settings import Settings, known_variables, load_settings

pytestmark = pytest.mark.unit

SECRET = "s3cr3t-for-tests-only"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("RETAILSYNC_") and not name.startswith("RETAILSYNC_TEST_"):
            monkeypatch.delenv(name)


def test_defaults_point_at_the_local_broker() -> None:
    settings = load_settings()
    assert settings.bootstrap_servers == "127.0.0.1:9092"
    assert settings.admin_config()["security.protocol"] == "PLAINTEXT"


def test_producers_are_idempotent_with_acks_all(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RETAILSYNC_KAFKA_OPTIONS", '{"linger.ms": 20}')
    config = load_settings().producer_config(transactional_id="poller-1")
    assert config["acks"] == "all"
    assert config["enable.idempotence"] is True
    assert config["transactional.id"] == "poller-1"
    assert config["linger.ms"] == 20


def test_consumers_store_offsets_explicitly_and_read_committed() -> None:
    config = load_settings().consumer_config("odoo-orders")
    assert config["group.id"] == "odoo-orders"
    assert config["enable.auto.offset.store"] is False
    assert config["isolation.level"] == "read_committed"
    assert config["partition.assignment.strategy"] == "cooperative-sticky"


def test_sasl_ssl_with_scram(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    monkeypatch.setenv("RETAILSYNC_BOOTSTRAP_SERVERS", "kafka-1.example:9093,kafka-2.example:9093")
    monkeypatch.setenv("RETAILSYNC_SECURITY_PROTOCOL", "SASL_SSL")
    monkeypatch.setenv("RETAILSYNC_SASL_MECHANISM", "SCRAM-SHA-512")
    monkeypatch.setenv("RETAILSYNC_SASL_USERNAME", "retailsync")
    monkeypatch.setenv("RETAILSYNC_SASL_PASSWORD", SECRET)
    monkeypatch.setenv("RETAILSYNC_SSL_CA_LOCATION", str(ca))
    settings = load_settings()
    config = settings.admin_config()
    assert config["security.protocol"] == "SASL_SSL"
    assert config["sasl.mechanism"] == "SCRAM-SHA-512"
    assert config["sasl.password"] == SECRET
    assert config["ssl.ca.location"] == str(ca)
    assert config["ssl.endpoint.identification.algorithm"] == "https"
    assert SECRET not in repr(settings)
    assert SECRET not in str(settings)


def test_secret_from_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    secret_file = tmp_path / "password"
    secret_file.write_text(SECRET + "\n")
    monkeypatch.setenv("RETAILSYNC_SECURITY_PROTOCOL", "SASL_SSL")
    monkeypatch.setenv("RETAILSYNC_SASL_MECHANISM", "SCRAM-SHA-256")
    monkeypatch.setenv("RETAILSYNC_SASL_USERNAME", "retailsync")
    monkeypatch.setenv("RETAILSYNC_SASL_PASSWORD_FILE", str(secret_file))
    assert load_settings().producer_config()["sasl.password"] == SECRET


@pytest.mark.parametrize(
    ("variables", "key", "reason"),
    [
        ({"RETAILSYNC_BOOTSTRAP_SERVER": "h:1"}, "RETAILSYNC_BOOTSTRAP_SERVER",
         "did you mean RETAILSYNC_BOOTSTRAP_SERVERS"),
        ({"RETAILSYNC_BOOTSTRAP_SERVERS": "kafka"}, "RETAILSYNC_BOOTSTRAP_SERVERS", "host:port"),
        ({"RETAILSYNC_SECURITY_PROTOCOL": "TLS"}, "RETAILSYNC_SECURITY_PROTOCOL", "SASL_SSL"),
        ({"RETAILSYNC_KAFKA_OPTIONS": '{"lingr.ms": 5}'}, "RETAILSYNC_KAFKA_OPTIONS",
         'No such configuration property: "lingr.ms"'),
        ({"RETAILSYNC_KAFKA_OPTIONS": '{"linger.ms": "soon"}'}, "RETAILSYNC_KAFKA_OPTIONS",
         "Invalid value"),
        ({"RETAILSYNC_KAFKA_OPTIONS": '{"acks": "1"}'}, "RETAILSYNC_KAFKA_OPTIONS",
         "set by retailsync"),
        ({"RETAILSYNC_SECURITY_PROTOCOL": "SASL_SSL", "RETAILSYNC_SASL_USERNAME": "u",
          "RETAILSYNC_SASL_PASSWORD": SECRET}, "RETAILSYNC_SASL_MECHANISM", "required"),
        ({"RETAILSYNC_SASL_USERNAME": "u"}, "RETAILSYNC_SASL_USERNAME", "PLAINTEXT"),
        ({"RETAILSYNC_SASL_PASSWORD": SECRET, "RETAILSYNC_SASL_PASSWORD_FILE": "/nonexistent"},
         "RETAILSYNC_SASL_PASSWORD_FILE", "either"),
        ({"RETAILSYNC_SASL_PASSWORD_FILE": "/nonexistent/retailsync-secret"},
         "RETAILSYNC_SASL_PASSWORD_FILE", "cannot read"),
        ({"RETAILSYNC_SSL_CA_LOCATION": "/nonexistent/ca.pem"}, "RETAILSYNC_SSL_CA_LOCATION",
         "does not point to a file"),
    ],
)  # fmt: skip
def test_a_broken_setting_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, variables: dict[str, str], key: str, reason: str
) -> None:
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert caught.value.key == key
    assert reason in caught.value.reason
    assert SECRET not in str(caught.value)


def test_a_bad_secret_is_named_but_not_echoed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RETAILSYNC_ODOO_API_KEY", "")
    monkeypatch.setenv("RETAILSYNC_SSL_KEY_PASSWORD", SECRET)
    monkeypatch.setenv("RETAILSYNC_KAFKA_OPTIONS", "not json " + SECRET)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert caught.value.key == "RETAILSYNC_KAFKA_OPTIONS"
    assert SECRET not in str(caught.value)


def test_each_part_reads_and_checks_its_own_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RETAILSYNC_ODOO_TIMEOUT_S", "0")
    monkeypatch.setenv("RETAILSYNC_WEBHOOK_PORT", "9443")
    # The core does not own the Odoo keys: it neither reads nor refuses them.
    assert load_settings().bootstrap_servers == "127.0.0.1:9092"
    assert WebhookSettings.load().webhook_port == 9443
    with pytest.raises(ConfigError) as caught:
        OdooSettings.load()
    assert caught.value.key == "RETAILSYNC_ODOO_TIMEOUT_S"
    assert "greater than 0" in caught.value.reason


def test_an_unknown_variable_is_checked_against_every_part(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert "RETAILSYNC_ODOO_POLL_INTERVAL_S" in known_variables()
    assert "RETAILSYNC_STOREFRONT_LOCATIONS" in known_variables()
    monkeypatch.setenv("RETAILSYNC_ODOO_POLL_INTERVALL_S", "5")
    for part in (Settings, OdooSettings, ChangeCaptureSettings, WebhookSettings):
        with pytest.raises(ConfigError) as caught:
            part.load()
        assert caught.value.key == "RETAILSYNC_ODOO_POLL_INTERVALL_S"
        assert "did you mean RETAILSYNC_ODOO_POLL_INTERVAL_S" in caught.value.reason


def test_settings_handed_to_a_child_process_read_back_equal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    given = InventorySettings(
        storefront_locations={"WH/Stock": "gid://shopify/Location/1"},
        storefront_safety_stock={"*": "2.5"},
    )
    odoo = OdooSettings(odoo_url="http://odoo.test:8069", odoo_api_key=SECRET)
    for name, value in {**given.environment(), **odoo.environment()}.items():
        monkeypatch.setenv(name, value)
    assert InventorySettings.load() == given
    assert OdooSettings.load() == odoo
    assert "RETAILSYNC_ODOO_DB" not in odoo.environment()  # unset values stay unset


def test_librdkafka_connection_failures_are_not_logged_line_by_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    logger = load_settings().producer_config()["logger"]
    with caplog.at_level(logging.INFO, logger="retailsync.kafka"):
        for _ in range(10):
            logger.warning(
                "FAIL [retailsync#producer-1] [thrd:127.0.0.1:9092/bootstrap]: "
                "127.0.0.1:9092/bootstrap: Connect to ipv4#127.0.0.1:9092 failed: "
                "Connection refused (after 0ms in state CONNECT)"
            )
        logger.warning("GETPID [retailsync#producer-1] [thrd:main]: Failed to acquire PID")
    assert [record.getMessage()[:6] for record in caplog.records] == ["GETPID"]
