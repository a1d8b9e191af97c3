"""Schema evolution: the static resolution check, a v1 record read as v2 on both wire
formats, and ``retailsync schemas check`` / ``register``."""

from __future__ import annotations

import copy
import io
import json
import shutil
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import fastavro
import pytest
from typer.testing import CliRunner

from commands import app, main
from retailsync.errors import ConfigError
from retailsync.events import Catalogue, InventoryAdjusted, check_catalogue, load_catalogue
from retailsync.events.compatibility import incompatibilities
from retailsync.events.examples import example_events
from retailsync.serde import (
    EventSerde,
    RegistrySerde,
    SingleObjectSerde,
    register_catalogue,
    registry_client,
)
from retailsync.topology import Topology, load_topology
from tests.registry import FakeRegistry

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
ORIGIN: dict[str, Any] = {"topic": "retail.inventory", "partition": 0, "offset": 7, "key": None}
INVENTORY = next(e for e in example_events() if isinstance(e, InventoryAdjusted))
QUANTITY = {"type": "bytes", "logicalType": "decimal", "precision": 18, "scale": 6}
INCOMING = {
    "name": "incoming",
    "type": ["null", QUANTITY],
    "default": None,
    "doc": "Quantity expected to arrive, in unit_of_measure. Owner: Odoo.",
}


# --- the resolution check -----------------------------------------------------------------


def _record(*fields: dict[str, Any], name: str = "Stock") -> Any:
    return fastavro.parse_schema({"type": "record", "name": name, "fields": list(fields)})


SKU = {"name": "sku", "type": "string"}
QTY = {"name": "qty", "type": "int"}


def _problems(writer: Any, reader: Any) -> list[str]:
    return [str(finding) for finding in incompatibilities(writer, reader)]


def test_adding_a_field_with_a_default_reads_both_ways() -> None:
    old, new = _record(SKU), _record(SKU, {**QTY, "default": 0})

    assert _problems(old, new) == []
    assert _problems(new, old) == []


def test_adding_a_required_field_breaks_backward_and_names_it() -> None:
    old, new = _record(SKU), _record(SKU, QTY)

    assert _problems(old, new) == [
        "qty: the reader needs this field, the writer lacks it, and it has no default"
    ]
    assert _problems(new, old) == []


def test_removing_a_field_without_default_breaks_forward_and_names_it() -> None:
    old, new = _record(SKU, QTY), _record(SKU)

    assert _problems(old, new) == []
    assert _problems(new, old) == [
        "qty: the reader needs this field, the writer lacks it, and it has no default"
    ]


def test_changing_a_type_breaks_both_ways_and_names_the_nested_field() -> None:
    line = {"type": "record", "name": "Line", "fields": [QTY]}
    lines: dict[str, Any] = {"name": "lines", "type": {"type": "array", "items": line}}
    changed = copy.deepcopy(lines)
    changed["type"]["items"]["fields"][0]["type"] = "string"

    assert _problems(_record(lines), _record(changed)) == [
        "lines[].qty: type changed from int to string"
    ]
    assert _problems(_record(changed), _record(lines)) == [
        "lines[].qty: type changed from string to int"
    ]


def test_promotions_read_one_way_only() -> None:
    wide = _record({"name": "qty", "type": "long"})

    assert _problems(_record(QTY), wide) == []
    assert _problems(wide, _record(QTY)) == ["qty: type changed from long to int"]


def test_a_decimal_must_keep_its_scale() -> None:
    money = {"type": "bytes", "logicalType": "decimal", "precision": 18, "scale": 4}
    cents = {**money, "scale": 2}
    wider = {**money, "precision": 20}

    assert _problems(
        _record({"name": "p", "type": money}), _record({"name": "p", "type": cents})
    ) == ["p: decimal scale changed from 4 to 2"]
    assert (
        _problems(_record({"name": "p", "type": money}), _record({"name": "p", "type": wider}))
        == []
    )


def test_a_logical_type_change_is_a_type_change_even_where_bytes_would_resolve() -> None:
    money = {"type": "bytes", "logicalType": "decimal", "precision": 18, "scale": 4}
    micros = {"type": "long", "logicalType": "timestamp-micros"}
    millis = {"type": "long", "logicalType": "timestamp-millis"}

    assert _problems(
        _record({"name": "p", "type": money}), _record({"name": "p", "type": "string"})
    ) == ["p: type changed from bytes decimal(18,4) to string"]
    assert _problems(
        _record({"name": "t", "type": micros}), _record({"name": "t", "type": millis})
    ) == ["t: type changed from long timestamp-micros to long timestamp-millis"]


