"""The event ingest's settings: where it listens, its limits, and the calling services with
their tokens and the event types each may publish."""

from __future__ import annotations

from pydantic import Field, SecretStr, field_validator

from retailsync.events import EVENT_MODELS
from retailsync.settings import PartSettings

EVERY_TYPE = "*"
_MIN_TOKEN_CHARS = 16


def parse_tokens(value: SecretStr | None) -> dict[str, str]:
    """``service=token`` pairs, comma-separated, as a dict; ValueError naming the service or
    the pair's position (never a token) when one is malformed, short or repeated."""
    tokens: dict[str, str] = {}
    if value is None:
        return tokens
    pairs = [pair.strip() for pair in value.get_secret_value().split(",") if pair.strip()]
    for position, pair in enumerate(pairs, 1):
        service, equals, token = (part.strip() for part in pair.partition("="))
        if not equals or not service or not token:
            raise ValueError(f"pair {position} is not service=token")
        if len(token) < _MIN_TOKEN_CHARS:
            raise ValueError(f"the token of {service!r} is shorter than {_MIN_TOKEN_CHARS}")
        if service in tokens:
            raise ValueError(f"{service!r} is given twice")
        tokens[service] = token
    return tokens


class IngestSettings(PartSettings):
    """``retailsync serve ingest``. A service may hold several tokens only by several names;
    rotate a token by adding the service under a second name, then removing the first."""

    ingest_host: str = "127.0.0.1"
    ingest_port: int = Field(8081, ge=0, lt=65536)
    ingest_max_body_bytes: int = Field(1_048_576, gt=0)
    ingest_ack_timeout_s: float = Field(3.0, gt=0)
    ingest_retry_after_s: int = Field(10, ge=0)
    # A caller's retry of an event within the window is answered from memory.
    ingest_dedup_window_s: float = Field(3_600.0, ge=0)
    ingest_dedup_entries: int = Field(100_000, ge=0)
    # service=token,service=token: the bearer token each calling service presents.
    ingest_tokens: SecretStr | None = None
    # JSON: service -> the event types it may publish ("*": every one); others get 403.
    ingest_event_types: dict[str, list[str]] = Field(default_factory=dict)

    @field_validator("ingest_tokens")
    @classmethod
    def _tokens_well_formed(cls, value: SecretStr | None) -> SecretStr | None:
        parse_tokens(value)
        return value

    @field_validator("ingest_event_types")
    @classmethod
    def _known_event_types(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for service, event_types in value.items():
            unknown = sorted(set(event_types) - EVENT_MODELS.keys() - {EVERY_TYPE})
            if unknown:
                raise ValueError(f"{service}: unknown event types {', '.join(unknown)}")
        return value

    def allowed(self, service: str, event_type: str) -> bool:
        """Whether ``service`` may publish ``event_type``."""
        granted = self.ingest_event_types.get(service, ())
        return event_type in granted or EVERY_TYPE in granted
