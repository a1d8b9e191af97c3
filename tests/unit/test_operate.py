"""The operator tools' parts that need no broker: masking, time and filter parsing."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from retailsync.consumer.record import ConsumedRecord
from retailsync.events import CustomerUpserted, OrderCreated, load_catalogue
from retailsync.events.examples import example_events
from retailsync.kafka.partitioner import murmur2, partition_for
from retailsync.operate.listing import Filter, Lister, parse_where
from retailsync.operate.personal import PersonalData
from retailsync.operate.positions import offset_ranges, positions_by_partition
from retailsync.operate.times import duration_ms, instant_ms
from retailsync.serde import SingleObjectSerde

pytestmark = pytest.mark.unit

SCHEMAS = Path(__file__).parents[2] / "schemas"
NOW = 1_800_000_000_000


def _record(value: bytes, event_type: str, key: str = "k") -> ConsumedRecord:
    return ConsumedRecord(
        "retail.x", 0, 7, key.encode(), value, (("event_type", event_type.encode()),), NOW
    )


@pytest.mark.parametrize("show_personal", [False, True])
def test_every_personal_field_is_masked_in_lines_and_json(show_personal: bool) -> None:
    catalogue = load_catalogue(SCHEMAS)
    serde = SingleObjectSerde(catalogue)
    lister = Lister(serde, PersonalData(catalogue), show_personal=show_personal)
    customer = next(e for e in example_events() if isinstance(e, CustomerUpserted))
    created = next(e for e in example_events() if isinstance(e, OrderCreated))
    assert customer.email and customer.phone and customer.default_address
    assert created.shipping_address is not None
    secrets = [customer.email, customer.phone, customer.default_address.line1,
               created.shipping_address.line1]  # fmt: skip
    output = ""
    for event in (customer, created):
        entry = lister.entry(_record(serde.encode(event.model_dump()), event.envelope.event_type))
        output += entry.line() + json.dumps(entry.document(), default=str)
    for secret in secrets:
        assert (secret in output) is show_personal


def test_an_unknown_event_type_is_masked_whole() -> None:
    personal = PersonalData(load_catalogue(SCHEMAS))
    assert personal.mask("not_in_catalogue", {"email": "a@b.c"}) == {"email": "***"}


def test_times_and_durations_as_kafka_consumer_groups_takes_them() -> None:
    assert duration_ms("PT30M") == duration_ms("30m") == 1_800_000
    assert duration_ms("P1DT2H") == 26 * 3_600_000
    assert instant_ms("-30m", NOW) == NOW - 1_800_000
    assert instant_ms("2027-01-15T08:00:00Z", NOW) == NOW
    with pytest.raises(ValueError, match="no zone"):
        instant_ms("2027-01-15T08:00:00", NOW)
    with pytest.raises(ValueError):
        duration_ms("soon")


def test_filters_by_key_type_and_decoded_fields() -> None:
    where = parse_where(["envelope.source_version=3", "order_ref = shop:1"])
    assert where == {"envelope.source_version": "3", "order_ref": "shop:1"}
    selection = Filter(key="shop:1", event_type="order_created", where=where)
    assert selection.keeps_raw(_record(b"", "order_created", key="shop:1"))
    assert not selection.keeps_raw(_record(b"", "order_created", key="shop:2"))
    assert not selection.keeps_raw(_record(b"", "order_cancelled", key="shop:1"))
    assert selection.keeps({"order_ref": "shop:1", "envelope": {"source_version": 3}})
    assert not selection.keeps({"order_ref": "shop:1", "envelope": {"source_version": 4}})
    with pytest.raises(ValueError, match="field=value"):
        parse_where(["nothing"])


def test_murmur2_gives_kafkas_own_hashes() -> None:
    # The expected values are those of Kafka's UtilsTest for Utils.murmur2.
    assert murmur2(b"21") == -973932308
    assert murmur2(b"foobar") == -790332482
    assert murmur2(b"a-little-bit-long-string") == -985981536
    assert murmur2(b"a-little-bit-longer-string") == -1486304829
    assert murmur2(b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8") == -58897971
    assert murmur2(b"abc") == 479470107
    assert partition_for(b"foobar", 12) == (-790332482 & 0x7FFFFFFF) % 12


def test_audit_positions_are_runs_per_partition() -> None:
    assert offset_ranges([9, 3, 4, 5, 7, 12, 13, 4]) == "3-5,7,9,12-13"
    entries = positions_by_partition([("t", 1, 5), ("t", 0, 2), ("t", 1, 6), ("t", 1, 8)])
    assert entries == [
        {"partition": "t[0]", "offsets": "2", "records": 1},
        {"partition": "t[1]", "offsets": "5-6,8", "records": 3},
    ]


@pytest.mark.parametrize(
    "timestamp_ms", [0, 1_800_000_000_000, 1_800_000_000_007, 1_800_000_059_999]
)
def test_a_listed_record_shows_its_time_in_utc_to_the_millisecond(timestamp_ms: int) -> None:
    record = ConsumedRecord(topic="retail.orders", partition=0, offset=0, key=None,
                            value=None, headers=(), timestamp_ms=timestamp_ms)  # fmt: skip
    catalogue = load_catalogue(SCHEMAS)
    lister = Lister(SingleObjectSerde(catalogue), PersonalData(catalogue), show_personal=False)
    entry = lister.entry(record)
    expected = datetime.fromtimestamp(timestamp_ms / 1000, UTC).isoformat(timespec="milliseconds")
    assert entry.time == expected
    assert entry.line().startswith(f"{expected}  retail.orders[0] 0  -")
