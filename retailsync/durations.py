"""Human durations such as ``10s``, ``1m`` or ``7d``, as used in topology.yaml."""

from __future__ import annotations

import re

_UNITS_MS = {"ms": 1, "s": 1_000, "m": 60_000, "h": 3_600_000, "d": 86_400_000}
_PATTERN = re.compile(r"^\s*(\d+)\s*(ms|s|m|h|d)\s*$")


def parse_duration_ms(text: str) -> int:
    """Milliseconds in ``text`` (``500ms``, ``10s``, ``1m``, ``2h``, ``7d``); raises ValueError."""
    match = _PATTERN.match(text)
    if match is None:
        raise ValueError(
            f"{text!r} is not a duration: write a whole number and a unit of ms, s, m, h or d"
        )
    amount, unit = match.groups()
    millis = int(amount) * _UNITS_MS[unit]
    if millis <= 0:
        raise ValueError(f"{text!r} is not a positive duration")
    return millis


def format_duration_ms(millis: int) -> str:
    """The shortest exact spelling of ``millis``: 60000 -> ``1m``, 1500 -> ``1500ms``."""
    for unit in ("d", "h", "m", "s"):
        size = _UNITS_MS[unit]
        if millis % size == 0:
            return f"{millis // size}{unit}"
    return f"{millis}ms"
