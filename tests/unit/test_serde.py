"""The serde: both wire formats round-trip every event, and every unreadable value becomes a
DeserializationError that carries the whole record."""

from __future__ import annotations

import itertools
import socket
from collections.abc import Iterator
from decimal import Decimal
from io import SEEK_END, BytesIO
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka.schema_registry import SchemaRegistryError
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext
from fastavro import schemaless_writer
from fastavro.schema import to_parsing_canonical_form
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from retailsync.errors import (
    ConfigError,
    DeserializationError,
    RecordOrigin,
    SerializationError,
    TargetUnavailableError,
    TransientError,
)
from retailsync.events import EVENT_MODELS, Catalogue, OrderCreated, load_catalogue
from retailsync.events.examples import example_events
from retailsync.serde import (
    EventSerde,
    RegistrySerde,
    Serde,
    SingleObjectSerde,
    register_catalogue,
    registry_client,
    serde_for,
    subject_name,
)
from retailsync.settings import Settings
from retailsync.topology import Topology, load_topology
from tests.registry import FakeRegistry, connections_to
from tests.unit.schema_strategies import records

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
ORIGIN: dict[str, Any] = {
    "topic": "retail.orders",
    "partition": 3,
    "offset": 42,
    "key": b"shop-eu:1001",
}
FORMATS = ("single-object", "confluent")
EXAMPLES = {event.envelope.event_type: event for event in example_events()}
ROUND_TRIPS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue(ROOT / "schemas")


@pytest.fixture(scope="module")
def topology() -> Topology:
    return load_topology(ROOT / "topology.yaml")


def _topics(topology: Topology) -> dict[str, str]:
    return {event_type: route.topic for event_type, route in topology.events.items()}


@pytest.fixture(scope="module")
def serdes(catalogue: Catalogue, topology: Topology) -> dict[str, Serde]:
    client = registry_client("mock://test-serde")
    registry = RegistrySerde(catalogue, client, _topics(topology), auto_register=True)
    return {"single-object": SingleObjectSerde(catalogue), "confluent": registry}


def _decode(serde: Serde | EventSerde, value: bytes) -> Any:
    return serde.decode(value, **ORIGIN)


def _failure(serde: Serde | EventSerde, value: bytes) -> DeserializationError:
    with pytest.raises(DeserializationError) as caught:
        _decode(serde, value)
    return caught.value


def _crc64_avro(data: bytes) -> int:
    """The fingerprint algorithm exactly as the Avro specification gives it."""
    empty = 0xC15D213AA4D7A795
    table = []
    for i in range(256):
        fp = i
        for _ in range(8):
            fp = (fp >> 1) ^ (empty & -(fp & 1))
        table.append(fp)
    fp = empty
    for byte in data:
        fp = (fp >> 8) ^ table[(fp ^ byte) & 0xFF]
    return fp


# --- round trips --------------------------------------------------------------------------


@pytest.mark.parametrize("wire", FORMATS)
@pytest.mark.parametrize("event_type", sorted(EVENT_MODELS))
@ROUND_TRIPS
@given(data=st.data())
def test_every_event_round_trips_as_a_dict_and_as_a_model(
    serdes: dict[str, Serde], catalogue: Catalogue, wire: str, event_type: str, data: st.DataObject
) -> None:
    record = data.draw(records(catalogue.latest(event_type)))
    event = EVENT_MODELS[event_type].model_validate(record)
    serde = serdes[wire]
    typed = EventSerde(serde)

    assert _decode(serde, serde.encode(record)) == record
    assert _decode(typed, typed.encode(event)) == event
    # The typed serde converts decimals, timestamps and uuids itself: to fastavro's bytes.
    assert typed.encode(event) == serde.encode(event.model_dump())


@pytest.mark.parametrize("wire", FORMATS)
def test_decimals_at_the_edge_of_their_precision_round_trip(
    serdes: dict[str, Serde], wire: str
) -> None:
    event = EXAMPLES["refund_issued"].model_copy(
        update={"amount": Decimal("99999999999999.9999"), "shipping_amount": Decimal("-0.0001")}
    )
    record = event.model_dump()
    decoded = _decode(serdes[wire], serdes[wire].encode(record))

    assert decoded["amount"] == Decimal("99999999999999.9999")
    assert decoded["shipping_amount"] == Decimal("-0.0001")


