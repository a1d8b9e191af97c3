"""The ingest's callers: tokens per service from settings, refused without echoing a token."""

from __future__ import annotations

import pytest

from producers.ingest import IngestSettings
from producers.ingest.callers import Callers, UnauthenticatedError
from retailsync.errors import ConfigError

pytestmark = pytest.mark.unit


def test_each_token_names_its_service() -> None:
    settings = IngestSettings(
        ingest_tokens="wms=0123456789abcdef-wms,pos=0123456789abcdef-pos",
        ingest_event_types={"wms": ["inventory_adjusted"], "pos": ["*"]},
    )
    callers = Callers(settings.ingest_tokens)

    assert callers.service("Bearer 0123456789abcdef-pos") == "pos"
    assert callers.service("bearer 0123456789abcdef-wms") == "wms"
    with pytest.raises(UnauthenticatedError):
        callers.service("Bearer 0123456789abcdef")
    assert settings.allowed("wms", "inventory_adjusted")
    assert not settings.allowed("wms", "order_created")
    assert settings.allowed("pos", "order_created")
    assert not settings.allowed("erp", "order_created")  # a service not listed may not


@pytest.mark.parametrize(
    ("tokens", "said"),
    [
        ("wms", "pair 1 is not service=token"),
        ("wms=short-secret", "shorter than 16"),
        ("wms=0123456789abcdef-a,wms=0123456789abcdef-b", "'wms' is given twice"),
    ],
)
def test_malformed_tokens_are_refused_naming_the_variable_never_the_token(
    monkeypatch: pytest.MonkeyPatch, tokens: str, said: str
) -> None:
    monkeypatch.setenv("RETAILSYNC_INGEST_TOKENS", tokens)

    with pytest.raises(ConfigError, match="RETAILSYNC_INGEST_TOKENS") as refused:
        IngestSettings.load()

    assert said in str(refused.value)
    assert "short-secret" not in str(refused.value) and "0123456789abcdef" not in str(refused.value)


def test_an_unknown_event_type_in_the_allow_list_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RETAILSYNC_INGEST_EVENT_TYPES", '{"wms": ["stock_moved"]}')

    with pytest.raises(ConfigError, match=r"RETAILSYNC_INGEST_EVENT_TYPES.*stock_moved"):
        IngestSettings.load()
