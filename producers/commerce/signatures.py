"""Webhook signatures: HMAC-SHA256 over the raw body, compared in constant time.

* Shopify: ``X-Shopify-Hmac-Sha256`` is base64(HMAC-SHA256(app secret, body)).
* WooCommerce: ``X-WC-Webhook-Signature`` is base64(HMAC-SHA256(webhook secret, body)).
* Generic: the Standard Webhooks scheme (standardwebhooks.com). Headers ``webhook-id``,
  ``webhook-timestamp`` (Unix seconds) and ``webhook-signature``: space-separated
  ``v1,<base64(HMAC-SHA256(secret, "<id>.<timestamp>.<body>"))>``. The id and the timestamp
  are signed with the body, so neither can be swapped; a timestamp further than the tolerance
  from now is refused, so a captured request cannot be replayed later. A secret written
  ``whsec_<base64>`` is the base64 of the key, any other secret is the key's UTF-8 bytes.

Every scheme accepts any of several secrets, so a new one can be rolled out before the old one
is retired.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Sequence

from pydantic import SecretStr

from retailsync.errors import PermanentError

_STANDARD_PREFIX = "whsec_"
_STANDARD_VERSION = "v1"


class SignatureError(PermanentError):
    """The request is not signed by a secret we hold (or too old to trust)."""


def secrets_of(value: SecretStr | None) -> tuple[bytes, ...]:
    """The secrets in a comma-separated setting, as keys; empty when unset."""
    if value is None:
        return ()
    return tuple(_key(part.strip()) for part in value.get_secret_value().split(",") if part.strip())


def _key(secret: str) -> bytes:
    if secret.startswith(_STANDARD_PREFIX):
        try:
            return base64.b64decode(secret.removeprefix(_STANDARD_PREFIX), validate=True)
        except binascii.Error:
            raise ValueError("a whsec_ secret must be base64") from None
    return secret.encode()


def _digest(key: bytes, content: bytes) -> bytes:
    return hmac.new(key, content, hashlib.sha256).digest()


def sign_body(key: bytes, body: bytes) -> str:
    """Shopify's and WooCommerce's signature of ``body``."""
    return base64.b64encode(_digest(key, body)).decode()


def verify_body(keys: Sequence[bytes], body: bytes, signature: str | None) -> None:
    """Accept ``body`` if ``signature`` is its HMAC under any of ``keys``."""
    if not keys:
        raise SignatureError("no secret is configured for this channel")
    if not signature:
        raise SignatureError("the signature header is missing")
    try:
        given = base64.b64decode(signature, validate=True)
    except binascii.Error:
        raise SignatureError("the signature is not base64") from None
    if not _any_matches(keys, body, [given]):
        raise SignatureError("the signature does not match")


def sign_standard(key: bytes, webhook_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` value of a Standard Webhooks request."""
    content = _standard_content(webhook_id, timestamp, body)
    return f"{_STANDARD_VERSION},{base64.b64encode(_digest(key, content)).decode()}"


def verify_standard(
    keys: Sequence[bytes],
    body: bytes,
    *,
    webhook_id: str | None,
    timestamp: str | None,
    signature: str | None,
    now: float,
    tolerance_s: float,
) -> None:
    """Accept a Standard Webhooks request signed by any of ``keys`` within the tolerance."""
    if not keys:
        raise SignatureError("no secret is configured for this channel")
    if not webhook_id or not timestamp or not signature:
        raise SignatureError("webhook-id, webhook-timestamp and webhook-signature are required")
    try:
        sent_at = int(timestamp)
    except ValueError:
        raise SignatureError("webhook-timestamp is not Unix seconds") from None
    if abs(now - sent_at) > tolerance_s:
        raise SignatureError("webhook-timestamp is outside the tolerance window")
    given: list[bytes] = []
    for entry in signature.split():
        version, _, value = entry.partition(",")
        if version == _STANDARD_VERSION:
            try:
                given.append(base64.b64decode(value, validate=True))
            except binascii.Error:
                continue
    content = _standard_content(webhook_id, sent_at, body)
    if not _any_matches(keys, content, given):
        raise SignatureError("the signature does not match")


def _standard_content(webhook_id: str, timestamp: int, body: bytes) -> bytes:
    return f"{webhook_id}.{timestamp}.".encode() + body


def _any_matches(keys: Sequence[bytes], content: bytes, given: Sequence[bytes]) -> bool:
    # Every key is tried, whatever matched first: the time taken says nothing about which.
    matched = False
    for key in keys:
        expected = _digest(key, content)
        for candidate in given:
            matched |= hmac.compare_digest(expected, candidate)
    return matched