def test_an_enum_symbol_needs_the_readers_default() -> None:
    def state(*symbols: str, default: str | None = None) -> Any:
        enum: dict[str, Any] = {"type": "enum", "name": "State", "symbols": list(symbols)}
        if default:
            enum["default"] = default
        return _record({"name": "state", "type": enum})

    newer = state("UNKNOWN", "PAID", "REFUNDED")

    assert _problems(newer, state("UNKNOWN", "PAID")) == [
        "state: symbols REFUNDED are written, but the reader's enum State lacks them "
        "and has no default symbol"
    ]
    assert _problems(newer, state("UNKNOWN", "PAID", default="UNKNOWN")) == []


def test_making_an_optional_field_required_breaks_on_its_null_branch() -> None:
    optional = _record({"name": "note", "type": ["null", "string"], "default": None})
    required = _record({"name": "note", "type": "string"})

    assert _problems(optional, required) == ["note: type changed from null to string"]
    assert _problems(required, optional) == []


def test_renaming_a_record_needs_an_alias() -> None:
    renamed = fastavro.parse_schema(
        {"type": "record", "name": "Level", "aliases": ["Stock"], "fields": [SKU]}
    )

    assert _problems(_record(SKU), _record(SKU, name="Level")) == [
        "(record): type renamed from Stock to Level without an alias"
    ]
    assert _problems(_record(SKU), renamed) == []


@pytest.mark.parametrize(
    ("writer", "reader", "read_back"),
    [
        ((SKU,), (SKU, {**QTY, "default": 3}), {"sku": "MUG", "qty": 3}),
        ((SKU, QTY), (SKU,), {"sku": "MUG"}),
        ((QTY,), ({**QTY, "type": "long"},), {"qty": 2}),
    ],
)
def test_what_the_check_accepts_fastavro_reads(
    writer: tuple[Any, ...], reader: tuple[Any, ...], read_back: dict[str, Any]
) -> None:
    written, read = _record(*writer), _record(*reader)
    buffer = io.BytesIO()
    fastavro.schemaless_writer(buffer, written, {"sku": "MUG", "qty": 2})
    buffer.seek(0)

    assert _problems(written, read) == []
    assert fastavro.schemaless_reader(buffer, written, read) == read_back


def test_what_the_check_refuses_fastavro_cannot_read() -> None:
    written, read = _record(SKU), _record(SKU, QTY)
    buffer = io.BytesIO()
    fastavro.schemaless_writer(buffer, written, {"sku": "MUG"})
    buffer.seek(0)

    assert _problems(written, read)
    with pytest.raises(fastavro.read.SchemaResolutionError):
        fastavro.schemaless_reader(buffer, written, read)


# --- a v1 record read as v2 ---------------------------------------------------------------


def _with_inventory_v2(tmp_path: Path, change: Any) -> Path:
    """schemas/ plus an inventory_adjusted.v2.avsc made from v1 by ``change``."""
    schemas = Path(shutil.copytree(ROOT / "schemas", tmp_path / "schemas"))
    document = json.loads((schemas / "inventory_adjusted.v1.avsc").read_text(encoding="utf-8"))
    change(document)
    (schemas / "inventory_adjusted.v2.avsc").write_text(json.dumps(document), encoding="utf-8")
    return schemas


def _add_incoming(document: dict[str, Any]) -> None:
    document["fields"].append(INCOMING)


@pytest.fixture
def v2(tmp_path: Path) -> Catalogue:
    return load_catalogue(_with_inventory_v2(tmp_path, _add_incoming))


@pytest.fixture(scope="module")
def v1() -> Catalogue:
    return load_catalogue(ROOT / "schemas")


@pytest.fixture(scope="module")
def topology() -> Topology:
    return load_topology(ROOT / "topology.yaml")


def test_a_v1_record_reads_as_v2_with_the_new_field_at_its_default(
    v1: Catalogue, v2: Catalogue
) -> None:
    value = SingleObjectSerde(v1).encode(INVENTORY.model_dump())
    decoded = SingleObjectSerde(v2).decode(value, **ORIGIN)

    assert decoded == {**INVENTORY.model_dump(), "incoming": None}
    assert decoded["envelope"]["schema_version"] == 1


