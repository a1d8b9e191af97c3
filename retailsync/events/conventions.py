"""House rules for event schemas, beyond what Avro itself requires.

They keep the events usable as a long-lived public interface: every field documented with
its owner, money never in floats, enums and optional fields ready to evolve.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from retailsync.events.catalogue import SchemaVersion
from retailsync.events.findings import Finding

NAMESPACE = "io.retailsync.events"
ENVELOPE = f"{NAMESPACE}.Envelope"
_ALLOWED_LOGICAL = {"decimal": "bytes", "uuid": "string", "timestamp-micros": "long", "date": "int"}


def violations(schema: SchemaVersion, *, event: bool = True) -> list[Finding]:
    """Every house rule ``schema`` breaks; ``event=False`` for a shared type."""
    definition = schema.definition
    found = list(_event_rules(schema.name, definition)) if event else []
    for path, node, is_field in _walk(definition, ""):
        found.extend(_field_rules(path, node) if is_field else _type_rules(path, node))
    return found


def _event_rules(event_type: str, definition: dict[str, Any]) -> Iterator[Finding]:
    expected = "".join(part.capitalize() for part in event_type.split("_"))
    if definition.get("name") != expected or definition.get("namespace") != NAMESPACE:
        yield Finding("", f"name the record {expected} in namespace {NAMESPACE}")
    fields = definition.get("fields", [])
    envelope = fields[0] if fields else {}
    envelope_type = envelope.get("type")
    envelope_name = envelope_type.get("name") if isinstance(envelope_type, dict) else envelope_type
    if envelope.get("name") != "envelope" or envelope_name not in (ENVELOPE, "Envelope"):
        yield Finding("", f"the first field is envelope, of type {ENVELOPE}")
    for field in fields:
        if "Owner:" not in field.get("doc", ""):
            yield Finding(field["name"], "say in doc which system owns the field (Owner: …)")


def _type_rules(path: str, node: dict[str, Any]) -> Iterator[Finding]:
    kind = node["type"]
    if kind in ("record", "error", "enum") and not node.get("doc"):
        yield Finding(path, f"give the {kind} {node['name']} a doc")
    if kind == "enum" and node.get("default") not in node.get("symbols", ()):
        yield Finding(path, "give the enum a default symbol, so that symbols can be added later")
    if kind in ("float", "double"):
        yield Finding(path, f"{kind} is not exact: use a decimal for money and quantities")
    logical = node.get("logicalType")
    if logical is not None and _ALLOWED_LOGICAL.get(logical) != kind:
        allowed = ", ".join(f"{t} {name}" for name, t in _ALLOWED_LOGICAL.items())
        yield Finding(path, f"{kind} {logical} is not one of: {allowed}")


def _field_rules(path: str, field: dict[str, Any]) -> Iterator[Finding]:
    if not field.get("doc"):
        yield Finding(path, "document the field: what it means and which system owns it")
    branches = field["type"]
    if not isinstance(branches, list):
        return
    if "null" in branches and (branches[0] != "null" or field.get("default", ...) is not None):
        yield Finding(path, 'an optional field is ["null", …] with "default": null')
    for branch in branches:
        if isinstance(branch, dict) and branch.get("type") in ("array", "map"):
            yield Finding(
                path, f"no {branch['type']} in a union: use an empty default instead of null"
            )


def _walk(schema: Any, path: str) -> Iterator[tuple[str, dict[str, Any], bool]]:
    """Every type in ``schema`` (primitives as {"type": name}) and every field (flagged True),
    each with its path."""
    if isinstance(schema, list):
        for branch in schema:
            yield from _walk(branch, path)
        return
    if isinstance(schema, str):
        yield path, {"type": schema}, False
        return
    yield path, schema, False
    for field in schema.get("fields", ()):
        field_path = f"{path}.{field['name']}" if path else field["name"]
        yield field_path, field, True
        yield from _walk(field["type"], field_path)
    if "items" in schema:
        yield from _walk(schema["items"], f"{path}[]")
    if "values" in schema:
        yield from _walk(schema["values"], f"{path}{{}}")
