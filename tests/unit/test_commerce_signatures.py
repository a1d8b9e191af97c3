"""Webhook signatures: each platform's scheme, rotation, and the generic replay window."""

from __future__ import annotations

import base64

import pytest
from pydantic import SecretStr

from producers.commerce.signatures import (
    SignatureError,
    secrets_of,
    sign_body,
    sign_standard,
    verify_body,
    verify_standard,
)

pytestmark = pytest.mark.unit

BODY = b'{"id":820982911946154508}'
NOW = 1_741_944_413


def test_the_body_signature_is_base64_hmac_sha256() -> None:
    # Pinned against `printf '%s' BODY | openssl dgst -sha256 -hmac secret -binary | base64`.
    assert sign_body(b"secret", BODY) == "FrmDIO/AYLfYwKeWHaOIWuqMmKSuQh7ENRQEBbHwvK8="


def test_any_configured_secret_verifies_so_secrets_can_rotate() -> None:
    keys = secrets_of(SecretStr("old-secret, new-secret"))
    verify_body(keys, BODY, sign_body(b"new-secret", BODY))
    verify_body(keys, BODY, sign_body(b"old-secret", BODY))
    with pytest.raises(SignatureError, match="does not match"):
        verify_body(keys, BODY, sign_body(b"other-secret", BODY))


@pytest.mark.parametrize(
    ("signature", "reason"),
    [(None, "missing"), ("", "missing"), ("not base64!", "not base64")],
)
def test_a_missing_or_garbled_signature_is_refused(signature: str | None, reason: str) -> None:
    with pytest.raises(SignatureError, match=reason):
        verify_body((b"secret",), BODY, signature)


def test_a_channel_without_secrets_refuses_everything() -> None:
    assert secrets_of(None) == ()
    with pytest.raises(SignatureError, match="no secret"):
        verify_body((), BODY, sign_body(b"", BODY))


def test_a_changed_body_no_longer_verifies() -> None:
    signature = sign_body(b"secret", BODY)
    with pytest.raises(SignatureError):
        verify_body((b"secret",), BODY + b" ", signature)


def test_standard_webhooks_sign_id_timestamp_and_body() -> None:
    key = base64.b64decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    (parsed,) = secrets_of(SecretStr("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"))
    assert parsed == key
    signature = sign_standard(key, "msg_p5jXN8AQM9LWM0D4loKWxJek", NOW, BODY)
    assert signature.startswith("v1,")
    verify = dict(now=NOW + 10, tolerance_s=300)
    verify_standard(
        [key], BODY, webhook_id="msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp=str(NOW),
        signature=f"v1,bm90IHRoaXMgb25l {signature}", **verify,
    )  # fmt: skip
    with pytest.raises(SignatureError, match="does not match"):
        verify_standard(
            [key], BODY, webhook_id="msg_other", timestamp=str(NOW), signature=signature, **verify
        )


@pytest.mark.parametrize("sent_at", [NOW - 301, NOW + 301])
def test_standard_webhooks_outside_the_tolerance_are_replays(sent_at: int) -> None:
    signature = sign_standard(b"key", "msg_1", sent_at, BODY)
    with pytest.raises(SignatureError, match="tolerance"):
        verify_standard(
            [b"key"], BODY, webhook_id="msg_1", timestamp=str(sent_at), signature=signature,
            now=NOW, tolerance_s=300,
        )  # fmt: skip


def test_a_whsec_secret_must_be_base64() -> None:
    with pytest.raises(ValueError, match="base64"):
        secrets_of(SecretStr("whsec_***"))
