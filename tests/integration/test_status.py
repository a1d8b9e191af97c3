"""``retailsync status`` on the real broker: group health (a group paused by back-pressure
too), dead letters by error class, events per minute and late orders, as JSON and as
tables."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from confluent_kafka.admin import AdminClient

from retailsync.errors import TargetUnavailableError
from retailsync.events import OrderCreated
from retailsync.settings import Settings
from tests.integration.lifecycle_support import event, flowing, lifecycle_group, make_lifecycle
from tests.integration.operator_support import Operated

pytestmark = pytest.mark.integration


@pytest.fixture
def operated(
    kafka_settings: Settings, admin: AdminClient, unique: str, tmp_path: Path
) -> Iterator[Operated]:
    operated = make_lifecycle(kafka_settings, admin, unique, tmp_path)
    with flowing(operated):
        yield operated


def test_status_tells_health_dead_letters_events_and_late_orders(operated: Operated) -> None:
    report = operated.json("status")
    applier, lifecycle = operated.pipeline.group, lifecycle_group(operated)
    groups = {g["group"]: g for g in report["groups"]}
    assert groups.keys() == {applier, lifecycle}
    assert groups[applier]["members"] == 1
    assert groups[applier]["state"] in {"up", "behind"}
    assert groups[applier]["dead_letters"] == 1
    assert [(d["group"], d["error_class"], d["open"]) for d in report["dead_letters"]] == [
        (applier, "retailsync.errors.PermanentError", 1)
    ]
    # Over the last 15 minutes: two orders created, one allocated, invoiced, paid, shipped.
    assert report["events_per_minute"] == {
        "order_created": round(2 / 15, 1),
        "order_allocated": round(1 / 15, 1),
        "order_invoiced": round(1 / 15, 1),
        "payment_captured": round(1 / 15, 1),
        "shipment_dispatched": round(1 / 15, 1),
    }
    assert report["orders_reached"]["accepted"] == 3
    assert (report["orders_reached"]["allocated"], report["orders_reached"]["invoiced"]) == (1, 1)
    assert report["late"] == {"shipped": 1}
    table = operated.cli("status").stdout
    assert "consumer groups" in table
    assert "retailsync.errors.PermanentError" in table


def test_status_shows_a_group_paused_by_back_pressure_until_it_resumes(
    kafka_settings: Settings, admin: AdminClient, unique: str, tmp_path: Path
) -> None:
    operated = make_lifecycle(kafka_settings, admin, unique, tmp_path)
    pipeline = operated.pipeline
    shop_down = threading.Event()
    shop_down.set()

    def apply(_created: OrderCreated, _context: object) -> None:
        if shop_down.is_set():
            raise TargetUnavailableError("the shop answered 503", target="shop")

    def state() -> object:
        groups = {g["group"]: g for g in operated.json("status")["groups"]}
        return groups[pipeline.group]["state"]

    pipeline.publish(event(OrderCreated, "shop:paused", datetime.now(UTC)))
    with pipeline.running(pipeline.service(apply)):
        pipeline.wait(lambda: state() == "paused by shop", 60, "the group shown paused")
        assert "paused by shop" in operated.cli("status").stdout
        shop_down.clear()
        pipeline.wait(lambda: state() == "up", 60, "the group shown up again")
    assert pipeline.committed(pipeline.group, pipeline.topic) == 1