def test_a_decimal_beyond_its_schema_is_refused_not_rounded(serdes: dict[str, Serde]) -> None:
    record = EXAMPLES["refund_issued"].model_dump()
    with pytest.raises(SerializationError, match="cannot encode refund_issued v1"):
        serdes["single-object"].encode({**record, "amount": Decimal("0.00001")})
    # fastavro checks the digits before scaling; the model checks them all, so events built
    # as models never reach the wire out of range.
    with pytest.raises(ValidationError, match="no more than 14 digits before the decimal point"):
        EXAMPLES["refund_issued"].model_validate({**record, "amount": "999999999999999.0"})


@pytest.mark.parametrize(
    "unscaled",
    [0, 1, -1, 127, 128, -128, -129, 255, 256, 32767, 32768, -32768, -32769, 10**18 - 1],
)
def test_decimals_at_byte_boundaries_encode_and_decode_as_fastavro_does(
    serdes: dict[str, Serde], unscaled: int
) -> None:
    amount = Decimal(unscaled).scaleb(-4)
    event = EXAMPLES["refund_issued"].model_copy(update={"amount": amount})
    serde = serdes["single-object"]
    typed = EventSerde(serde)

    value = typed.encode(event)

    assert value == serde.encode(event.model_dump())
    assert _decode(typed, value).amount == _decode(serde, value)["amount"] == amount


@pytest.mark.parametrize("unscaled", [10**18, -(10**18), 10**30])
def test_a_decimal_written_beyond_its_schemas_precision_is_refused_by_name_not_rounded(
    serdes: dict[str, Serde], unscaled: int
) -> None:
    # Another writer's bytes: Avro's decimal on bytes holds any unscaled value, and fastavro
    # would round this one to the schema's 18 digits.
    serde = serdes["single-object"]
    datum = serde.decode_plain(EventSerde(serde).encode(EXAMPLES["refund_issued"]), **ORIGIN)
    datum["amount"] = unscaled.to_bytes(16, "big", signed=True)
    schema = serde.catalogue.latest("refund_issued")
    buffer = BytesIO(serde.header("refund_issued", schema.version))
    buffer.seek(0, SEEK_END)
    schemaless_writer(buffer, schema.plain, datum)
    value = buffer.getvalue()

    error = _failure(EventSerde(serde), value)

    assert "amount" in error.reason
    assert error.origin == RecordOrigin(value=value, **ORIGIN)


def test_a_decoded_event_copied_with_a_change_leaves_the_others_of_its_type_alone(
    serdes: dict[str, Serde],
) -> None:
    serde = EventSerde(serdes["single-object"])
    value = serde.encode(EXAMPLES["order_created"])
    first, second = _decode(serde, value), _decode(serde, value)

    changed = first.model_copy(update={"order_number": "#2"})

    assert changed.order_number == "#2"
    assert second == first == EXAMPLES["order_created"]
    assert second.model_fields_set == first.model_fields_set == set(OrderCreated.model_fields)


@pytest.mark.parametrize(
    ("amount", "refusal"),
    [
        (Decimal("0.00001"), "more decimal places than the schema's 4"),
        (Decimal("1E+14"), "more digits than the schema's 18"),
        (Decimal("NaN"), "cannot convert NaN"),
        (Decimal("Infinity"), "cannot convert Infinity"),
        (1.5, "'float' object"),
    ],
)
def test_an_event_whose_decimal_its_schema_cannot_hold_is_refused_by_name(
    serdes: dict[str, Serde], amount: Decimal | float, refusal: str
) -> None:
    # Built without validation, as no model that validates would hold it.
    event = EXAMPLES["refund_issued"].model_construct(
        **{**dict(EXAMPLES["refund_issued"]), "amount": amount}
    )

    with pytest.raises(SerializationError, match=f"cannot encode refund_issued v1: .*{refusal}"):
        EventSerde(serdes["single-object"]).encode(event)


@pytest.mark.parametrize("wire", FORMATS)
def test_non_ascii_text_survives_as_utf8(serdes: dict[str, Serde], wire: str) -> None:
    name = "Grüne Tasse ☕ 緑の湯呑み \x00 𝄞"
    event = EXAMPLES["product_upserted"].model_copy(update={"name": name})
    value = EventSerde(serdes[wire]).encode(event)

    assert name.encode() in value
    assert _decode(EventSerde(serdes[wire]), value).name == name


