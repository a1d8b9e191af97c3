"""The files and settings of a ``scram-tls`` local cluster, checked without starting it."""

import os
import ssl
import stat
from pathlib import Path

import pytest

from retailsync.broker.security import CLIENT_USER, MECHANISM, ScramTls
from retailsync.settings import load_settings

pytestmark = pytest.mark.unit


@pytest.fixture
def scram_tls(tmp_path: Path) -> ScramTls:
    files = ScramTls(tmp_path)
    files.create()
    return files


def handshake(scram_tls: ScramTls, server_hostname: str) -> None:
    """A TLS handshake in memory: the brokers' keystore against a client trusting ca.pem."""
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(scram_tls.keystore_file)
    client_context = ssl.create_default_context(cafile=scram_tls.ca_file)
    to_server, to_client = ssl.MemoryBIO(), ssl.MemoryBIO()
    server_in, server_out = ssl.MemoryBIO(), ssl.MemoryBIO()
    client = client_context.wrap_bio(to_client, to_server, server_hostname=server_hostname)
    server = server_context.wrap_bio(server_in, server_out, server_side=True)
    for _ in range(10):
        done = 0
        for side in (client, server):
            try:
                side.do_handshake()
                done += 1
            except ssl.SSLWantReadError:
                pass
        server_in.write(to_server.read())
        to_client.write(server_out.read())
        if done == 2:
            return
    raise AssertionError("the handshake did not finish")


@pytest.mark.parametrize("name", ["127.0.0.1", "localhost"])
def test_clients_trusting_ca_pem_verify_the_brokers_on_loopback(
    scram_tls: ScramTls, name: str
) -> None:
    handshake(scram_tls, name)


def test_the_certificate_names_nothing_but_loopback(scram_tls: ScramTls) -> None:
    with pytest.raises(ssl.SSLCertVerificationError, match="mismatch"):
        handshake(scram_tls, "example.com")


def test_secrets_are_readable_by_their_owner_only(scram_tls: ScramTls) -> None:
    for path in (scram_tls.client_password_file, scram_tls.keystore_file):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(scram_tls.client_password()) >= 32


def test_the_printed_settings_load_and_carry_the_password_by_file_only(
    scram_tls: ScramTls, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in list(os.environ):
        if name.startswith("RETAILSYNC_") and not name.startswith("RETAILSYNC_TEST_"):
            monkeypatch.delenv(name)
    environment = scram_tls.client_environment()
    password = scram_tls.client_password()
    assert not any(password in value for value in environment.values())
    for name, value in environment.items():
        monkeypatch.setenv(name, value)

    config = load_settings().admin_config()

    assert config["security.protocol"] == "SASL_SSL"
    assert config["sasl.mechanism"] == MECHANISM
    assert config["sasl.username"] == CLIENT_USER
    assert config["sasl.password"] == password
    assert config["ssl.ca.location"] == str(scram_tls.ca_file)


def test_both_scram_users_are_created_at_format_time(scram_tls: ScramTls) -> None:
    assert scram_tls.format_arguments("broker-secret") == [
        "--add-scram",
        f"{MECHANISM}=[name={CLIENT_USER},password={scram_tls.client_password()}]",
        "--add-scram",
        f"{MECHANISM}=[name=broker,password=broker-secret]",
    ]