def test_through_a_registry_v1_reads_as_v2_and_v2_as_v1(
    v1: Catalogue, v2: Catalogue, topology: Topology
) -> None:
    client = registry_client("mock://test-evolution")
    topics = {name: route.topic for name, route in topology.events.items()}
    old, new = (RegistrySerde(c, client, topics, auto_register=True) for c in (v1, v2))
    record = INVENTORY.model_dump()
    newer = {
        **record,
        "envelope": {**record["envelope"], "schema_version": 2},
        "incoming": Decimal(5),
    }

    assert new.decode(old.encode(record), **ORIGIN) == {**record, "incoming": None}
    # The registry hands an old consumer the v2 writer schema; it resolves to its v1.
    assert old.decode(new.encode(newer), **ORIGIN) == {
        name: value for name, value in newer.items() if name != "incoming"
    }
    # A consumer on the v1 model takes it too, and can see what was written.
    event = EventSerde(old).decode(new.encode(newer), **ORIGIN)
    assert isinstance(event, InventoryAdjusted)
    assert (event.envelope.schema_version, event.on_hand) == (2, INVENTORY.on_hand)


# --- retailsync schemas check / register ---------------------------------------------------


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RETAILSYNC_TOPOLOGY_FILE", str(ROOT / "topology.yaml"))
    monkeypatch.delenv("RETAILSYNC_SCHEMA_REGISTRY_URL", raising=False)


def _run(*args: str) -> Any:
    return CliRunner().invoke(app, ["schemas", *args])


@pytest.mark.usefixtures("cli_env")
def test_check_passes_on_the_shipped_schemas_and_says_what_it_checked() -> None:
    result = _run("check", "--schemas", str(ROOT / "schemas"))

    assert result.exit_code == 0, result.output
    assert "checked 21 versions of 16 event types and 2 shared types" in result.stdout
    assert "under BACKWARD" in result.stdout
    assert "inventory_adjusted v1 (inventory_adjusted.v1.avsc): house rules ok" in result.stdout
    assert result.stdout.rstrip().endswith("all schemas ok")


@pytest.mark.usefixtures("cli_env")
def test_check_passes_a_compatible_v2_checked_both_ways(tmp_path: Path) -> None:
    result = _run("check", "--schemas", str(_with_inventory_v2(tmp_path, _add_incoming)))

    assert result.exit_code == 0, result.output
    assert "inventory_adjusted v2 (inventory_adjusted.v2.avsc): house rules ok; " in result.stdout
    assert "v2 reads v1 (backward) ok; v1 reads v2 (forward) ok" in result.stdout


@pytest.mark.usefixtures("cli_env")
def test_check_rejects_a_changed_type_naming_file_and_field(tmp_path: Path) -> None:
    schemas = _with_inventory_v2(
        tmp_path,
        lambda d: next(f for f in d["fields"] if f["name"] == "on_hand").update(type="string"),
    )
    result = _run("check", "--schemas", str(schemas))

    assert result.exit_code == 1
    assert (
        f"error: {schemas / 'inventory_adjusted.v2.avsc'}: on_hand: v2 cannot read v1 records "
        "(BACKWARD, required by BACKWARD): type changed from bytes decimal(18,6) to string"
    ) in result.stderr


def _drop_reserved(document: dict[str, Any]) -> None:
    document["fields"] = [f for f in document["fields"] if f["name"] != "reserved"]


@pytest.mark.usefixtures("cli_env")
def test_a_removed_field_is_allowed_by_backward_and_rejected_by_full(tmp_path: Path) -> None:
    schemas = str(_with_inventory_v2(tmp_path, _drop_reserved))
    backward = _run("check", "--schemas", schemas)
    full = _run("check", "--schemas", schemas, "--compatibility", "full")

    assert backward.exit_code == 0, backward.output
    assert "v1 reads v2 (forward) fails, which BACKWARD allows" in backward.stdout
    assert full.exit_code == 1
    assert "reserved: v1 cannot read v2 records (FORWARD, required by FULL)" in full.stderr


