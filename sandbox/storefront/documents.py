"""Just enough of GraphQL's syntax to serve the operations the appliers send.

No schema and no selection sets: a document is read for its operation type, its root fields
(aliased or not: several mutations go in one request under aliases) and their arguments
(variables, or int, string and boolean literals). Resolvers answer whole objects in
Shopify's shapes, whatever the selection asks for; a client that reads the fields it
selected cannot tell.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]*")
_ARGUMENT = re.compile(r'(\w+)\s*:\s*(\$\w+|"(?:[^"\\]|\\.)*"|-?\d+|true|false|null)')
_ALIASED = re.compile(r"\s*:\s*([_A-Za-z][_0-9A-Za-z]*)")
_FIRST = re.compile(r"\bfirst\s*:\s*(\$\w+|\d+)")


class DocumentError(ValueError):
    """The document is not one this sandbox can read."""


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    arguments: dict[str, Any]
    alias: str | None = None  # ``p0: productUpdate(…)`` answers under ``p0``

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
            arguments: dict[str, Any] = {}
            rest = text[position:].lstrip()
            if rest.startswith("("):
                opened = text.index("(", position)
                closed = text.index(")", opened)
                arguments = {
                    key: _value(raw, variables)
                    for key, raw in _ARGUMENT.findall(text[opened + 1 : closed])
                }
                position = closed + 1
            fields.append(Field(name, arguments, alias))
            continue
        position += 1
    return fields


def _value(raw: str, variables: Mapping[str, Any]) -> Any:
    if raw.startswith("$"):
        return variables.get(raw[1:])
    return json.loads(raw)
