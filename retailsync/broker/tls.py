"""A private CA and a loopback server certificate for the local cluster's TLS listener.

Kafka reads both as PEM (``ssl.keystore.type=PEM``): the server key in PKCS#8 followed by
its certificate chain, and the CA alone as the truststore. Clients trust ``ca.pem`` only.
"""

from __future__ import annotations

import datetime
import ipaddress
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

# What clients on this machine connect to; the certificate names both.
_DNS_NAMES = ("localhost",)
_IP_ADDRESSES = ("127.0.0.1",)
_VALIDITY = datetime.timedelta(days=825)
# A clock set a little behind on another process must not see a not-yet-valid certificate.
_BACKDATE = datetime.timedelta(hours=1)
# The CA signs certificates and nothing else.
_CA_KEY_USAGE = x509.KeyUsage(
    digital_signature=False,
    content_commitment=False,
    key_encipherment=False,
    data_encipherment=False,
    key_agreement=False,
    key_cert_sign=True,
    crl_sign=True,
    encipher_only=False,
    decipher_only=False,
)


def write_loopback_tls(ca_file: Path, keystore_file: Path) -> None:
    """Write a new CA certificate to ``ca_file`` and, to ``keystore_file``, a key and a
    certificate it signed for 127.0.0.1 and localhost."""
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "retailsync local Kafka CA")])
    ca_cert = (
        _builder(ca_name, ca_name, ca_key.public_key())
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_CA_KEY_USAGE, critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    server_key = ec.generate_private_key(ec.SECP256R1())
    server_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    alt_names: list[x509.GeneralName] = [x509.DNSName(name) for name in _DNS_NAMES]
    alt_names += [x509.IPAddress(ipaddress.ip_address(ip)) for ip in _IP_ADDRESSES]
    server_cert = (
        _builder(server_name, ca_name, server_key.public_key())
        .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
            ),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_file.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    # The CA's own key is not kept: nothing else is ever signed with it.
    key_pem = server_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    chain = b"".join(c.public_bytes(serialization.Encoding.PEM) for c in (server_cert, ca_cert))
    keystore_file.touch(mode=0o600)
    keystore_file.write_bytes(key_pem + chain)


def _builder(
    subject: x509.Name, issuer: x509.Name, public_key: ec.EllipticCurvePublicKey
) -> x509.CertificateBuilder:
    now = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _BACKDATE)
        .not_valid_after(now + _VALIDITY)
    )