def test_check_follows_the_level_topology_sets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = (ROOT / "topology.yaml").read_text(encoding="utf-8")
    strict = tmp_path / "topology.yaml"
    strict.write_text(
        text.replace("compatibility: BACKWARD", "compatibility: FULL"), encoding="utf-8"
    )
    monkeypatch.setenv("RETAILSYNC_TOPOLOGY_FILE", str(strict))
    monkeypatch.delenv("RETAILSYNC_SCHEMA_REGISTRY_URL", raising=False)
    _with_inventory_v2(tmp_path, _drop_reserved)  # beside the topology: the default directory

    result = _run("check")

    assert result.exit_code == 1
    assert "under FULL" in result.stdout
    assert "inventory_adjusted.v2.avsc: reserved: v1 cannot read v2 records" in result.stderr


@pytest.mark.usefixtures("cli_env")
def test_register_puts_every_version_under_its_topic_record_subject(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RETAILSYNC_SCHEMA_REGISTRY_URL", "mock://test-cli-register")
    result = _run("register", "--schemas", str(ROOT / "schemas"), "--skip-compatibility")

    assert result.exit_code == 0, result.output
    assert (
        "retail.inventory-io.retailsync.events.InventoryAdjusted: inventory_adjusted v1 is "
        "schema id"
    ) in result.stdout
    assert result.stdout.count("subject version 1") == 16
    assert "order_created v2 is schema id" in result.stdout
    assert "shipment_dispatched v2 is schema id" in result.stdout
    assert "return_received v2 is schema id" in result.stdout
    assert result.stdout.count("subject version 2") == 4
    assert result.stdout.count("subject version 3") == 1


@pytest.mark.usefixtures("cli_env")
def test_register_prints_the_subject_version_a_real_registry_answers_with_the_id_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    registry = FakeRegistry()  # answers a registration with {"id": N}, as Confluent's does
    with registry.server.running():
        monkeypatch.setenv("RETAILSYNC_SCHEMA_REGISTRY_URL", registry.url)
        result = _run("register", "--schemas", str(ROOT / "schemas"))
        again = _run("register", "--schemas", str(ROOT / "schemas"))

    assert result.exit_code == 0, result.output
    assert result.stdout.count("subject version 1") == 16
    assert result.stdout.count("subject version 2") == 4
    assert result.stdout.count("subject version 3") == 1
    assert "None" not in result.stdout
    assert again.stdout.count("subject version 1") == 16
    assert set(registry.compatibility.values()) == {"BACKWARD"}


@pytest.mark.usefixtures("cli_env")
def test_register_without_a_registry_fails_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "argv", ["retailsync", "schemas", "register"])

    with pytest.raises(SystemExit) as exited:
        main()

    assert exited.value.code == 2
    assert "RETAILSYNC_SCHEMA_REGISTRY_URL: not set" in capsys.readouterr().err


def test_register_catalogue_registers_versions_in_order_and_idempotently(
    v2: Catalogue, topology: Topology
) -> None:
    client = registry_client("mock://test-register")
    first = list(register_catalogue(client, v2, topology, set_compatibility=False))
    again = list(register_catalogue(client, v2, topology, set_compatibility=False))
    inventory = [r for r in first if r.schema.name == "inventory_adjusted"]

    assert [(r.schema.version, r.subject_version) for r in inventory] == [(1, 1), (2, 2)]
    assert {r.subject for r in inventory} == {
        "retail.inventory-io.retailsync.events.InventoryAdjusted"
    }
    assert [r.schema_id for r in again] == [r.schema_id for r in first]
    assert len({r.schema_id for r in first}) == len(first) == 22


def test_check_catalogue_reports_a_topology_key_field_the_schema_lacks(
    tmp_path: Path, topology: Topology
) -> None:
    schemas = _with_inventory_v2(tmp_path, lambda d: d["fields"].__setitem__(
        slice(None), [f for f in d["fields"] if f["name"] != "location"]
    ))  # fmt: skip
    report = check_catalogue(load_catalogue(schemas), "NONE", topology)

    assert [str(p) for p in report.problems] == [
        f"{schemas / 'inventory_adjusted.v2.avsc'}: location: topology key: the key "
        "'{sku}@{location}' needs a non-null string field location"
    ]


def test_a_configerror_names_the_bad_directory(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such schema directory"):
        load_catalogue(tmp_path / "missing")
