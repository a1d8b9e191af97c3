"""Avro bodies written by code generated for their schema, rather than by fastavro's writer.

The writing twin of ``retailsync.serde.reader``: fastavro's writer interprets the schema
for every value it writes, and converts logical values through a lookup and a general
routine. Here each record type gets a function, generated once from the schema, that writes
a model's fields in order into one ``bytearray``: the logical values converted as fastavro
converts them (``decimal`` on bytes at its scale, ``timestamp-micros``, ``uuid``), the
others as they are.

A value its schema cannot hold (a decimal with more digits than its precision or more
places than its scale, a long beyond 64 bits, an int beyond 32, a timestamp without a time
zone, a symbol the enum lacks, a fixed of another size) or not of its type (a model built
unvalidated) raises ``ValueError``, ``TypeError`` or ``AttributeError``; the serde makes
each a ``SerializationError``. A field the instance lacks raises ``KeyError``: the serde
then writes with fastavro, which writes the field's default. A schema with a union of two
types besides null (fastavro picks the branch by the value's type) or another logical type
is not covered: ``compile_writer`` raises NotImplementedError and its caller writes with
fastavro.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from datetime import datetime
from decimal import Context, Decimal
from typing import Any
from uuid import UUID

from retailsync.serde.plain import EPOCH, GeneratedCode, Named, logical, resolve

# (a model instance, whose ``__dict__`` holds its fields; a header) -> the header, then
# the instance's Avro body.
Write = Callable[[Any, bytes], bytes]

_ONE_BYTE = 0x80
_LONG = 2**63
_INT = 2**31
# A varint of one byte, by its value; a length, count or index n below 64 is _SMALL[n].
_VARINT_BYTE = tuple(bytes([n]) for n in range(_ONE_BYTE))
_SMALL = _VARINT_BYTE[::2]


def compile_writer(schema: Any) -> Write:
    """The writer of bodies of ``schema`` (a parsed record schema) from model instances."""
    code = _Code(schema["__named_schemas"])
    function = code.record(schema)
    code.functions.append(
        "def _write(instance, header):\n"
        "    out = bytearray(header)\n"
        f"    {function}(out, instance.__dict__)\n"
        "    return bytes(out)"
    )
    write: Write = code.compile()["_write"]
    return write


def long_bytes(value: int) -> bytes:
    """``value`` as Avro writes a long: zigzag, then a varint."""
    if not -_LONG <= value < _LONG:
        raise ValueError(f"{value} does not fit in a long")
    unsigned = (value << 1) ^ (value >> 63)
    if unsigned < _ONE_BYTE:
        return _VARINT_BYTE[unsigned]
    out = bytearray()
    while unsigned >= _ONE_BYTE:
        out.append(unsigned & 0x7F | _ONE_BYTE)
        unsigned >>= 7
    out.append(unsigned)
    return bytes(out)


def int_bytes(value: int) -> bytes:
    if not -_INT <= value < _INT:
        raise ValueError(f"{value} does not fit in an int")
    return long_bytes(value)


def micros(value: datetime) -> int:
    """A timestamp-micros: microseconds since the epoch of an aware datetime."""
    if value.tzinfo is None:
        # fastavro would read a naive time as local time; our models hold UTC only.
        raise ValueError("a timestamp without a time zone")
    delta = value - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def decimal_writer(scale: int, precision: int) -> Callable[[Decimal], bytes]:
    """The bytes of a decimal(precision, scale): its unscaled value, big-endian, signed."""
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


class _Booleans(dict[object, bytes]):
    def __init__(self) -> None:
        super().__init__({False: b"\x00", True: b"\x01"})

    def __missing__(self, value: object) -> bytes:
        raise TypeError(f"{value!r} is not a boolean")


class _Indexes(dict[str, bytes]):
    """An enum's symbols, each with its index as written."""

    def __init__(self, name: str, symbols: list[str]) -> None:
        super().__init__((symbol, long_bytes(index)) for index, symbol in enumerate(symbols))
        self.enum = name

    def __missing__(self, symbol: object) -> bytes:
        raise ValueError(f"{symbol!r} is not a symbol of {self.enum}")


def _null(value: None) -> None:
    if value is not None:
        raise TypeError(f"{value!r} is not null")


def _fixed(size: int) -> Callable[[bytes], bytes]:
    def fixed(value: bytes) -> bytes:
        if len(value) != size:
            raise ValueError(f"{len(value)} bytes for a fixed of {size}")
        return value

    return fixed


# The lines writing a value of a type that is neither named nor a container: ``{0}`` is
# the value.
_PRIMITIVES = {
    "null": "_null({0})",
    "boolean": "out += _bools[{0}]",
    "int": "out += _int({0})",
    "long": "out += _long({0})",
    "float": "out += _float({0})",
    "double": "out += _double({0})",
}


def _length(count: str) -> str:
    """An expression for the bytes of ``count``, a length or a count (one byte below 64)."""
    return f"_small[{count}] if {count} < 64 else _long({count})"


