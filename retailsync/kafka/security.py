"""librdkafka's authentication and TLS failures, told as the setting an operator must fix.

librdkafka retries a refused password or an untrusted certificate forever and reports it
only through ``error_cb`` and its log, so a client would otherwise hang until its timeout.
``raise_on_security_error`` is an ``error_cb`` that turns such a report into a
``ConfigError``; confluent-kafka re-raises it from the next ``poll()``/``consume()`` call.
``check_connection`` uses it to fail an admin command within seconds.
"""

from __future__ import annotations

import time

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient

from retailsync.errors import ConfigError
from retailsync.settings import Settings

_SOURCE = "environment"
# Metadata comes back in milliseconds from a cluster that is up; the admin client's own
# timeout (30 s) would only make an operator wait longer for the same answer.
_PROBE_TIMEOUT_S = 10.0


# librdkafka's file properties, as they appear in its errors, and the settings behind them.
_FILE_SETTINGS = {
    "ssl.ca.location": "RETAILSYNC_SSL_CA_LOCATION",
    "ssl.certificate.location": "RETAILSYNC_SSL_CERTIFICATE_LOCATION",
    "ssl.key.location": "RETAILSYNC_SSL_KEY_LOCATION",
}


def security_error(error: KafkaError) -> ConfigError | None:
    """The ConfigError that ``error`` stands for, or None if it is no security failure."""
    code = error.code()
    text = error.str()
    if code == KafkaError._INVALID_ARG:
        # Raised when a client is built from a file that holds no usable PEM.
        for prop, setting in _FILE_SETTINGS.items():
            if f"{prop} failed" in text:
                return ConfigError(_SOURCE, setting, "librdkafka cannot read it as PEM")
        return None
    if code == KafkaError._AUTHENTICATION:
        return ConfigError(
            _SOURCE,
            "RETAILSYNC_SASL_PASSWORD",
            "the brokers refused the SASL credentials; check RETAILSYNC_SASL_USERNAME and the "
            "password (or RETAILSYNC_SASL_PASSWORD_FILE) and RETAILSYNC_SASL_MECHANISM",
        )
    tls_handshake = code == KafkaError._SSL or (
        code == KafkaError._TRANSPORT and "SSL_HANDSHAKE" in text
    )
    if tls_handshake and "certificate verify failed" in text:
        return ConfigError(
            _SOURCE,
            "RETAILSYNC_SSL_CA_LOCATION",
            "the brokers' TLS certificate is not signed by a CA in this bundle "
            "(unset: the system CAs); point it at the CA that signed the brokers' certificate",
        )
    if tls_handshake:
        return ConfigError(
            _SOURCE,
            "RETAILSYNC_SECURITY_PROTOCOL",
            "the TLS handshake with the brokers failed; check that their listener speaks TLS",
        )
    return None


def raise_on_security_error(error: KafkaError) -> None:
    """An ``error_cb``: raise the ConfigError for a security failure, ignore anything else.

    Connection refusals and timeouts pass: librdkafka recovers from them by itself.
    """
    config_error = security_error(error)
    if config_error is not None:
        raise config_error


def check_connection(settings: Settings, timeout_s: float = _PROBE_TIMEOUT_S) -> None:
    """Return once the brokers answer a metadata request made with ``settings``.

    Raises a ConfigError naming the setting when they refuse the credentials or the
    certificate, or naming RETAILSYNC_BOOTSTRAP_SERVERS when none answers in ``timeout_s``.
    """
    # Quiet: each refused attempt would also be logged, burying the one line that matters.
    config = settings.admin_config()
    config.update(error_cb=raise_on_security_error, log_level=0)
    try:
        admin = AdminClient(config)
    except KafkaException as exc:
        raise security_error(exc.args[0]) or exc from None
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            admin.list_topics(timeout=1.0)
            return
        except KafkaException:
            admin.poll(0)  # serves error_cb, which raises a security failure
    raise ConfigError(
        _SOURCE,
        "RETAILSYNC_BOOTSTRAP_SERVERS",
        f"no broker at {settings.bootstrap_servers} answered within {timeout_s:.0f}s; "
        "is the cluster running?",
    )
