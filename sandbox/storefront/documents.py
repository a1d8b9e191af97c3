"""Just enough of GraphQL's syntax to serve the operations the appliers send.

No schema and no selection sets: a document is read for its operation type, its root fields
(aliased or not: several mutations go in one request under aliases) and their arguments
(variables, or int, string, boolean and enum literals). A root field without arguments of its own
takes its nested fields' arguments instead, by their names
(``shopifyPaymentsAccount { payouts(first: 5) {…} }`` → ``{"payouts": {"first": 5}}``).
Resolvers answer whole objects in Shopify's shapes, whatever the selection asks for; a
client that reads the fields it selected cannot tell.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]*")
_ARGUMENT = re.compile(r'(\w+)\s*:\s*(\$\w+|"(?:[^"\\]|\\.)*"|-?\d+|true|false|null|[A-Z][A-Z_]*)')
_ALIASED = re.compile(r"\s*:\s*([_A-Za-z][_0-9A-Za-z]*)")
_FIRST = re.compile(r"\bfirst\s*:\s*(\$\w+|\d+)")


class DocumentError(ValueError):
    """The document is not one this sandbox can read."""


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    arguments: dict[str, Any]
    alias: str | None = None  # ``p0: productUpdate(…)`` answers under ``p0``
    # The arguments of the fields nested in it, by name (the first of each name).
    nested: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def resolver_arguments(self) -> dict[str, Any]:
        """What its resolver reads: its own arguments, else its nested fields'."""
        return self.arguments or dict(self.nested)

    @property
    def key(self) -> str:
        """Where the field's result goes in ``data``."""
        return self.alias or self.name


@dataclass(frozen=True, slots=True)
class Operation:
    kind: str  # "query" or "mutation"
    fields: tuple[Field, ...]
    # Objects the selection can return at most: 1 + every ``first`` in the document.
    requested_objects: int


def parse(document: str, variables: Mapping[str, Any]) -> Operation:
    text = re.sub(r"#[^\n]*", "", document).strip()
    kind = "mutation" if text.startswith("mutation") else "query"
    if text.startswith(("subscription", "fragment")):
        raise DocumentError("only queries and mutations are served")
    start = text.find("{")
    if start < 0:
        raise DocumentError("the document has no selection set")
    fields = tuple(_root_fields(text, start, variables))
    firsts = [_value(match.group(1), variables) for match in _FIRST.finditer(text)]
    requested = 1 + sum(int(first or 0) for first in firsts)
    return Operation(kind, fields, requested)


def _root_fields(text: str, start: int, variables: Mapping[str, Any]) -> list[Field]:
    fields: list[Field] = []
    depth = 0
    position = start
    while position < len(text):
        char = text[position]
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                break
        elif depth == 1 and (match := _NAME.match(text, position)):
            name, alias = match.group(0), None
            position = match.end()
            aliased = _ALIASED.match(text, position)
            if aliased:
                name, alias = aliased.group(1), name
                position = aliased.end()
            arguments, position = _arguments(text, position, variables)
            fields.append(Field(name, arguments, alias))
            continue
        elif depth > 1 and fields:
            match = _NAME.match(text, position)
            if match and text[match.end() :].lstrip().startswith("("):
                nested, position = _arguments(text, match.end(), variables)
                fields[-1].nested.setdefault(match.group(0), nested)
                continue
        position += 1
    return fields


def _arguments(
    text: str, position: int, variables: Mapping[str, Any]
) -> tuple[dict[str, Any], int]:
    """The arguments of the field whose name ends at ``position``, and where they end."""
    if not text[position:].lstrip().startswith("("):
        return {}, position
    opened = text.index("(", position)
    closed = text.index(")", opened)
    arguments = {
        key: _value(raw, variables) for key, raw in _ARGUMENT.findall(text[opened + 1 : closed])
    }
    return arguments, closed + 1


def _value(raw: str, variables: Mapping[str, Any]) -> Any:
    if raw.startswith("$"):
        return variables.get(raw[1:])
    if raw[0].isupper():  # an enum value: ISSUED_AT
        return raw
    return json.loads(raw)
