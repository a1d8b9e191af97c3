"""The order-lifecycle projection on the real broker: rebuilt from scratch by replay it
equals the live one, a late shipment is late, and a dead-lettered event is on its order's
timeline."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient
from sqlalchemy import URL

from consumers.order_lifecycle.store import LifecycleStore
from retailsync.consumer import ConsumerService, HandlerContext
from retailsync.errors import PermanentError, TransientError
from retailsync.events import (
    Event,
    OrderAllocated,
    OrderCancelled,
    OrderCreated,
    OrderEdited,
    OrderInvoiced,
    PaymentCaptured,
    RefundIssued,
    ReturnReceived,
    ShipmentDispatched,
)
from retailsync.settings import Settings
from tests.integration.lifecycle_support import (
    event,
    lifecycle_group,
    make_lifecycle,
    projecting,
    remove_database,
)
from tests.integration.operator_support import Operated

pytestmark = pytest.mark.integration

NOW = datetime.now(UTC)
REFUSED = "shop:refused"  # the applier dead-letters its order_created
FLAKY = "shop:flaky"  # the applier fails its order_created once, then applies it


@pytest.fixture
def operated(kafka_settings: Settings, admin: AdminClient, unique: str, tmp_path: Path) -> Operated:
    return make_lifecycle(kafka_settings, admin, unique, tmp_path)


def _applier(operated: Operated) -> ConsumerService:
    failed_once: set[str] = set()

    def apply(created: OrderCreated, _context: HandlerContext) -> None:
        if created.order_ref == REFUSED:
            raise PermanentError("the target refused the order")
        if created.order_ref == FLAKY and FLAKY not in failed_once:
            failed_once.add(FLAKY)
            raise TransientError("the target timed out")

    return operated.pipeline.service(apply)


def _a_day_of_orders() -> list[Event]:
    at = NOW - timedelta(hours=6)
    events: list[Event] = []
    for n in range(8):
        ref = f"shop:{1000 + n}"
        events += [
            event(OrderCreated, ref, at),
            event(PaymentCaptured, ref, at + timedelta(minutes=5)),
        ]
        if n % 4 == 1:
            events.append(event(OrderCancelled, ref, at + timedelta(minutes=9)))
            continue
        events += [event(OrderEdited, ref, at + timedelta(minutes=7)),
                   event(OrderAllocated, ref, at + timedelta(minutes=30)),
                   event(OrderInvoiced, ref, at + timedelta(minutes=40)),
                   event(ShipmentDispatched, ref, at + timedelta(hours=2))]  # fmt: skip
        if n % 4 == 2:
            events += [event(ReturnReceived, ref, at + timedelta(hours=4)),
                       event(RefundIssued, ref, at + timedelta(hours=5))]  # fmt: skip
    events += [event(OrderCreated, REFUSED, at), event(OrderCreated, FLAKY, at)]
    return events


def _settled(view: LifecycleStore, events: int) -> bool:
    contents = view.contents()
    kinds = {(row[6], row[7]) for row in contents["failures"]}  # (group's, kind)
    return len(contents["events"]) == events and len(kinds) == 2


def test_rebuilt_from_scratch_by_replay_the_projection_equals_the_live_one(
    kafka_settings: Settings,
    admin: AdminClient,
    unique: str,
    tmp_path: Path,
    store_at: Callable[[], Path | URL],
) -> None:
    operated = make_lifecycle(kafka_settings, admin, unique, tmp_path, store_at())
    events = _a_day_of_orders()
    operated.pipeline.publish(*events)
    # A re-delivered event (the same id again) changes nothing.
    operated.pipeline.publish(events[0])
    with operated.pipeline.running(_applier(operated)):
        with projecting(operated) as view:
            operated.pipeline.wait(lambda: _settled(view, len(events)), 60, "the live fold")
            live = view.contents()
        group = lifecycle_group(operated)
        remove_database(operated)
        operated.cli("replay", group, "--to-earliest", "--execute")
        with projecting(operated) as view:
            operated.pipeline.wait(lambda: _settled(view, len(events)), 60, "the rebuild")
            assert view.contents() == live
    assert len(live["orders"]) == 10
    assert {row[7] for row in live["failures"]} == {"retry", "dead_letter"}


def test_a_dead_lettered_event_is_on_its_orders_timeline(operated: Operated) -> None:
    pipeline = operated.pipeline
    pipeline.publish(event(OrderCreated, REFUSED, NOW - timedelta(minutes=3)))
    # A record nobody can read: the applier dead-letters it, and so does the projection
    # from the orders topic, but not a second time from the applier's dead-letter topic.
    producer = Producer({"bootstrap.servers": pipeline.settings.bootstrap_servers})
    producer.produce(pipeline.topic, b"not avro", b"shop:garbled",
                     headers=[("event_type", b"order_created")])  # fmt: skip
    assert producer.flush(10) == 0
    applier_dlt = f"{pipeline.topic}.{pipeline.group}.dlt"
    own_dlt = f"{pipeline.topic}.{lifecycle_group(operated)}.dlt"
    with pipeline.running(_applier(operated)), projecting(operated) as view:
        pipeline.wait(
            lambda: any(e.kind == "dead_letter" for e in view.timeline(REFUSED)),
            60,
            "the dead letter on the timeline",
        )
        pipeline.wait(
            lambda: pipeline.committed(lifecycle_group(operated), applier_dlt) == 2,
            60,
            "the projection past both dead letters",
        )
    assert pipeline.size(own_dlt) == 1
    shown = operated.json("orders", "show", REFUSED)
    applier = operated.pipeline.group
    what = [line["what"] for line in shown["timeline"]]
    assert what == [
        "order_created",
        f"order_created dead-lettered by {applier}: retailsync.errors.PermanentError",
    ]
    dead_letter = shown["timeline"][1]
    assert dead_letter["position"].startswith(f"{operated.unique}.orders.{applier}.dlt[")
    assert f"retailsync dlt show {applier} --key {REFUSED}" in shown["commands"]
    # The command printed for the record shows that very record.
    tail = operated.cli(*dead_letter["command"].split()[1:], "--json")
    (record,) = json.loads(tail.stdout)
    assert record["key"] == REFUSED


def test_a_late_shipment_is_late(operated: Operated) -> None:
    accepted = NOW - timedelta(hours=72)
    operated.pipeline.publish(
        event(OrderCreated, "shop:open", accepted),  # never shipped: overdue
        event(OrderCreated, "shop:slow", accepted),
        event(ShipmentDispatched, "shop:slow", accepted + timedelta(hours=50)),
        event(OrderCreated, "shop:fast", accepted),
        event(ShipmentDispatched, "shop:fast", accepted + timedelta(hours=20)),
        event(OrderCreated, "shop:cancelled", accepted),
        event(OrderCancelled, "shop:cancelled", accepted + timedelta(hours=1)),
        event(OrderCreated, "shop:new", NOW - timedelta(hours=1)),  # not due yet
    )
    with projecting(operated) as view:
        operated.pipeline.wait(lambda: len(view.contents()["events"]) == 8, 60, "the fold")
    operated.variables["RETAILSYNC_LIFECYCLE_SLO"] = json.dumps({"shipped": "48h"})
    late = operated.json("orders", "late", "--checkpoint", "shipped")
    assert sorted((row["order_ref"], row["reached"] == "open") for row in late) == [
        ("shop:open", True),
        ("shop:slow", False),
    ]
    assert {row["slo"] for row in late} == {"shipped within 2d of accepted"}
