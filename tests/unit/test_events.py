"""The event models: in agreement with the schemas field by field, strict about what they
accept, and deterministic about event ids."""

from __future__ import annotations

import re
import types
import typing
import uuid
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any

import pytest
from pydantic import AwareDatetime, BaseModel, ValidationError
from pydantic.fields import FieldInfo

import retailsync.events
from retailsync.events import (
    EVENT_MODELS,
    Catalogue,
    Envelope,
    Event,
    InventoryAdjusted,
    OrderCreated,
    Source,
    SourceSystem,
    derive_event_id,
    load_catalogue,
)
from retailsync.events.examples import example_events
from retailsync.events.fields import Money
from retailsync.publisher import event_record
from retailsync.serde import EventSerde, SingleObjectSerde
from retailsync.topology import load_topology

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = {event.envelope.event_type: event for event in example_events()}
SHOP = Source(system=SourceSystem.SHOPIFY, instance="example-shop.example.com")


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue(ROOT / "schemas")


# --- models and schemas agree -------------------------------------------------------------


def _schema_shape(schema: Any, names: dict[str, Any]) -> Any:
    """A schema as a comparable shape: what a model field must look like to match it."""
    if isinstance(schema, str):
        return _schema_shape(names[schema], names) if schema in names else schema
    if isinstance(schema, list):
        return ("union", *(_schema_shape(branch, names) for branch in schema))
    logical = schema.get("logicalType")
    if logical == "decimal":
        return ("decimal", schema["precision"], schema["scale"])
    if logical is not None:
        return logical
    kind = schema["type"]
    if kind == "record":
        fields = tuple(
            (f["name"], "default" in f, f.get("default"), _schema_shape(f["type"], names))
            for f in schema["fields"]
        )
        return ("record", schema["name"].rpartition(".")[2], fields)
    if kind == "enum":
        return ("enum", schema["name"].rpartition(".")[2], tuple(schema["symbols"]))
    if kind == "array":
        return ("array", _schema_shape(schema["items"], names))
    if kind == "map":
        return ("map", _schema_shape(schema["values"], names))
    return kind


_PRIMITIVES = {str: "string", bool: "boolean", uuid.UUID: "uuid", AwareDatetime: "timestamp-micros"}


