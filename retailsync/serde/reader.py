"""Avro bodies read by code generated for their schema, rather than by fastavro's reader.

fastavro's reader interprets the schema for every value it reads: it finds the type's name,
compares it with each kind in turn, looks for a logical type, and reads through a file
object, a Python call per value. For an order that was half of what a consumer spent on a
record. Here the schema is read once, when the serde is made,
and its reading written out as Python source, one function per record type (as
``retailsync.serde.builders`` writes the models' builders): each value costs the few
operations of its encoding.

The reader reads a plain schema (``SchemaVersion.plain``: its logical values as the values
underneath) written by that same schema, and gives what fastavro's ``schemaless_reader``
gives for it: a dict per record, a list per array, a dict per map, the symbol of an enum,
None for null. A body that is not a value of its schema fails: a ``ValueError`` naming what
is wrong for a length, an index or a count out of range or a varint longer than a long,
``IndexError`` (or ``struct.error``) for a body that ends too soon, ``UnicodeDecodeError``
for text not in UTF-8; the serde makes each a ``DeserializationError``. It is never laxer
than fastavro (tests/unit/test_reader.py holds it to fastavro on every schema of the
catalogue), and refuses a few bodies fastavro reads (an index below zero, which fastavro
counts from the end). Reading a record written with another version of its schema, which
needs schema resolution, is left to fastavro.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any

from retailsync.serde.plain import GeneratedCode, Named, resolve

# The record as a dict, and where the body after it starts.
Read = Callable[[bytes, int], tuple[dict[str, Any], int]]

_LONG_BITS = 64


class _CorruptBodyError(ValueError):
    """The body is not a value of the schema it was read with."""


def compile_reader(schema: Any) -> Read:
    """The reader of bodies of ``schema``, a parsed plain record schema."""
    code = _Code(schema["__named_schemas"])
    function = code.record(schema)
    read: Read = code.compile()[function]
    return read


def read_varint(data: bytes, pos: int, first: int) -> tuple[int, int]:
    """A varint of more than one byte (its ``first`` read already, ``pos`` past it), zigzag
    encoded as it is on the wire, and where the next value starts."""
    value = first & 0x7F
    shift = 7
    while True:
        if shift >= _LONG_BITS:
            raise _CorruptBodyError("a varint longer than a long")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:  # the continuation bit is clear: the last byte
            if value >> _LONG_BITS:
                raise _CorruptBodyError("a varint longer than a long")
            return value, pos
        shift += 7


def _corrupt(what: str) -> Any:
    raise _CorruptBodyError(what)


class _Code(GeneratedCode):
    """The generated source of one schema's reader."""

    def __init__(self, named: Named) -> None:
        super().__init__(
            named,
            {
                "_varint": read_varint,
                "_corrupt": _corrupt,
                "_float": struct.Struct("<f").unpack_from,
                "_double": struct.Struct("<d").unpack_from,
            },
        )

    def record(self, record: dict[str, Any]) -> str:
        """The name of the function reading ``record``: ``(data, pos) -> (dict, pos)``."""
        full_name = record["name"]
        if full_name in self.records:
            return self.records[full_name]
        function = self.records[full_name] = f"_read_{len(self.records)}"
        lines = [f"def {function}(data, pos):", "    size = len(data)"]
        targets = []
        for field in record["fields"]:
            target = self.variable("field")
            lines += self.value(field["type"], target, "    ")
            targets.append(f"{field['name']!r}: {target}")
        lines.append(f"    return {{{', '.join(targets)}}}, pos")
        self.functions.append("\n".join(lines))
        return function

    def value(self, avro_type: Any, target: str, indent: str) -> list[str]:  # noqa: PLR0911
        """Lines reading a value of ``avro_type`` at ``pos`` into ``target``."""
        avro_type = resolve(avro_type, self.named)
        if isinstance(avro_type, list):
            return self._union(avro_type, target, indent)
        kind = avro_type["type"] if isinstance(avro_type, dict) else avro_type
        if kind in ("record", "error"):
            return [f"{indent}{target}, pos = {self.record(avro_type)}(data, pos)"]
        if kind == "null":
            return [f"{indent}{target} = None"]
        if kind == "boolean":
            # Any byte but 0 is true, as fastavro (and many writers) read it.
            return [f"{indent}{target} = data[pos] != 0", f"{indent}pos += 1"]
        if kind in ("int", "long"):
            return self._long(target, indent)
        if kind in ("float", "double"):
            width = 4 if kind == "float" else 8
            return [f"{indent}{target}, = _{kind}(data, pos)", f"{indent}pos += {width}"]
        if kind in ("string", "bytes"):
            return self._sized(target, indent, decode=kind == "string")
        if kind == "fixed":
            return [
                f"{indent}end = pos + {avro_type['size']}",
                f"{indent}if end > size: _corrupt('a fixed past the end')",
                f"{indent}{target} = data[pos:end]",
                f"{indent}pos = end",
            ]
        if kind == "enum":
            # By the varint's value: a symbol at each even one, None (corrupt) at each odd.
            symbols = self.name(
                tuple(item for symbol in avro_type["symbols"] for item in (symbol, None)),
                "symbols",
            )
            return [
                *self._varint(target, indent),
                f"{indent}{target} = {symbols}[{target}] if {target} < "
                f"{2 * len(avro_type['symbols'])} else None",
                f"{indent}if {target} is None: _corrupt('an enum index out of range')",
            ]
        if kind in ("array", "map"):
            return self._blocks(avro_type, target, indent)
        raise NotImplementedError(f"Avro type {kind!r}")

    def _varint(self, target: str, indent: str) -> list[str]:
        """Lines reading a varint, still zigzag encoded: a long ``n`` is ``2n`` when it is
        not negative (lengths, indexes and counts), ``-2n - 1`` when it is."""
        # Most varints fit in their first byte.
        return [
            f"{indent}{target} = data[pos]",
            f"{indent}pos += 1",
            f"{indent}if {target} > 0x7F: {target}, pos = _varint(data, pos, {target})",
        ]

    def _long(self, target: str, indent: str) -> list[str]:
        return [
            *self._varint(target, indent),
            f"{indent}{target} = ({target} >> 1) ^ -({target} & 1)",
        ]

    def _sized(self, target: str, indent: str, *, decode: bool) -> list[str]:
        length = self.variable("length")
        value = "data[pos:end].decode()" if decode else "data[pos:end]"
        return [
            *self._varint(length, indent),
            f"{indent}if {length} & 1: _corrupt('a negative length')",
            f"{indent}end = pos + ({length} >> 1)",
            f"{indent}if end > size: _corrupt('a length past the end')",
            f"{indent}{target} = {value}",
            f"{indent}pos = end",
        ]

    def _takes_bytes(self, avro_type: Any) -> bool:
        """Whether every value of ``avro_type`` takes at least a byte."""
        avro_type = resolve(avro_type, self.named)
        if isinstance(avro_type, list):
            return True  # the branch's index
        kind: str = avro_type["type"] if isinstance(avro_type, dict) else avro_type
        if kind in ("record", "error"):
            return any(self._takes_bytes(field["type"]) for field in avro_type["fields"])
        if kind == "fixed":
            return bool(avro_type["size"])
        return kind != "null"

    def _union(self, branches: list[Any], target: str, indent: str) -> list[str]:
        index = self.variable("branch")
        lines = self._varint(index, indent)
        for number, branch in enumerate(branches):
            lines.append(f"{indent}{'if' if number == 0 else 'elif'} {index} == {2 * number}:")
            lines += self.value(branch, target, indent + "    ")
        lines += [f"{indent}else:", f"{indent}    _corrupt('a union index out of range')"]
        return lines

    def _blocks(self, avro_type: dict[str, Any], target: str, indent: str) -> list[str]:
        """An array or a map: blocks of items, each a count (negative: followed by the
        block's size in bytes) and its items, up to a block of none."""
        is_map = avro_type["type"] == "map"
        count = self.variable("count")
        item = self.variable("item")
        inner = indent + "        "
        lines = [
            f"{indent}{target} = {{}}" if is_map else f"{indent}{target} = []",
            f"{indent}while True:",
            *self._long(count, indent + "    "),
            f"{indent}    if {count} == 0: break",
            f"{indent}    if {count} < 0:",
            f"{indent}        {count} = -{count}",
            *self._long(self.variable("block_size"), inner),
        ]
        if is_map or self._takes_bytes(avro_type["items"]):
            # A corrupt count must not grow the list until memory runs out.
            lines.append(f"{indent}    if {count} > size - pos: _corrupt('more items than bytes')")
        lines.append(f"{indent}    for _ in range({count}):")
        if is_map:
            key = self.variable("key")
            lines += self._sized(key, inner, decode=True)
            lines += self.value(avro_type["values"], item, inner)
            lines.append(f"{inner}{target}[{key}] = {item}")
        else:
            lines += self.value(avro_type["items"], item, inner)
            lines.append(f"{inner}{target}.append({item})")
        return lines
