"""A problem found in a schema, at one field."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Finding:
    """What is wrong at ``path``, a field path such as ``lines[].unit_price``
    (``[]`` an array's items, ``{}`` a map's values; empty for the record itself)."""

    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path or '(record)'}: {self.reason}"