def _model_shape(annotation: Any, metadata: list[Any]) -> Any:
    """A model field's annotation in the same shape as ``_schema_shape``."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        inner, *extra = typing.get_args(annotation)
        for item in extra:
            metadata = [*metadata, item, *getattr(item, "metadata", [])]
        return _model_shape(inner, metadata)
    if origin in (typing.Union, types.UnionType):
        branches = sorted(typing.get_args(annotation), key=lambda arg: arg is not type(None))
        return ("union", *(_model_shape(branch, metadata) for branch in branches))
    if origin is tuple:
        return ("array", _model_shape(typing.get_args(annotation)[0], []))
    if origin is dict:
        return ("map", _model_shape(typing.get_args(annotation)[1], []))
    if annotation is type(None):
        return "null"
    if annotation is Decimal:
        limits = {
            k: getattr(m, k)
            for m in metadata
            for k in ("max_digits", "decimal_places")
            if getattr(m, k, None)
        }
        return ("decimal", limits["max_digits"], limits["decimal_places"])  # fmt: skip
    if annotation is int:
        return "long" if any(getattr(m, "lt", None) == 2**63 for m in metadata) else "int"
    if isinstance(annotation, type) and issubclass(annotation, StrEnum):
        return ("enum", annotation.__name__, tuple(member.value for member in annotation))
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        fields = tuple(
            (name, not f.is_required(), _default(f), _model_shape(f.annotation, f.metadata))
            for name, f in annotation.model_fields.items()
        )
        return ("record", annotation.__name__, fields)
    return _PRIMITIVES[annotation]


def _default(info: FieldInfo) -> Any:
    if info.is_required():
        return None
    value = info.get_default(call_default_factory=True)
    return list(value) if isinstance(value, tuple) else value


@pytest.mark.parametrize("event_type", sorted(EVENT_MODELS))
def test_each_model_matches_its_newest_schema_field_by_field(
    catalogue: Catalogue, event_type: str
) -> None:
    schema = catalogue.latest(event_type)
    model = EVENT_MODELS[event_type]

    assert _model_shape(model, []) == _schema_shape(schema.parsed, schema.parsed["__named_schemas"])
    assert schema.version == model.SCHEMA_VERSION


def test_the_agreement_check_notices_a_drifted_field(catalogue: Catalogue) -> None:
    class Drifted(InventoryAdjusted):
        on_hand: Money | None = None  # optional in the model, required in the schema

    schema = catalogue.latest("inventory_adjusted")
    fields = _schema_shape(schema.parsed, schema.parsed["__named_schemas"])[2]

    assert _model_shape(InventoryAdjusted, [])[2] == fields
    assert _model_shape(Drifted, [])[2] != fields


def test_every_catalogued_event_has_a_model_and_a_route(catalogue: Catalogue) -> None:
    topology = load_topology(ROOT / "topology.yaml")

    assert set(EVENT_MODELS) == set(catalogue.event_types) == set(topology.events)


def test_the_public_surface_is_pinned() -> None:
    exported = set(retailsync.events.__all__)

    assert {name for name in dir(retailsync.events) if not name.startswith("_")} >= exported
    assert {"Event", "Envelope", "EVENT_MODELS", "load_catalogue", "derive_event_id"} <= exported
    assert len(exported) == 48


# --- what a model accepts -----------------------------------------------------------------


def _order(**changes: Any) -> dict[str, Any]:
    return {**EXAMPLES["order_created"].model_dump(), **changes}


def _error(model: type[BaseModel], data: dict[str, Any]) -> str:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(data)
    return str(caught.value)


def test_a_missing_field_is_named() -> None:
    data = _order()
    del data["currency"]

    assert "currency\n  Field required" in _error(OrderCreated, data)


def test_a_wrong_field_is_named_with_its_path() -> None:
    lines = [{**EXAMPLES["order_created"].model_dump()["lines"][0], "quantity": "many"}]

    assert "lines.0.quantity\n  Input should be a valid decimal" in _error(
        OrderCreated, _order(lines=lines)
    )


def test_an_unknown_field_is_refused() -> None:
    assert "total_price\n  Extra inputs are not permitted" in _error(
        OrderCreated, _order(total_price="1")
    )


def test_a_float_amount_is_refused_not_rounded() -> None:
    assert "never a float" in _error(OrderCreated, _order(total=28.12))


def test_amounts_are_quantized_to_the_schema_scale() -> None:
    event = OrderCreated.model_validate(_order(total="28.1", tax_total=3))

    assert str(event.total) == "28.1000"
    assert str(event.tax_total) == "3.0000"


@pytest.mark.parametrize(
    ("value", "message"),
    [("100000000000000", "14 digits before the decimal point"), ("0.00001", "4 decimal places")],
)
def test_amounts_beyond_the_schema_are_refused(value: str, message: str) -> None:
    assert message in _error(OrderCreated, _order(total=value))


def test_times_must_carry_a_timezone_and_are_kept_in_utc() -> None:
    envelope = EXAMPLES["order_created"].envelope.model_dump()
    naive = {**envelope, "occurred_at": datetime(2025, 3, 14, 9, 0)}
    india = timezone(timedelta(hours=5, minutes=30))
    aware = {**envelope, "occurred_at": datetime(2025, 3, 14, 14, 30, tzinfo=india)}

    assert "occurred_at\n  Input should have timezone info" in _error(Envelope, naive)
    assert Envelope.model_validate(aware).occurred_at == datetime(2025, 3, 14, 9, 0, tzinfo=UTC)
    assert Envelope.model_validate(aware).occurred_at.tzinfo is UTC


def test_an_envelope_of_another_event_type_is_refused() -> None:
    envelope = EXAMPLES["order_cancelled"].envelope

    assert "but this is a order_created event" in _error(OrderCreated, _order(envelope=envelope))


def test_state_events_need_a_source_version() -> None:
    data = EXAMPLES["inventory_adjusted"].model_dump()
    data["envelope"]["source_version"] = None

    assert "source_version is required for inventory_adjusted" in _error(InventoryAdjusted, data)


def test_models_are_frozen() -> None:
    with pytest.raises(ValidationError, match="frozen"):
        EXAMPLES["order_created"].envelope.channel = "other"  # type: ignore[misc]


def test_personal_data_stays_out_of_repr_and_errors() -> None:
    customer = EXAMPLES["customer_upserted"]
    order = EXAMPLES["order_created"]
    wrong = {**customer.model_dump(), "email": {"address": "customer@example.com"}}

    for text in (repr(customer), repr(order), _error(type(customer), wrong)):
        for personal in ("customer@example.com", "Example Street", "+15555550100", "Customer'"):
            assert personal not in text
    assert "email\n  Input should be a valid string" in _error(type(customer), wrong)


# --- envelopes and event ids --------------------------------------------------------------


def test_event_ids_are_deterministic_and_tell_changes_apart() -> None:
    same = derive_event_id("order_created", SHOP, "gid://shopify/Order/1", 5)

    assert same == derive_event_id("order_created", SHOP, "gid://shopify/Order/1", 5)
    assert same.version == 5
    others = {
        derive_event_id("order_cancelled", SHOP, "gid://shopify/Order/1", 5),
        derive_event_id("order_created", SHOP, "gid://shopify/Order/1", 6),
        derive_event_id("order_created", SHOP, "gid://shopify/Order/1", "5"),
        derive_event_id("order_created", SHOP, "gid://shopify/Order/2", 5),
        derive_event_id(
            "order_created",
            Source(system=SourceSystem.SHOPIFY, instance="other.example.com"),
            "gid://shopify/Order/1",
            5,
        ),
    }
    assert same not in others
    assert len(others) == 5


def test_the_event_id_derivation_is_pinned() -> None:
    # A change here gives every re-delivered change a new id: duplicates downstream.
    assert derive_event_id("order_created", SHOP, "gid://shopify/Order/1001", 1) == uuid.UUID(
        "98533e0b-ef70-5287-a84d-d43b16131dc4"
    )


def test_new_envelope_fills_type_version_and_id() -> None:
    at = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    envelope = OrderCreated.new_envelope(
        source=SHOP, source_ref="gid://shopify/Order/7", occurred_at=at, delivery_id="d-1"
    )

    assert (envelope.event_type, envelope.schema_version) == ("order_created", 3)
    assert envelope.event_id == derive_event_id(
        "order_created", SHOP, "gid://shopify/Order/7", "d-1"
    )
    with pytest.raises(ValueError, match="give source_version or delivery_id"):
        OrderCreated.new_envelope(source=SHOP, source_ref="x", occurred_at=at)


def test_every_example_is_valid_and_keys_as_the_topology_says() -> None:
    topology = load_topology(ROOT / "topology.yaml")
    keys = {
        event.envelope.event_type: topology.destination(event.envelope.event_type).key_for(
            dict(event)
        )
        for event in example_events()
    }

    assert all(isinstance(event, Event) for event in example_events())
    assert keys["inventory_adjusted"] == "MUG-GREEN@WH/Stock"
    assert keys["order_created"] == "shop-eu:1001"
    assert keys["customer_upserted"] == "shop-eu:501"


def test_every_published_record_carries_a_traceparent() -> None:
    # Without any tracing configured, as a service runs by default: still a W3C traceparent.
    topology = load_topology(ROOT / "topology.yaml")
    serde = EventSerde(SingleObjectSerde(load_catalogue(ROOT / "schemas")))
    parents = set()
    for event in example_events():
        headers = dict(event_record(event, topology, serde).headers)
        value = headers["traceparent"]
        assert isinstance(value, bytes)
        assert re.fullmatch(rb"00-[0-9a-f]{32}-[0-9a-f]{16}-01", value), value
        parents.add(value)
    assert len(parents) == len(example_events())  # each event begins its own trace
