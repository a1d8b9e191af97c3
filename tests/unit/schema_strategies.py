"""Hypothesis strategies that build records for any Avro schema of the catalogue.

Generated from the schema itself, so a new event type or version is covered without a test
change. Values stay inside what the models accept too (currency codes, positive versions),
so the same records also validate as models.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from retailsync.events import SchemaVersion

# Fields whose model constrains them beyond their Avro type, by field name.
_BY_NAME: dict[str, st.SearchStrategy[Any]] = {
    "currency": st.sampled_from(["EUR", "USD", "JPY", "KWD", "CHF"]),
    "country_code": st.sampled_from(["DE", "FR", "JP", "US", "BR"]),
    "source_version": st.integers(0, 2**63 - 1),
}
_TEXT = st.text(max_size=40)
_MIN_TIME = datetime(1, 1, 1)
_MAX_TIME = datetime(9999, 12, 31, 23, 59, 59, 999_999)


def decimals(precision: int, scale: int) -> st.SearchStrategy[Decimal]:
    """Decimals that fit decimal(precision, scale), with the edges of its range often."""
    step = Decimal(1).scaleb(-scale)
    largest = Decimal(10) ** (precision - scale) - step
    edges = [largest, -largest, step, -step, Decimal(0)]
    within = st.decimals(
        min_value=-largest, max_value=largest, places=scale, allow_nan=False, allow_infinity=False
    )
    return st.one_of(st.sampled_from(edges), within)


def records(schema: SchemaVersion) -> st.SearchStrategy[dict[str, Any]]:
    """Records of ``schema`` whose envelope names it, so a serde writes them with it."""
    pinned = {
        "event_type": st.just(schema.name),
        "schema_version": st.just(schema.version),
    }
    return _Builder(schema.parsed["__named_schemas"], {**_BY_NAME, **pinned}).build(schema.parsed)


class _Builder:
    def __init__(self, names: Mapping[str, Any], by_name: Mapping[str, st.SearchStrategy[Any]]):
        self._names = names
        self._by_name = by_name

    def build(self, schema: Any) -> st.SearchStrategy[Any]:
        if isinstance(schema, list):
            return st.one_of([self.build(branch) for branch in schema])
        if isinstance(schema, str):
            return (
                self._primitive(schema)
                if schema not in self._names
                else self.build(self._names[schema])
            )
        kind = schema["type"]
        logical = schema.get("logicalType")
        if logical == "decimal":
            return decimals(schema["precision"], schema["scale"])
        if logical == "timestamp-micros":
            return st.datetimes(_MIN_TIME, _MAX_TIME, timezones=st.just(UTC))
        if logical == "uuid":
            return st.uuids()
        if kind == "record":
            return st.fixed_dictionaries(
                {
                    field["name"]: self._by_name[field["name"]]
                    if field["name"] in self._by_name
                    else self.build(field["type"])
                    for field in schema["fields"]
                }
            )
        if kind == "enum":
            return st.sampled_from(schema["symbols"])
        if kind == "array":
            return st.lists(self.build(schema["items"]), min_size=1, max_size=3)
        if kind == "map":
            return st.dictionaries(_TEXT, self.build(schema["values"]), max_size=3)
        return self._primitive(kind)

    @staticmethod
    def _primitive(kind: str) -> st.SearchStrategy[Any]:
        strategies: dict[str, st.SearchStrategy[Any]] = {
            "null": st.none(),
            "boolean": st.booleans(),
            "int": st.integers(-(2**31), 2**31 - 1),
            "long": st.integers(-(2**63), 2**63 - 1),
            # Identities must not be empty in the models; one character is enough.
            "string": st.text(min_size=1, max_size=40),
            "bytes": st.binary(max_size=40),
        }
        return strategies[kind]
