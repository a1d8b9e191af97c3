"""Avro's logical types converted here rather than by fastavro, which is slow at them.

fastavro converts a logical value through a per-field lookup and a general routine: about
4 µs to write a decimal and 0.7 µs to read one, so an order (seventeen decimals) spent most
of its encoding time there. With ``SchemaVersion.plain`` fastavro reads and writes the
values underneath (the same bytes on the wire) and these converters (writing) and
``retailsync.serde.builders`` (reading) do the rest, as fastavro does, for the three
logical types our schemas use: ``decimal`` on bytes, ``timestamp-micros`` and ``uuid``.
(Writing, a decimal with more digits than its precision is refused however its digits are
written; fastavro counted the digits as given, and wrote some values it then read back
rounded.) For a schema with any other logical type they raise NotImplementedError, and
their caller takes fastavro's own path.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from decimal import Context, Decimal
from typing import Any

Convert = Callable[[Any], Any]
Named = Mapping[str, Any]  # a parsed schema's ``__named_schemas``

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_PRIMITIVES = frozenset({"null", "boolean", "int", "long", "float", "double", "bytes", "string"})


def resolve(avro_type: Any, named: Named) -> Any:
    """``avro_type`` with a reference to a named type replaced by its definition."""
    if isinstance(avro_type, str) and avro_type not in _PRIMITIVES:
        return named[avro_type]
    return avro_type


def logical(avro_type: dict[str, Any]) -> str | None:
    """The logical type of a resolved type, checked to be one covered here."""
    name = avro_type.get("logicalType")
    if name is None:
        return None
    if (name, avro_type["type"]) not in (
        ("decimal", "bytes"),
        ("timestamp-micros", "long"),
        ("uuid", "string"),
    ):
        raise NotImplementedError(f"{name} on {avro_type['type']}")
    return str(name)


# --- writing ------------------------------------------------------------------------------


def writer_of(avro_type: Any, named: Named) -> Convert | None:
    """How a value of ``avro_type`` (a model instance for a record) becomes what fastavro
    writes with the plain schema; None when it is written as it is."""
    avro_type = resolve(avro_type, named)
    if isinstance(avro_type, list):  # a union
        branches = [writer_of(branch, named) for branch in avro_type if branch != "null"]
        converts = [each for each in branches if each is not None]
        if len(converts) > 1 or (converts and len(branches) > 1):
            raise NotImplementedError("a union of several types that convert")
        # None, the union's other branch, is skipped by the caller.
        return converts[0] if converts else None
    if not isinstance(avro_type, dict):
        return None
    kind = avro_type["type"]
    if kind in ("record", "error"):
        return record_writer(avro_type, named)
    if kind in ("array", "map"):
        return _container_writer(avro_type, named)
    return _logical_writer(avro_type)


def _container_writer(avro_type: dict[str, Any], named: Named) -> Convert | None:
    if avro_type["type"] == "array":
        item = writer_of(avro_type["items"], named)
        return None if item is None else lambda values: [item(value) for value in values]
    value_of = writer_of(avro_type["values"], named)
    if value_of is None:
        return None
    return lambda values: {key: value_of(value) for key, value in values.items()}


def _logical_writer(avro_type: dict[str, Any]) -> Convert | None:
    kind = logical(avro_type)
    if kind == "decimal":
        return _decimal_writer(avro_type.get("scale", 0), avro_type["precision"])
    if kind == "timestamp-micros":
        return _micros
    if kind == "uuid":
        return str
    return None


def record_writer(record: dict[str, Any], named: Named) -> Convert:
    """A record's fields from a model instance (or a mapping), converted where needed."""
    converts = [
        (field["name"], convert)
        for field in record["fields"]
        if (convert := writer_of(field["type"], named)) is not None
    ]

    def write(instance: Any) -> dict[str, Any]:
        values = dict(getattr(instance, "__dict__", instance))  # a model, or a mapping
        for name, convert in converts:
            value = values.get(name)
            if value is not None:
                values[name] = convert(value)
        return values

    return write


def _decimal_writer(scale: int, precision: int) -> Convert:
    # One digit more than the schema allows: a value this context rounds is refused below.
    context = Context(prec=precision + 1)
    limit = 10**precision

    def write(value: Decimal) -> bytes:
        scaled = value.scaleb(scale, context)
        unscaled = int(scaled)  # ValueError for NaN, OverflowError for an infinity
        if unscaled != scaled:
            raise ValueError(f"{value} has more decimal places than the schema's {scale}")
        if not -limit < unscaled < limit:
            raise ValueError(f"{value} has more digits than the schema's {precision}")
        return unscaled.to_bytes((unscaled.bit_length() + 8) // 8, "big", signed=True)

    return write


def _micros(value: datetime) -> int:
    if value.tzinfo is None:
        # fastavro would read a naive time as local time; our models hold UTC only.
        raise ValueError("a timestamp without a time zone")
    return (value - EPOCH) // _MICROSECOND
