"""librdkafka's security failures become one ConfigError naming the setting to fix."""

import pytest
from confluent_kafka import KafkaError

from retailsync.errors import ConfigError
from retailsync.kafka.security import raise_on_security_error, security_error

pytestmark = pytest.mark.unit

# Texts as librdkafka reports them to error_cb against a SASL_SSL listener.
BROKER = "sasl_ssl://127.0.0.1:49043/bootstrap: "
WRONG_PASSWORD = KafkaError(
    KafkaError._AUTHENTICATION,
    BROKER + "SASL authentication error: Authentication failed during authentication due to "
    "invalid credentials with SASL mechanism SCRAM-SHA-512 (after 313ms in state AUTH_REQ)",
)
UNTRUSTED_CA = KafkaError(
    KafkaError._SSL,
    BROKER + "SSL handshake failed: error:0A000086:SSL routines::certificate verify failed: "
    "broker certificate could not be verified, verify that ssl.ca.location is correctly "
    "configured or root CA certificates are installed (after 7ms in state SSL_HANDSHAKE)",
)
UNTRUSTED_CA_AS_TRANSPORT = KafkaError(
    KafkaError._TRANSPORT,
    BROKER + "error:0A000086:SSL routines::certificate verify failed "
    "(after 19ms in state SSL_HANDSHAKE)",
)
NOT_TLS = KafkaError(
    KafkaError._SSL,
    BROKER + "SSL handshake failed: error:0A00010B:SSL routines::wrong version number "
    "(after 2ms in state SSL_HANDSHAKE)",
)


NOT_PEM = KafkaError(
    KafkaError._INVALID_ARG,
    "Failed to create admin client: ssl.ca.location failed: "
    "error:05800088:x509 certificate routines::no certificate or crl found",
)


@pytest.mark.parametrize(
    ("error", "setting"),
    [
        (WRONG_PASSWORD, "RETAILSYNC_SASL_PASSWORD"),
        (NOT_PEM, "RETAILSYNC_SSL_CA_LOCATION"),
        (UNTRUSTED_CA, "RETAILSYNC_SSL_CA_LOCATION"),
        (UNTRUSTED_CA_AS_TRANSPORT, "RETAILSYNC_SSL_CA_LOCATION"),
        (NOT_TLS, "RETAILSYNC_SECURITY_PROTOCOL"),
    ],
)
def test_a_security_failure_names_the_setting_on_one_line(error: KafkaError, setting: str) -> None:
    mapped = security_error(error)
    assert isinstance(mapped, ConfigError)
    assert mapped.key == setting
    assert "\n" not in str(mapped)
    with pytest.raises(ConfigError) as raised:
        raise_on_security_error(error)
    assert raised.value.key == setting


@pytest.mark.parametrize(
    "error",
    [
        KafkaError(KafkaError._TRANSPORT, BROKER + "Connect to ipv4#127.0.0.1:9092 failed: "
                   "Connection refused (after 0ms in state CONNECT)"),
        KafkaError(KafkaError._ALL_BROKERS_DOWN, "1/1 brokers are down"),
        KafkaError(KafkaError._TIMED_OUT, "Timed out"),
    ],
)  # fmt: skip
def test_an_outage_is_left_to_librdkafka_to_recover_from(error: KafkaError) -> None:
    assert security_error(error) is None
    raise_on_security_error(error)  # returns: an error_cb must not stop the client for this
