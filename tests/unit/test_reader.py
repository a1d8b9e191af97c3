"""The readers generated from schemas read what fastavro reads: the same values from every
body fastavro reads, and an error wherever fastavro has one."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from fastavro import parse_schema, schemaless_reader, schemaless_writer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from retailsync.events import SchemaVersion, load_catalogue
from retailsync.serde.reader import compile_reader
from retailsync.serde.writer import long_bytes
from tests.unit.avro_kinds import every_kind, every_kind_records
from tests.unit.schema_strategies import records

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = list(load_catalogue(ROOT / "schemas"))
CHECKS = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])

EVERY_KIND = every_kind(
    {"name": "either", "type": ["null", "string", "long", "Digest"]},
    {"name": "voids", "type": {"type": "array", "items": "null"}},
    # Last: a length past the end of the body would otherwise show in what follows.
    {"name": "text", "type": "string"},
    {"name": "blob", "type": "bytes"},
)
READ_EVERY_KIND = compile_reader(EVERY_KIND)
READERS = {schema.label: compile_reader(schema.plain) for schema in SCHEMAS}
EVERY_KIND_RECORDS = every_kind_records(
    either=st.one_of(st.none(), st.text(max_size=3), st.integers(-(2**63), 2**63 - 1)),
    voids=st.lists(st.none(), max_size=3),
    text=st.text(max_size=80),
    blob=st.binary(max_size=80),
)


def _body(schema: Any, record: dict[str, Any]) -> bytes:
    buffer = BytesIO()
    schemaless_writer(buffer, schema, record)
    return buffer.getvalue()


def _fastavro(schema: Any, body: bytes) -> tuple[Any, int]:
    buffer = BytesIO(body)
    return schemaless_reader(buffer, schema, None), buffer.tell()


@pytest.mark.parametrize("schema", SCHEMAS, ids=lambda schema: schema.label)
@CHECKS
@given(data=st.data())
def test_every_schema_of_the_catalogue_reads_as_fastavro_reads_it(
    schema: SchemaVersion, data: st.DataObject
) -> None:
    body = _body(schema.parsed, data.draw(records(schema)))
    # A prefix, as a record's header is: the reader starts where it is told.
    value, end = READERS[schema.label](b"header" + body, 6)

    assert (value, end - 6) == _fastavro(schema.plain, body)


@CHECKS
@given(record=EVERY_KIND_RECORDS)
def test_every_kind_of_avro_type_reads_as_fastavro_reads_it(record: dict[str, Any]) -> None:
    body = _body(EVERY_KIND, record)

    assert READ_EVERY_KIND(body, 0) == _fastavro(EVERY_KIND, body)


@CHECKS
@given(record=EVERY_KIND_RECORDS)
def test_every_truncation_of_a_body_fails(record: dict[str, Any]) -> None:
    body = _body(EVERY_KIND, record)
    for cut in range(len(body)):
        with pytest.raises(Exception):  # noqa: B017 (the serde makes any a DeserializationError)
            READ_EVERY_KIND(body[:cut], 0)


def test_blocks_with_their_size_in_bytes_read_as_fastavro_reads_them() -> None:
    # Other writers (Java's, for one) may give a negative count, then the block's size.
    schema = parse_schema(
        {
            "type": "record",
            "name": "test.Blocks",
            "fields": [
                {"name": "numbers", "type": {"type": "array", "items": "long"}},
                {"name": "names", "type": {"type": "map", "values": "string"}},
            ],
        }
    )
    # numbers: a block of -2 items in 2 bytes (1, 2), a block of 1 item (3), the end;
    # names: a block of -1 entry in 4 bytes ("a" -> "b"), the end.
    body = bytes([3, 4, 2, 4, 2, 6, 0, 1, 8, 2, ord("a"), 2, ord("b"), 0])

    value, end = compile_reader(schema)(body, 0)

    assert value == {"numbers": [1, 2, 3], "names": {"a": "b"}}
    assert (value, end) == _fastavro(schema, body)


@CHECKS
@given(record=EVERY_KIND_RECORDS, data=st.data())
def test_a_damaged_body_fails_wherever_fastavro_fails_and_never_reads_otherwise(
    record: dict[str, Any], data: st.DataObject
) -> None:
    body = bytearray(_body(EVERY_KIND, record))
    for _ in range(data.draw(st.integers(1, 3))):
        at = data.draw(st.integers(0, len(body) - 1))
        body[at] = data.draw(st.integers(0, 255))
    damaged = bytes(body[: data.draw(st.integers(0, len(body)))])
    try:
        theirs: tuple[Any, int] | None = _fastavro(EVERY_KIND, damaged)
    except Exception:
        theirs = None
    try:
        ours: tuple[Any, int] | None = READ_EVERY_KIND(damaged, 0)
    except Exception:
        ours = None

    # Stricter than fastavro (an index below zero, which fastavro wraps) but never laxer.
    if theirs is None:
        assert ours is None
    elif ours is not None:
        assert repr(ours) == repr(theirs)  # a damaged float may be NaN, unequal to itself


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (bytes([1]), "a union index out of range"),  # -1
        (bytes([6]), "a union index out of range"),  # 3
        (bytes([2, 0x7E]), "a length past the end"),  # 63 bytes of text
        (bytes([2, 1]), "a negative length"),  # -1 bytes of text
        (bytes([4] + [0xFF] * 10 + [1]), "a varint longer than a long"),
        (bytes([4] + [0xFF] * 9 + [2]), "a varint longer than a long"),
    ],
)
def test_a_corrupt_body_is_named_for_what_is_wrong(body: bytes, reason: str) -> None:
    schema = parse_schema({"type": "record", "name": "test.One", "fields": [
        {"name": "value", "type": ["null", "string", "long"]}
    ]})  # fmt: skip

    with pytest.raises(ValueError, match=reason):
        compile_reader(schema)(body, 0)


def test_a_count_beyond_the_bytes_left_is_refused_before_anything_is_read() -> None:
    schema = parse_schema(
        {
            "type": "record",
            "name": "test.Many",
            "fields": [{"name": "items", "type": {"type": "array", "items": "string"}}],
        }
    )
    body = long_bytes(2**40) + long_bytes(1) + b"a"

    with pytest.raises(ValueError, match="more items than bytes"):
        compile_reader(schema)(body, 0)
