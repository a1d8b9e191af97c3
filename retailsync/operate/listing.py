"""Records as ``tail`` and ``dlt show`` list them: decoded, filtered, masked, summarised."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from retailsync.consumer.record import ConsumedRecord
from retailsync.errors import DeserializationError
from retailsync.headers import EVENT_TYPE, text_header
from retailsync.operate.personal import PersonalData
from retailsync.operate.positions import position
from retailsync.serde import Serde

_SUMMARY_FIELDS = 4
_SUMMARY_CHARS = 30


@dataclass(frozen=True, slots=True)
class Filter:
    """Which records to list: all given conditions must hold."""

    key: str | None = None
    event_type: str | None = None
    where: Mapping[str, str] | None = None  # dotted field path -> value as text

    def keeps_raw(self, record: ConsumedRecord) -> bool:
        """What can be decided without decoding."""
        if self.key is not None and record.text_key != self.key:
            return False
        return self.event_type is None or text_header(record.headers, EVENT_TYPE) == self.event_type

    def keeps(self, datum: Mapping[str, Any] | None) -> bool:
        if not self.where:
            return True
        if datum is None:
            return False
        return all(_text(_field(datum, path)) == value for path, value in self.where.items())


@dataclass(frozen=True, slots=True)
class Entry:
    """One listed record: where it is, what it is, and its (masked) content."""

    record: ConsumedRecord
    event_type: str | None
    datum: dict[str, Any] | None  # None: undecodable
    error: str | None = None

    @property
    def position(self) -> str:
        return position(self.record.topic, self.record.partition, self.record.offset)

    @property
    def time(self) -> str:
        """ISO 8601 in UTC to the millisecond, as ``datetime.isoformat`` writes it."""
        seconds, milliseconds = divmod(self.record.timestamp_ms, 1000)
        return f"{_second(seconds)}.{milliseconds:03d}+00:00"

    def line(self) -> str:
        """``time  topic[partition] offset  key  type  summary``."""
        return "  ".join(
            (self.time, self.position, self.record.text_key or "-", self.event_type or "-",
             self.summary())
        )  # fmt: skip

    def summary(self) -> str:
        if self.datum is None:
            return f"undecodable: {self.error}"
        parts = []
        for name, value in self.datum.items():
            # Decoded records are plain dicts and lists (and cheaper to test than Mapping).
            if name == "envelope" or isinstance(value, dict | list):
                continue
            parts.append(f"{name}={_text(value)[:_SUMMARY_CHARS]}")
            if len(parts) == _SUMMARY_FIELDS:
                break
        return " ".join(parts)

    def document(self) -> dict[str, Any]:
        """The JSON form: position, key, type, headers and the decoded event."""
        return {
            "position": self.position,
            "timestamp": self.time,
            "key": self.record.text_key,
            "event_type": self.event_type,
            "headers": {
                name: (value.decode(errors="replace") if value is not None else None)
                for name, value in self.record.headers
            },
            "event": self.datum,
            "error": self.error,
        }


class Lister:
    """Turns records into entries with one serde and one mask."""

    def __init__(self, serde: Serde, personal: PersonalData, *, show_personal: bool) -> None:
        self._serde = serde
        self._personal = personal
        self._show_personal = show_personal

    def entry(self, record: ConsumedRecord) -> Entry:
        event_type = text_header(record.headers, EVENT_TYPE)
        try:
            datum = self._serde.decode(
                record.value or b"",
                topic=record.topic,
                partition=record.partition,
                offset=record.offset,
                key=record.key,
            )
        except DeserializationError as exc:
            return Entry(record, event_type, None, str(exc))
        event_type = event_type or datum.get("envelope", {}).get("event_type")
        if not self._show_personal:
            datum = self._personal.mask(event_type, datum)
        return Entry(record, event_type, datum)


def parse_where(conditions: Sequence[str]) -> dict[str, str]:
    """``field=value`` conditions; ValueError for one without ``=``."""
    parsed = {}
    for condition in conditions:
        path, sep, value = condition.partition("=")
        if not sep or not path:
            raise ValueError(f"{condition!r} is not field=value")
        parsed[path.strip()] = value.strip()
    return parsed


def _field(datum: Mapping[str, Any], path: str) -> Any:
    value: Any = datum
    for name in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(name)
    return value


@lru_cache(maxsize=4_096)
def _second(epoch_seconds: int) -> str:
    # Records of one second share it: a listing formats each second once.
    return datetime.fromtimestamp(epoch_seconds, UTC).isoformat()[: -len("+00:00")]


def _text(value: Any) -> str:
    return value if isinstance(value, str) else str(value)