class _Code(GeneratedCode):
    """The generated source of one schema's writer."""

    def __init__(self, named: Named) -> None:
        super().__init__(
            named,
            {
                "_long": long_bytes,
                "_int": int_bytes,
                "_micros": micros,
                "_uuid_text": UUID.__str__,
                "_null": _null,
                "_small": _SMALL,
                "_bools": _Booleans(),
                "_float": struct.Struct("<f").pack,
                "_double": struct.Struct("<d").pack,
            },
        )

    def record(self, record: dict[str, Any]) -> str:
        """The name of the function writing ``record``: ``(out, fields) -> None``, the
        fields being a model's ``__dict__``."""
        full_name = record["name"]
        if full_name in self.records:
            return self.records[full_name]
        function = self.records[full_name] = f"_write_{len(self.records)}"
        lines = [f"def {function}(out, fields):"]
        for field in record["fields"]:
            lines += self.value(field["type"], f"fields[{field['name']!r}]", "    ")
        self.functions.append("\n".join(lines))
        return function

    def value(self, avro_type: Any, value: str, indent: str) -> list[str]:  # noqa: PLR0911
        """Lines writing ``value`` (an expression read once) of ``avro_type`` to ``out``."""
        avro_type = resolve(avro_type, self.named)
        if isinstance(avro_type, list):
            return self._union(avro_type, value, indent)
        kind = avro_type["type"] if isinstance(avro_type, dict) else avro_type
        if isinstance(avro_type, dict) and "logicalType" in avro_type:
            return self._logical(avro_type, value, indent)
        if kind in ("record", "error"):
            return [f"{indent}{self.record(avro_type)}(out, {value}.__dict__)"]
        if kind in _PRIMITIVES:
            return [f"{indent}{_PRIMITIVES[kind].format(value)}"]
        if kind == "string":
            return self._sized(f"{value}.encode()", indent)
        if kind == "bytes":
            return self._sized(value, indent)
        if kind == "fixed":
            return [f"{indent}out += {self.name(_fixed(avro_type['size']), 'fixed')}({value})"]
        if kind == "enum":
            indexes = _Indexes(avro_type["name"], avro_type["symbols"])
            return [f"{indent}out += {self.name(indexes, 'indexes')}[{value}]"]
        if kind in ("array", "map"):
            return self._blocks(avro_type, value, indent)
        raise NotImplementedError(f"Avro type {kind!r}")

    def _logical(self, avro_type: dict[str, Any], value: str, indent: str) -> list[str]:
        kind = logical(avro_type)
        if kind == "decimal":
            write = decimal_writer(avro_type.get("scale", 0), avro_type["precision"])
            return self._sized(f"{self.name(write, 'decimal')}({value})", indent)
        if kind == "timestamp-micros":
            return [f"{indent}out += _long(_micros({value}))"]
        # A uuid, as its canonical text: UUID.__str__ refuses anything but a UUID, which
        # str() would write as whatever text it makes.
        return self._sized(f"_uuid_text({value}).encode()", indent)

    def _sized(self, expression: str, indent: str) -> list[str]:
        """Lines writing the bytes ``expression`` gives, after their length."""
        written = self.variable("written")
        return [
            f"{indent}{written} = {expression}",
            f"{indent}out += {_length(f'len({written})')}",
            f"{indent}out += {written}",
        ]

    def _union(self, branches: list[Any], value: str, indent: str) -> list[str]:
        others = [branch for branch in branches if resolve(branch, self.named) != "null"]
        if len(others) > 1:
            raise NotImplementedError("a union of several types besides null")
        if not others:
            return self.value("null", value, indent)
        held = self.variable("held")
        null_index = _SMALL[branches.index("null")] if "null" in branches else None
        other_index = _SMALL[branches.index(others[0])]
        lines = [f"{indent}{held} = {value}"]
        if null_index is not None:
            lines += [
                f"{indent}if {held} is None:",
                f"{indent}    out += {null_index!r}",
                f"{indent}else:",
            ]
            indent += "    "
        lines.append(f"{indent}out += {other_index!r}")
        return lines + self.value(others[0], held, indent)

    def _blocks(self, avro_type: dict[str, Any], value: str, indent: str) -> list[str]:
        """An array or a map: one block of all its items (if any), then the empty block."""
        items = self.variable("items")
        item = self.variable("item")
        inner = indent + "        "
        lines = [
            f"{indent}{items} = {value}",
            f"{indent}if {items}:",
            f"{indent}    out += {_length(f'len({items})')}",
        ]
        if avro_type["type"] == "map":
            key = self.variable("key")
            lines.append(f"{indent}    for {key}, {item} in {items}.items():")
            lines += self._sized(f"{key}.encode()", inner)
            lines += self.value(avro_type["values"], item, inner)
        else:
            lines.append(f"{indent}    for {item} in {items}:")
            lines += self.value(avro_type["items"], item, inner)
        lines.append(f"{indent}out += b'\\x00'")
        return lines
