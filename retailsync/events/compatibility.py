"""Can a reader schema read what a writer schema wrote? Avro schema resolution, checked
statically over two fastavro-parsed schemas, naming the field at fault.

fastavro resolves lazily, record by record, so a schema pair it accepts for one record can
fail on the next; this walks the whole schema instead. It follows the Avro specification's
resolution rules and is stricter in one place: a changed logical type (a decimal's scale, a
timestamp's unit) is reported, because the bytes would still resolve while their meaning
changed.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from retailsync.events.findings import Finding

_PROMOTIONS = frozenset(
    {
        ("int", "long"),
        ("int", "float"),
        ("int", "double"),
        ("long", "float"),
        ("long", "double"),
        ("float", "double"),
        ("string", "bytes"),
        ("bytes", "string"),
    }
)
_NAMED = frozenset({"record", "error", "enum", "fixed"})


def incompatibilities(writer: Any, reader: Any) -> list[Finding]:
    """Every reason ``reader`` cannot read data written with ``writer``; empty when it can."""
    resolution = _Resolution(writer.get("__named_schemas", {}), reader.get("__named_schemas", {}))
    return list(resolution.check(writer, reader, ""))


class _Resolution:
    def __init__(self, writer_names: Mapping[str, Any], reader_names: Mapping[str, Any]) -> None:
        self._writer_names = writer_names
        self._reader_names = reader_names
        self._visited: set[tuple[str, str]] = set()

    def check(self, writer: Any, reader: Any, path: str) -> Iterator[Finding]:
        writer = _deref(writer, self._writer_names)
        if isinstance(writer, list):
            # Any branch may have been written, so the reader must read each.
            for branch in writer:
                yield from self.check(branch, reader, path)
            return
        reader = _deref(reader, self._reader_names)
        if isinstance(reader, list):
            match = next(
                (b for b in reader if _matches(writer, _deref(b, self._reader_names))), None
            )
            if match is None:
                yield Finding(
                    path,
                    f"{_describe(writer)} is written, which no branch of the reader's "
                    f"union {_describe(reader)} reads",
                )
                return
            reader = _deref(match, self._reader_names)
        yield from self._same_kind(writer, reader, path)

    def _same_kind(self, writer: Any, reader: Any, path: str) -> Iterator[Finding]:
        kind = _kind(writer)
        if kind != _kind(reader):
            if not _promotes(writer, reader):
                yield Finding(path, f"type changed from {_describe(writer)} to {_describe(reader)}")
            return
        if kind in _NAMED and not _same_name(writer, reader):
            yield Finding(
                path, f"type renamed from {writer['name']} to {reader['name']} without an alias"
            )
            return
        if kind in ("record", "error"):
            # Once per pair: a recursive type would never end, and a type used twice is
            # reported at its first use.
            key = (writer["name"], reader["name"])
            if key not in self._visited:
                self._visited.add(key)
                yield from self._record(writer, reader, path)
        elif kind == "enum":
            yield from _enum(writer, reader, path)
        elif kind == "fixed" and writer["size"] != reader["size"]:
            yield Finding(path, f"fixed size changed from {writer['size']} to {reader['size']}")
        elif kind == "array":
            yield from self.check(writer["items"], reader["items"], f"{path}[]")
        elif kind == "map":
            yield from self.check(writer["values"], reader["values"], f"{path}{{}}")
        else:
            yield from _logical(writer, reader, path)

    def _record(self, writer: Any, reader: Any, path: str) -> Iterator[Finding]:
        written = {field["name"]: field for field in writer["fields"]}
        for field in reader["fields"]:
            field_path = f"{path}.{field['name']}" if path else field["name"]
            names = (field["name"], *field.get("aliases", ()))
            source = next((written[name] for name in names if name in written), None)
            if source is not None:
                yield from self.check(source["type"], field["type"], field_path)
            elif "default" not in field:
                yield Finding(
                    field_path,
                    "the reader needs this field, the writer lacks it, and it has no default",
                )


def _enum(writer: Any, reader: Any, path: str) -> Iterator[Finding]:
    missing = [symbol for symbol in writer["symbols"] if symbol not in reader["symbols"]]
    if missing and "default" not in reader:
        yield Finding(
            path,
            f"symbols {', '.join(missing)} are written, but the reader's enum {reader['name']} "
            "lacks them and has no default symbol",
        )


def _logical(writer: Any, reader: Any, path: str) -> Iterator[Finding]:
    written, read = _logical_type(writer), _logical_type(reader)
    if written != read and (written is None or read is None or written[0] != read[0]):
        yield Finding(path, f"type changed from {_describe(writer)} to {_describe(reader)}")
    elif written != read and written is not None and read is not None:
        (_, w_precision, w_scale), (_, r_precision, r_scale) = written, read
        if w_scale != r_scale:
            yield Finding(path, f"decimal scale changed from {w_scale} to {r_scale}")
        elif r_precision < w_precision:
            yield Finding(path, f"decimal precision narrowed from {w_precision} to {r_precision}")


def _deref(schema: Any, names: Mapping[str, Any]) -> Any:
    return names.get(schema, schema) if isinstance(schema, str) else schema


def _kind(schema: Any) -> str:
    if isinstance(schema, dict):
        return str(schema["type"])
    return "union" if isinstance(schema, list) else str(schema)


def _logical_type(schema: Any) -> tuple[str, int, int] | None:
    if not isinstance(schema, dict) or "logicalType" not in schema:
        return None
    return (str(schema["logicalType"]), schema.get("precision", 0), schema.get("scale", 0))


def _same_name(writer: Any, reader: Any) -> bool:
    w_name, r_name = writer["name"], reader["name"]
    short = w_name.rpartition(".")[2]
    aliases = reader.get("aliases", ())
    return w_name == r_name or w_name in aliases or short in aliases


def _promotes(writer: Any, reader: Any) -> bool:
    """A primitive the reader widens, e.g. int to long; never one with a logical type,
    whose bytes would be read without their meaning (a decimal's bytes as a string)."""
    plain = _logical_type(writer) is None and _logical_type(reader) is None
    return plain and (_kind(writer), _kind(reader)) in _PROMOTIONS


def _matches(writer: Any, reader: Any) -> bool:
    """Whether a reader's union branch is the one resolution picks for the writer's type."""
    if _kind(writer) != _kind(reader):
        return _promotes(writer, reader)
    return _kind(writer) not in _NAMED or _same_name(writer, reader)


def _describe(schema: Any) -> str:
    if isinstance(schema, list):
        return "[" + ", ".join(_describe(branch) for branch in schema) + "]"
    if not isinstance(schema, dict):
        return str(schema).rpartition(".")[2]
    if schema["type"] in _NAMED:
        return f"{schema['type']} {schema['name'].rpartition('.')[2]}"
    logical = _logical_type(schema)
    if logical is None:
        return str(schema["type"])
    name, precision, scale = logical
    detail = f"({precision},{scale})" if name == "decimal" else ""
    return f"{schema['type']} {name}{detail}"
