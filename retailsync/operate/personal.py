"""Personal data kept out of operator output: the schemas' field docs say which fields hold it.

A field whose doc starts with or contains ``Personal data`` is masked whole (a personal
address record included); other records, arrays and maps are searched for such fields.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from retailsync.events.catalogue import Catalogue

MASK = "***"
_MARK = "personal data"

# Per record field: True masks the value, a nested _Mask searches inside it.
_Mask = dict[str, "bool | _Mask"]


class PersonalData:
    """Masks decoded events by the catalogue's field docs."""

    def __init__(self, catalogue: Catalogue) -> None:
        self._masks: dict[str, _Mask] = {}
        for version in catalogue:
            mask = self._masks.setdefault(version.name, {})
            _merge(mask, _record_mask(version.definition, {}))

    def mask(self, event_type: str | None, datum: Mapping[str, Any]) -> dict[str, Any]:
        """A copy of ``datum`` with the personal fields replaced by ``***``."""
        mask = self._masks.get(event_type or "")
        if mask is None:
            # A record of a type the catalogue does not know: nothing says it is harmless.
            return {name: MASK for name in datum}
        return _apply(mask, datum)


def _apply(mask: _Mask, datum: Mapping[str, Any]) -> dict[str, Any]:
    masked = dict(datum)
    for name, rule in mask.items():
        value = masked.get(name)
        if value is None:
            continue
        if rule is True:
            masked[name] = MASK
        elif isinstance(rule, dict):
            masked[name] = _apply_any(rule, value)
    return masked


def _apply_any(mask: _Mask, value: Any) -> Any:
    if isinstance(value, Mapping):
        return _apply(mask, value)
    if isinstance(value, list):
        return [_apply_any(mask, item) for item in value]
    return value


def _record_mask(node: Mapping[str, Any], named: dict[str, Mapping[str, Any]]) -> _Mask:
    named[str(node.get("name"))] = node
    mask: _Mask = {}
    for field in node.get("fields", ()):
        if _MARK in str(field.get("doc", "")).lower():
            mask[field["name"]] = True
            continue
        inner = _type_mask(field["type"], named)
        if inner:
            mask[field["name"]] = inner
    return mask


def _type_mask(node: Any, named: dict[str, Mapping[str, Any]]) -> _Mask:
    mask: _Mask = {}
    if isinstance(node, list):  # a union
        for branch in node:
            _merge(mask, _type_mask(branch, named))
    elif isinstance(node, str):  # a named type defined earlier in the schema
        known = named.get(node) or named.get(node.rsplit(".", 1)[-1])
        if known is not None:
            mask = _record_mask(known, named)
    elif isinstance(node, Mapping) and node.get("type") == "record":
        mask = _record_mask(node, named)
    elif isinstance(node, Mapping) and node.get("type") in ("array", "map"):
        mask = _type_mask(node.get("items", node.get("values")), named)
    return mask


def _merge(into: _Mask, other: _Mask) -> None:
    for name, rule in other.items():
        current = into.get(name)
        if current is True or rule is True:
            into[name] = True
        elif isinstance(current, dict) and isinstance(rule, dict):
            _merge(current, rule)
        else:
            into[name] = rule
