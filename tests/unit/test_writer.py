"""The writers generated from schemas write what fastavro writes, and refuse what their
schema cannot hold. (Every event type's models against fastavro: tests/unit/test_serde.py.)"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from io import BytesIO
from types import SimpleNamespace
from typing import Any
from uuid import UUID

import pytest
from fastavro import parse_schema, schemaless_writer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from retailsync.errors import SerializationError
from retailsync.events import load_catalogue
from retailsync.events.examples import example_events
from retailsync.serde import EventSerde, SingleObjectSerde
from retailsync.serde.writer import compile_writer, long_bytes
from tests.unit.avro_kinds import every_kind, every_kind_records
from tests.unit.test_reader import ROOT

pytestmark = pytest.mark.unit

CHECKS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])

EVERY_KIND = every_kind(
    {"name": "text", "type": "string"},
    {"name": "blob", "type": "bytes"},
    {"name": "maybe", "type": ["null", "string"]},
    {
        "name": "amount",
        "type": {"type": "bytes", "logicalType": "decimal", "precision": 9, "scale": 2},
    },
    {"name": "at", "type": {"type": "long", "logicalType": "timestamp-micros"}},
    {"name": "id", "type": {"type": "string", "logicalType": "uuid"}},
)
WRITE_EVERY_KIND = compile_writer(EVERY_KIND)
EVERY_KIND_RECORDS = every_kind_records(
    text=st.text(max_size=80),
    blob=st.binary(max_size=80),
    maybe=st.one_of(st.none(), st.text(max_size=3)),
    amount=st.decimals(-(10**7) + 1, 10**7 - 1, places=2),
    at=st.datetimes(datetime(1, 1, 1), timezones=st.just(UTC)),
    id=st.uuids(),
)


def _instance(record: dict[str, Any]) -> SimpleNamespace:
    """``record`` as a model holds it: records as objects, with their fields as attributes."""
    children = [SimpleNamespace(**child) for child in record["children"]]
    favourite = record["favourite"] and SimpleNamespace(**record["favourite"])
    return SimpleNamespace(**{**record, "children": children, "favourite": favourite})


def _fastavro(schema: Any, record: dict[str, Any]) -> bytes:
    buffer = BytesIO()
    schemaless_writer(buffer, schema, record)
    return buffer.getvalue()


@CHECKS
@given(record=EVERY_KIND_RECORDS)
def test_every_kind_of_avro_type_is_written_as_fastavro_writes_it(record: dict[str, Any]) -> None:
    assert WRITE_EVERY_KIND(_instance(record), b"head") == b"head" + _fastavro(EVERY_KIND, record)


@pytest.mark.parametrize("value", [0, 1, -1, 63, -64, 64, -65, 2**31, 2**63 - 1, -(2**63), 10**15])
def test_longs_are_zigzag_varints_as_fastavro_writes_them(value: int) -> None:
    assert long_bytes(value) == _fastavro("long", value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("change", "refusal"),
    [
        ({"small": 2**31}, "does not fit in an int"),
        ({"large": -(2**63) - 1}, "does not fit in a long"),
        ({"colour": "B"}, "'B' is not a symbol of test.Colour"),
        ({"flag": None}, "None is not a boolean"),
        ({"digest": b"abc"}, "3 bytes for a fixed of 4"),
        ({"nothing": 0}, "0 is not null"),
        ({"amount": Decimal("0.001")}, "more decimal places than the schema's 2"),
        ({"amount": Decimal("1E+7")}, "more digits than the schema's 9"),
        ({"at": datetime(2025, 1, 1)}, "a timestamp without a time zone"),
        ({"id": "not-a-uuid"}, "'str' object"),
        ({"text": 7}, "'int' object has no attribute 'encode'"),
        ({"blob": 7}, "object of type 'int' has no len"),
    ],
)
def test_a_value_its_schema_cannot_hold_is_refused_saying_why(
    change: dict[str, Any], refusal: str
) -> None:
    record = {
        "flag": True, "small": 1, "large": 2, "ratio": 0.5, "precise": 0.25, "text": "t",
        "blob": b"b", "nothing": None, "digest": b"abcd", "colour": "G", "maybe": None,
        "grid": [], "labels": {}, "children": [], "favourite": None,
        "amount": Decimal("1.25"), "at": datetime(2025, 1, 1, tzinfo=UTC),
        "id": UUID(int=7),
    }  # fmt: skip
    _fastavro(EVERY_KIND, record)  # the record itself is one fastavro writes

    with pytest.raises((ValueError, TypeError, AttributeError), match=refusal):
        WRITE_EVERY_KIND(_instance({**record, **change}), b"")


def test_a_union_of_several_types_is_left_to_fastavro() -> None:
    schema = parse_schema(
        {
            "type": "record",
            "name": "test.Either",
            "fields": [{"name": "value", "type": ["null", "string", "long"]}],
        }
    )

    with pytest.raises(NotImplementedError, match="a union of several types"):
        compile_writer(schema)


def test_a_model_without_a_field_of_its_schema_is_written_with_the_fields_default() -> None:
    # A model that lost a field an older version still has: fastavro writes the default.
    serde = SingleObjectSerde(load_catalogue(ROOT / "schemas"))
    order = next(e for e in example_events() if e.envelope.event_type == "order_created")
    event = order.model_copy(update={"order_number": "#7"})
    del event.__dict__["order_number"]
    expected = order.model_dump()
    del expected["order_number"]

    assert EventSerde(serde).encode(event) == serde.encode(expected)
    del event.__dict__["order_ref"]  # no default
    with pytest.raises(SerializationError, match="order_ref"):
        EventSerde(serde).encode(event)
