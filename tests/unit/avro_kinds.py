"""A record schema with every kind of Avro type (several nested, a named type used twice),
and records of it: for the tests of the readers and writers generated from schemas."""

from __future__ import annotations

from typing import Any

from fastavro import parse_schema
from hypothesis import strategies as st

_CHILD = {"type": "record", "name": "Child", "fields": [{"name": "name", "type": "string"}]}
_FIELDS: list[dict[str, Any]] = [
    {"name": "flag", "type": "boolean"},
    {"name": "small", "type": "int"},
    {"name": "large", "type": "long"},
    {"name": "ratio", "type": "float"},
    {"name": "precise", "type": "double"},
    {"name": "nothing", "type": "null"},
    {"name": "digest", "type": {"type": "fixed", "name": "Digest", "size": 4}},
    {"name": "colour", "type": {"type": "enum", "name": "Colour", "symbols": ["R", "G"]}},
    {"name": "grid", "type": {"type": "array", "items": {"type": "array", "items": "int"}}},
    {"name": "labels", "type": {"type": "map", "values": ["null", "Colour"]}},
    {"name": "children", "type": {"type": "array", "items": _CHILD}},
    {"name": "favourite", "type": ["null", "Child"]},
]
_CHILDREN = st.fixed_dictionaries({"name": st.text(max_size=80)})
_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "flag": st.booleans(),
    "small": st.integers(-(2**31), 2**31 - 1),
    "large": st.integers(-(2**63), 2**63 - 1),
    "ratio": st.floats(width=32, allow_nan=False),
    "precise": st.floats(allow_nan=False),
    "nothing": st.none(),
    "digest": st.binary(min_size=4, max_size=4),
    "colour": st.sampled_from(["R", "G"]),
    # Up to 70 rows: a count of 64 or more takes two bytes.
    "grid": st.lists(st.lists(st.integers(-(2**31), 2**31 - 1), max_size=3), max_size=70),
    "labels": st.dictionaries(st.text(max_size=3), st.sampled_from([None, "R", "G"])),
    "children": st.lists(_CHILDREN, max_size=3),
    "favourite": st.one_of(st.none(), _CHILDREN),
}


def every_kind(*fields: dict[str, Any]) -> Any:
    """The parsed schema: every kind, then ``fields``."""
    return parse_schema({"type": "record", "name": "test.EveryKind", "fields": [*_FIELDS, *fields]})


def every_kind_records(**values: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    """Records of ``every_kind``, with ``values`` for its added fields."""
    return st.fixed_dictionaries({**_VALUES, **values})
