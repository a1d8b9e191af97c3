"""What the generated readers, builders and writers share about schemas: Avro's logical
types are converted by them rather than by fastavro, which is slow at them.

fastavro converts a logical value through a per-field lookup and a general routine: about
4 µs to write a decimal and 0.7 µs to read one, so an order (seventeen decimals) spent most
of its encoding time there. The generated code (``retailsync.serde.reader`` reads the
values underneath, ``retailsync.serde.builders`` converts them into models,
``retailsync.serde.writer`` writes models) converts them as fastavro does, for the three
logical types our schemas use: ``decimal`` on bytes, ``timestamp-micros`` and ``uuid``.
For a schema with any other logical type it raises NotImplementedError, and its caller
takes fastavro's own path.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

Named = Mapping[str, Any]  # a parsed schema's ``__named_schemas``

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
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


class GeneratedCode:
    """Python source generated from a schema, and the objects it names."""

    def __init__(self, named: Named, names: Mapping[str, Any]) -> None:
        self.named = named
        self.functions: list[str] = []
        self.names = dict(names)
        # The function for each record type, by its full name: written once, called from
        # wherever the type is used.
        self.records: dict[str, str] = {}
        self._variables = 0

    def name(self, value: Any, hint: str) -> str:
        """A name in the generated code for ``value``."""
        name = f"_{hint}{len(self.names)}"
        self.names[name] = value
        return name

    def variable(self, hint: str) -> str:
        """A local variable's name, used nowhere else in the source."""
        self._variables += 1
        return f"{hint}{self._variables}"

    def compile(self) -> dict[str, Any]:
        """The generated functions, by name, with the objects they name."""
        namespace = dict(self.names)
        exec("\n\n".join(self.functions), namespace)  # noqa: S102 (our own generated source)
        return namespace