# --- wire formats -------------------------------------------------------------------------


def test_single_object_header_is_magic_and_the_specs_fingerprint(
    serdes: dict[str, Serde], catalogue: Catalogue
) -> None:
    event = EXAMPLES["order_created"]
    value = serdes["single-object"].encode(event.model_dump())
    canonical = to_parsing_canonical_form(catalogue.latest("order_created").parsed)

    assert value[:2] == b"\xc3\x01"
    assert value[2:10] == _crc64_avro(canonical.encode()).to_bytes(8, "little")


def test_confluent_header_is_zero_and_the_registered_id(
    catalogue: Catalogue, topology: Topology
) -> None:
    client = registry_client("mock://test-header")
    registry = RegistrySerde(catalogue, client, _topics(topology), auto_register=True)
    value = registry.encode(EXAMPLES["inventory_adjusted"].model_dump())
    subject = "retail.inventory-io.retailsync.events.InventoryAdjusted"
    registered = client.get_latest_version(subject)

    assert subject_name("retail.inventory", catalogue.latest("inventory_adjusted")) == subject
    assert value[0] == 0
    assert int.from_bytes(value[1:5], "big") == registered.schema_id


def test_confluents_own_deserializer_reads_our_records(
    catalogue: Catalogue, topology: Topology
) -> None:
    client = registry_client("mock://test-interop-read")
    ours = RegistrySerde(catalogue, client, _topics(topology), auto_register=True)
    record = EXAMPLES["shipment_dispatched"].model_dump()
    context = SerializationContext("retail.shipments", MessageField.VALUE)

    assert AvroDeserializer(client)(ours.encode(record), context) == {
        **record,
        "lines": [dict(line) for line in record["lines"]],
    }


def test_we_read_records_from_confluents_own_serializer(
    catalogue: Catalogue, topology: Topology
) -> None:
    client = registry_client("mock://test-interop-write")
    theirs = AvroSerializer(client, catalogue.latest("price_changed").to_json())
    record = EXAMPLES["price_changed"].model_dump()
    value = theirs(record, SerializationContext("retail.catalog", MessageField.VALUE))
    ours = RegistrySerde(catalogue, client, _topics(topology))

    assert _decode(ours, value) == record


def test_registry_serde_still_reads_single_object_records(serdes: dict[str, Serde]) -> None:
    record = EXAMPLES["order_cancelled"].model_dump()
    value = serdes["single-object"].encode(record)

    assert _decode(serdes["confluent"], value) == record


def test_serde_for_picks_the_registry_only_when_one_is_configured(
    catalogue: Catalogue, topology: Topology
) -> None:
    embedded = serde_for(Settings(), catalogue, topology)
    registry = serde_for(Settings(schema_registry_url="mock://factory"), catalogue, topology)

    assert isinstance(embedded, SingleObjectSerde)
    assert isinstance(registry, RegistrySerde)
    assert embedded.content_type != registry.content_type


# --- what cannot be decoded ---------------------------------------------------------------


@pytest.mark.parametrize("wire", FORMATS)
@settings(max_examples=60, deadline=None)
@given(value=st.binary(max_size=64))
def test_any_bytes_decode_or_raise_deserialization_error_with_the_record(
    serdes: dict[str, Serde], wire: str, value: bytes
) -> None:
    try:
        _decode(serdes[wire], value)
    except DeserializationError as exc:
        assert exc.origin == RecordOrigin(value=value, **ORIGIN)


@pytest.mark.parametrize("wire", FORMATS)
def test_every_truncation_of_a_record_is_a_deserialization_error(
    serdes: dict[str, Serde], wire: str
) -> None:
    value = serdes[wire].encode(EXAMPLES["order_created"].model_dump())
    for cut in range(len(value)):
        error = _failure(serdes[wire], value[:cut])
        assert error.origin is not None
        assert error.origin.value == value[:cut]


