"""``retailsync status`` on the real broker: group health, dead letters by error class,
events per minute and late orders, as JSON and as tables."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from confluent_kafka.admin import AdminClient

from retailsync.settings import Settings
from tests.integration.lifecycle_support import flowing, lifecycle_group, make_lifecycle
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
    # Over the last 15 minutes: two orders created, one payment, one shipment.
    assert report["events_per_minute"] == {
        "order_created": round(2 / 15, 1),
        "payment_captured": round(1 / 15, 1),
        "shipment_dispatched": round(1 / 15, 1),
    }
    assert report["orders_reached"]["accepted"] == 3
    assert report["late"] == {"shipped": 1}
    table = operated.cli("status").stdout
    assert "consumer groups" in table
    assert "retailsync.errors.PermanentError" in table
