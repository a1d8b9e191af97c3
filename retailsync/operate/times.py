"""Points in time as operators write them: ISO 8601 with a zone, or a duration back from now
(``30m``, ``-30m``, ``2h``, or ISO 8601's ``PT30M``, as kafka-consumer-groups takes)."""

from __future__ import annotations

import re
from datetime import datetime

from retailsync.durations import parse_duration_ms

_ISO_DURATION = re.compile(
    r"^P(?:(?P<d>\d+)D)?(?:T(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?$"
)
_MS = {"d": 86_400_000, "h": 3_600_000, "m": 60_000, "s": 1_000}


def duration_ms(text: str) -> int:
    """``30m``, ``2h`` or ``PT30M``/``P1DT2H`` in milliseconds; ValueError otherwise."""
    match = _ISO_DURATION.match(text.strip().upper())
    if match is None or not any(match.groupdict().values()):
        return parse_duration_ms(text)
    return int(sum(float(v) * _MS[unit] for unit, v in match.groupdict().items() if v))


def instant_ms(text: str, now_ms: int) -> int:
    """Epoch ms of an ISO 8601 time with a zone, or of ``now`` minus a duration."""
    if "T" in text.upper() and not text.upper().startswith("P") and ":" in text:
        at = datetime.fromisoformat(text.replace("Z", "+00:00"))
        if at.tzinfo is None:
            raise ValueError(f"{text!r} has no zone: write e.g. 2026-11-30T03:00:00Z")
        return int(at.timestamp() * 1000)
    return now_ms - duration_ms(text.lstrip("-"))