@pytest.mark.parametrize("wire", FORMATS)
def test_bytes_after_the_record_are_a_deserialization_error(
    serdes: dict[str, Serde], wire: str
) -> None:
    value = serdes[wire].encode(EXAMPLES["order_created"].model_dump())

    assert "1 byte(s) left" in _failure(serdes[wire], value + b"\x00").reason


def test_garbage_is_named_as_such(serdes: dict[str, Serde]) -> None:
    error = _failure(serdes["single-object"], b"not avro at all")

    assert "not Avro single-object encoding" in error.reason
    assert error.origin == RecordOrigin(value=b"not avro at all", **ORIGIN)
    assert "retail.orders[3] 42" in str(error)


@pytest.mark.parametrize("wire", FORMATS)
def test_an_empty_value_is_named_as_no_event(serdes: dict[str, Serde], wire: str) -> None:
    assert "no bytes (a tombstone?)" in _failure(serdes[wire], b"").reason


def test_an_unknown_fingerprint_is_named(serdes: dict[str, Serde]) -> None:
    value = b"\xc3\x01" + bytes(range(8)) + b"\x00"

    assert (
        "unknown schema fingerprint 0001020304050607"
        in _failure(serdes["single-object"], value).reason
    )


def test_an_unknown_schema_id_is_named(serdes: dict[str, Serde]) -> None:
    value = b"\x00" + (99_999).to_bytes(4, "big") + b"\x00"

    assert "schema id 99999 is not in the registry" in _failure(serdes["confluent"], value).reason


def test_registry_records_without_a_registry_say_what_to_set(serdes: dict[str, Serde]) -> None:
    value = serdes["confluent"].encode(EXAMPLES["order_cancelled"].model_dump())

    assert "RETAILSYNC_SCHEMA_REGISTRY_URL" in _failure(serdes["single-object"], value).reason


def test_a_schema_id_of_a_foreign_record_is_named(catalogue: Catalogue) -> None:
    client = registry_client("mock://test-foreign")
    foreign = AvroSerializer(
        client, '{"type": "record", "name": "Foreign", "namespace": "x", "fields": []}'
    )
    value = foreign({}, SerializationContext("other", MessageField.VALUE))
    serde = RegistrySerde(catalogue, client, {})

    assert "is x.Foreign, which is no event" in _failure(serde, value).reason


