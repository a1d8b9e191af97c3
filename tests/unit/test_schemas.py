"""The schema catalogue: what schemas/ holds, the house rules, and how bad files are refused."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import fastavro
import pytest

from retailsync.errors import ConfigError
from retailsync.events import Catalogue, load_catalogue
from retailsync.events.conventions import violations

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
EVENT_TYPES = {
    "order_created", "order_edited", "order_cancelled", "order_risk_assessed",
    "order_allocated", "order_invoiced", "payment_authorized", "payment_captured",
    "refund_issued", "inventory_adjusted", "shipment_dispatched", "return_received",
    "product_upserted", "price_changed", "customer_upserted", "payout_paid",
}  # fmt: skip
# Records already written carry these fingerprints; single-object decoding finds their
# schema by them. A released version must never change what it writes: add a version.
RELEASED = {
    "customer_upserted v1": "584a08e032da4ca2",
    "inventory_adjusted v1": "589b94b566f01d53",
    "order_allocated v1": "bec3da8b9b16e92f",
    "order_cancelled v1": "4face90089cc06cd",
    "order_created v1": "6b9df6a618cf6331",
    "order_created v2": "33ff8b3077c24c20",
    "order_created v3": "0e8c5f828f73d498",
    "order_edited v1": "2e05a06b2acfb6f1",
    "order_edited v2": "e1ea348f686d21cd",
    "order_invoiced v1": "683a518ab782c9ef",
    "order_risk_assessed v1": "4d8d5df6d78dae1c",
    "payment_authorized v1": "f1eb0904be2cc421",
    "payment_captured v1": "48210f093f793d40",
    "payout_paid v1": "6822d3947830fa95",
    "price_changed v1": "29b43e8f86c6d835",
    "product_upserted v1": "230d78b30e8c674a",
    "refund_issued v1": "26652e4053e782fb",
    "return_received v1": "e8e986f45729b83c",
    "return_received v2": "9fdd86fb130470de",
    "shipment_dispatched v1": "611549dfb22d36cd",
    "shipment_dispatched v2": "51fa239feb0a3730",
}


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue(ROOT / "schemas")


@pytest.fixture
def schemas(tmp_path: Path) -> Path:
    """A copy of schemas/ to break."""
    return Path(shutil.copytree(ROOT / "schemas", tmp_path / "schemas"))


def _edit(schemas: Path, name: str, change: Callable[[dict[str, Any]], object]) -> None:
    path = schemas / f"{name}.avsc"
    document = json.loads(path.read_text(encoding="utf-8"))
    change(document)
    path.write_text(json.dumps(document), encoding="utf-8")


def _field(document: dict[str, Any], name: str) -> dict[str, Any]:
    return next(field for field in document["fields"] if field["name"] == name)


def test_the_catalogue_holds_every_event_and_the_shared_types(catalogue: Catalogue) -> None:
    assert set(catalogue.event_types) == EVENT_TYPES
    assert set(catalogue.shared) == {"envelope", "address"}
    assert {v.full_name for v in catalogue} == {
        f"io.retailsync.events.{''.join(p.capitalize() for p in t.split('_'))}" for t in EVENT_TYPES
    }


def test_released_versions_keep_their_fingerprints(catalogue: Catalogue) -> None:
    assert {v.label: v.fingerprint.hex() for v in catalogue} == RELEASED


def test_each_version_is_self_contained_with_shared_types_defined_once(
    catalogue: Catalogue,
) -> None:
    text = catalogue.latest("order_created").to_json()

    assert text.count('"name":"Envelope"') == 1
    assert text.count('"name":"Address"') == 1
    assert '"shared"' not in text
    parsed: dict[str, Any] = fastavro.parse_schema(json.loads(text))  # type: ignore[assignment]
    assert parsed["name"] == "io.retailsync.events.OrderCreated"


def test_a_shared_type_used_twice_is_defined_once_then_named(schemas: Path) -> None:
    def bill_too(document: dict[str, Any]) -> None:
        billing = {**_field(document, "shipping_address"), "name": "billing_address"}
        document["fields"].append(billing)

    _edit(schemas, "order_created.v3", bill_too)
    fields = load_catalogue(schemas).latest("order_created").definition["fields"]

    assert _field({"fields": fields}, "shipping_address")["type"][1]["name"] == "Address"
    assert (
        _field({"fields": fields}, "billing_address")["type"][1] == "io.retailsync.events.Address"
    )


def test_every_schema_keeps_the_house_rules(catalogue: Catalogue) -> None:
    for version in catalogue:
        assert violations(version) == [], version.label
    for versions in catalogue.shared.values():
        for version in versions:
            assert violations(version, event=False) == [], version.label


def _walk_docs(schema: Any, path: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(schema, list):
        for branch in schema:
            yield from _walk_docs(branch, path)
    elif isinstance(schema, dict):
        for field in schema.get("fields", ()):
            yield f"{path}{field['name']}", field.get("doc", "")
            yield from _walk_docs(field["type"], f"{path}{field['name']}.")
        for key in ("items", "values", "type"):
            if isinstance(schema.get(key), dict | list):
                yield from _walk_docs(schema[key], path)


def test_personal_data_travels_only_where_a_consumer_needs_it(catalogue: Catalogue) -> None:
    personal = {
        (version.name, path)
        for version in catalogue
        for path, doc in _walk_docs(version.definition)
        if doc.startswith("Personal data")
    }

    assert {name for name, _ in personal} == {"order_created", "customer_upserted"}
    assert ("order_created", "shipping_address") in personal
    assert ("customer_upserted", "email") in personal
    assert ("order_created", "shipping_address.phone") in personal


RULE_BREAKS: dict[str, tuple[Callable[[dict[str, Any]], object], str, str]] = {
    "float money": (
        lambda d: _field(d, "on_hand").update(type="double"),
        "on_hand",
        "double is not exact",
    ),
    "undocumented field": (lambda d: _field(d, "sku").pop("doc"), "sku", "document the field"),
    "no owner": (
        lambda d: _field(d, "sku").update(doc="The sku."),
        "sku",
        "which system owns the field",
    ),
    "enum without default": (
        lambda d: _field(d, "reason")["type"].pop("default"),
        "reason",
        "default symbol",
    ),
    "optional without default": (
        lambda d: d["fields"].append(
            {"name": "note", "type": ["null", "string"], "doc": "A note. Owner: Odoo."}
        ),
        "note",
        '"default": null',
    ),
    "nullable array": (
        lambda d: d["fields"].append(
            {
                "name": "lots",
                "type": ["null", {"type": "array", "items": "string"}],
                "default": None,
                "doc": "Lots. Owner: Odoo.",
            }
        ),
        "lots",
        "no array in a union",
    ),
    "millisecond time": (
        lambda d: d["fields"].append(
            {
                "name": "counted_at",
                "type": {"type": "long", "logicalType": "timestamp-millis"},
                "doc": "When. Owner: Odoo.",
            }
        ),
        "counted_at",
        "timestamp-millis is not one of",
    ),
    "envelope not first": (lambda d: d["fields"].reverse(), "", "the first field is envelope"),
}


@pytest.mark.parametrize("rule", sorted(RULE_BREAKS))
def test_a_broken_house_rule_is_found_at_its_field(schemas: Path, rule: str) -> None:
    change, path, reason = RULE_BREAKS[rule]
    _edit(schemas, "inventory_adjusted.v1", change)
    found = violations(load_catalogue(schemas).latest("inventory_adjusted"))

    assert any(f.path == path and reason in f.reason for f in found), found


def _write(schemas: Path, name: str, text: str) -> None:
    (schemas / name).write_text(text, encoding="utf-8")


def _copy_as(schemas: Path, source: str, target: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((schemas / source).read_text(encoding="utf-8"))
    _write(schemas, target, json.dumps(document))
    return document


BAD_FILES: dict[str, tuple[Callable[[Path], object], str]] = {
    "file name": (lambda s: _write(s, "OrderCreated.avsc", "{}"), "name schema files"),
    "version gap": (
        lambda s: _copy_as(s, "order_created.v1.avsc", "order_created.v5.avsc"),
        "without gaps (found [1, 2, 3, 5])",
    ),
    "not json": (lambda s: _write(s, "order_created.v2.avsc", '{"type":\n'), "line 2: not JSON"),
    "not a record": (lambda s: _write(s, "order_created.v2.avsc", '"string"'), "one record schema"),
    "unknown shared file": (
        lambda s: _edit(s, "order_created.v1", lambda d: d.update(shared=["envelope.v7"])),
        "no schemas/shared/envelope.v7.avsc",
    ),
    "unused shared file": (
        lambda s: _edit(
            s, "order_cancelled.v1", lambda d: d.update(shared=["envelope.v1", "address.v1"])
        ),
        "lists io.retailsync.events.Address but never uses it",
    ),
    "invalid avro": (
        lambda s: _edit(
            s, "order_cancelled.v1", lambda d: _field(d, "restock").update(type="bool")
        ),
        "not a valid Avro schema",
    ),
    "renamed record": (
        lambda s: _write(
            s,
            "order_cancelled.v2.avsc",
            json.dumps(
                {
                    **_copy_as(s, "order_cancelled.v1.avsc", "order_cancelled.v2.avsc"),
                    "name": "Gone",
                }
            ),
        ),
        "keeps its full name across versions",
    ),
    "same written form": (
        lambda s: _write(
            s,
            "order_cancelled.v2.avsc",
            json.dumps(
                {**_copy_as(s, "order_cancelled.v1.avsc", "order_cancelled.v2.avsc"), "doc": "New."}
            ),
        ),
        "writes the same bytes as order_cancelled.v1.avsc",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_a_bad_schema_file_is_refused_naming_the_file(schemas: Path, case: str) -> None:
    spoil, reason = BAD_FILES[case]
    spoil(schemas)

    with pytest.raises(ConfigError, match="schemas") as caught:
        load_catalogue(schemas)
    assert reason in str(caught.value)