class _FailingRegistry:
    """A registry client whose every call fails with ``error``."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    def __getattr__(self, name: str) -> Any:
        def fail(*args: Any, **kwargs: Any) -> Any:
            raise self.error

        return fail


@pytest.mark.parametrize(
    "error",
    [SchemaRegistryError(503, 50301, "unavailable"), ConnectionError("refused")],
    ids=["5xx", "unreachable"],
)
def test_a_registry_outage_is_transient_not_a_dead_letter(
    catalogue: Catalogue, error: Exception
) -> None:
    serde = RegistrySerde(catalogue, _FailingRegistry(error), {})  # type: ignore[arg-type]
    value = b"\x00" + (7).to_bytes(4, "big") + b"\x00"

    with pytest.raises(TransientError):
        _decode(serde, value)


@pytest.fixture
def fake_registry() -> Iterator[FakeRegistry]:
    registry = FakeRegistry()
    with registry.server.running():
        yield registry


def _dead_url() -> str:
    with socket.socket() as probe:  # a port where nothing listens once it is closed
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


# A timeout takes the same branch as a refused connection (a transport error), at 10 s a call.
@pytest.mark.parametrize("fault", ["refused", "503", "500", "429"])
def test_a_registry_that_cannot_serve_is_an_unavailable_target_when_reading_and_writing(
    catalogue: Catalogue, topology: Topology, fake_registry: FakeRegistry, fault: str
) -> None:
    writer = serde_for(Settings(schema_registry_url=fake_registry.url), catalogue, topology)
    with registry_client(fake_registry.url) as client:
        registering = RegistrySerde(catalogue, client, _topics(topology), auto_register=True)
        value = registering.encode(EXAMPLES["order_created"].model_dump())
    url = fake_registry.url
    if fault == "refused":
        url = _dead_url()
    else:
        fake_registry.server.faults.fail(int(fault))
    reader = serde_for(Settings(schema_registry_url=url), catalogue, topology)
    if fault == "refused":
        writer = reader

    with pytest.raises(TargetUnavailableError) as reading:
        _decode(reader, value)
    with pytest.raises(TargetUnavailableError) as writing:
        writer.encode(EXAMPLES["refund_issued"].model_dump())

    assert reading.value.target == writing.value.target == "schema-registry"
    assert "schema registry" in str(reading.value)
    if fault != "refused":  # the same registry, back
        fake_registry.server.faults.clear()
        assert _decode(reader, value)["envelope"]["event_type"] == "order_created"
    reader.close()
    writer.close()


def test_a_record_that_breaks_its_model_is_a_deserialization_error(
    serdes: dict[str, Serde],
) -> None:
    record = {**EXAMPLES["price_changed"].model_dump(), "currency": "euro"}
    value = serdes["single-object"].encode(record)
    error = _failure(EventSerde(serdes["single-object"]), value)

    assert "currency" in error.reason
    assert error.origin == RecordOrigin(value=value, **ORIGIN)


@pytest.mark.parametrize("event_type", sorted(EXAMPLES))
def test_decoded_events_are_constructed_equal_to_validated_ones(
    serdes: dict[str, Serde], event_type: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    serde = serdes["single-object"]
    event = EXAMPLES[event_type]
    value = EventSerde(serde).encode(event)
    validated = type(event).model_validate(_decode(serde, value))

    def no_validation(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("an event of our own schema was validated again")

    monkeypatch.setattr(type(event), "model_validate", no_validation)
    constructed = _decode(EventSerde(serde), value)

    assert constructed == validated == event
    assert type(constructed) is type(validated)
    assert repr(constructed) == repr(validated)
    assert constructed.model_dump() == validated.model_dump()
    assert constructed.model_dump_json() == validated.model_dump_json()
    assert constructed.model_fields_set == validated.model_fields_set


@pytest.mark.parametrize("wire", FORMATS)
@pytest.mark.parametrize("event_type", sorted(EXAMPLES))
def test_an_event_encodes_to_the_bytes_of_its_model_dump(
    serdes: dict[str, Serde], wire: str, event_type: str
) -> None:
    event = EXAMPLES[event_type]

    assert EventSerde(serdes[wire]).encode(event) == serdes[wire].encode(event.model_dump())


@pytest.mark.parametrize(
    ("event_type", "change", "field"),
    [
        ("order_created", {"order_ref": ""}, "order_ref"),
        ("order_created", {"currency": "EUR\n"}, "currency"),
        ("order_created", {"lines": []}, "lines"),
        ("inventory_adjusted", {"sku": ""}, "sku"),
        ("price_changed", {"envelope": {"source_version": -1}}, "source_version"),
        ("price_changed", {"envelope": {"source_version": None}}, "source_version"),
    ],
)
def test_a_record_of_our_schema_that_breaks_its_model_is_still_refused_by_name(
    serdes: dict[str, Serde], event_type: str, change: dict[str, Any], field: str
) -> None:
    record = EXAMPLES[event_type].model_dump()
    for name, new in change.items():
        record[name] = {**record[name], **new} if isinstance(new, dict) else new
    serde = serdes["single-object"]
    value = serde.encode(record)
    error = _failure(EventSerde(serde), value)

    assert field in error.reason
    assert error.origin == RecordOrigin(value=value, **ORIGIN)


# --- what cannot be encoded ---------------------------------------------------------------


def test_encoding_names_what_is_missing(serdes: dict[str, Serde]) -> None:
    record = EXAMPLES["inventory_adjusted"].model_dump()
    unknown_version = {**record, "envelope": {**record["envelope"], "schema_version": 9}}
    without_field = {k: v for k, v in record.items() if k != "on_hand"}

    with pytest.raises(SerializationError, match=r"envelope\.event_type"):
        serdes["single-object"].encode({"sku": "x"})
    with pytest.raises(
        SerializationError, match=r"inventory_adjusted.v9.avsc .* \(it has v1 to v1\)"
    ):
        serdes["single-object"].encode(unknown_version)
    with pytest.raises(SerializationError, match="cannot encode inventory_adjusted v1"):
        serdes["single-object"].encode(without_field)


def test_without_auto_register_an_unregistered_schema_says_what_to_run(
    catalogue: Catalogue, topology: Topology
) -> None:
    serde = RegistrySerde(catalogue, registry_client("mock://test-unregistered"), _topics(topology))

    with pytest.raises(ConfigError, match="retailsync schemas register"):
        serde.encode(EXAMPLES["order_created"].model_dump())


def test_an_event_serde_writes_the_version_its_envelope_names(serdes: dict[str, Serde]) -> None:
    event = EXAMPLES["inventory_adjusted"]
    envelope = event.envelope.model_copy(update={"schema_version": 2})
    unknown = event.model_copy(update={"envelope": envelope})

    assert EventSerde(serdes["single-object"]).encode(event) == serdes["single-object"].encode(
        event.model_dump()
    )
    with pytest.raises(SerializationError, match=r"inventory_adjusted\.v2\.avsc"):
        EventSerde(serdes["single-object"]).encode(unknown)


def test_many_records_share_one_registry_lookup(catalogue: Catalogue, topology: Topology) -> None:
    calls = itertools.count()
    client = registry_client("mock://test-cache")
    serde = RegistrySerde(catalogue, client, _topics(topology), auto_register=True)
    fetch = client.get_schema

    def counting_fetch(*args: Any, **kwargs: Any) -> Any:
        next(calls)
        return fetch(*args, **kwargs)

    client.get_schema = counting_fetch  # type: ignore[method-assign]
    record = EXAMPLES["order_created"].model_dump()
    for _ in range(5):
        _decode(serde, serde.encode(record))

    assert next(calls) == 1


def test_a_registry_is_asked_once_per_writer_and_once_per_schema_id(
    catalogue: Catalogue, topology: Topology, fake_registry: FakeRegistry
) -> None:
    with registry_client(fake_registry.url) as client:
        list(register_catalogue(client, catalogue, topology))
    serde = serde_for(Settings(schema_registry_url=fake_registry.url), catalogue, topology)
    fake_registry.calls.clear()
    kinds = ("order_created", "refund_issued")

    values = [serde.encode(EXAMPLES[kind].model_dump()) for kind in kinds for _ in range(5)]
    decoded = [_decode(serde, value) for value in values]

    assert [d["envelope"]["event_type"] for d in decoded] == [k for k in kinds for _ in range(5)]
    assert fake_registry.calls == {"lookup": 2, "by_id": 2}
    fake_registry.server.faults.down()  # what is cached needs no registry
    assert [serde.encode(EXAMPLES[kind].model_dump()) for kind in kinds] == values[::5]
    assert _decode(serde, values[-1]) == decoded[-1]
    fake_registry.server.faults.up()
    serde.resolve_writers()  # the other event types' newest versions, once each
    serde.resolve_writers()
    assert fake_registry.calls["lookup"] == len(catalogue.event_types)
    assert all(
        serde.knows_writer(kind, catalogue.latest(kind).version) for kind in catalogue.event_types
    )
    serde.close()


def test_closing_a_serde_closes_its_registry_connections(
    catalogue: Catalogue, topology: Topology, fake_registry: FakeRegistry
) -> None:
    serde = EventSerde(
        serde_for(Settings(schema_registry_url=fake_registry.url), catalogue, topology)
    )
    with pytest.raises(ConfigError, match="not registered"):
        serde.resolve_writers()  # one request, and a connection kept for the next
    assert connections_to(fake_registry.server.port) == 1

    serde.close()

    assert connections_to(fake_registry.server.port) == 0


@pytest.mark.parametrize("version", [1, 2])
def test_an_order_created_of_an_older_version_reads_with_no_tax_lines_and_no_check(
    serdes: dict[str, Serde], version: int
) -> None:
    event = EXAMPLES["order_created"]
    envelope = event.envelope.model_copy(update={"schema_version": version})
    older = event.model_copy(update={"envelope": envelope})
    serde = EventSerde(serdes["single-object"])

    decoded = _decode(serde, serde.encode(older))

    assert isinstance(decoded, OrderCreated) and isinstance(event, OrderCreated)
    assert decoded.total == event.total
    assert [line.tax_lines for line in decoded.lines] == [()]
    assert (decoded.shipping_tax, decoded.order_discount, decoded.mapping_difference) == (
        None,
        None,
        None,
    )
    assert (decoded.shipping_tax_lines, decoded.fee_lines) == ((), ())
