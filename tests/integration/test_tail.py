"""``retailsync tail`` on the real broker: selection, decoding, personal data masked."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from confluent_kafka.admin import AdminClient

from retailsync.events import CustomerUpserted, OrderCreated
from retailsync.events.examples import example_events
from retailsync.settings import Settings
from tests.integration.harness import order
from tests.integration.operator_support import Operated, make_operated

pytestmark = pytest.mark.integration


@pytest.fixture
def operated(kafka_settings: Settings, admin: AdminClient, unique: str, tmp_path: Path) -> Operated:
    return make_operated(kafka_settings, admin, unique, tmp_path)


def test_tail_lists_selects_and_reads_from_a_time(operated: Operated) -> None:
    pipeline = operated.pipeline
    operated.publish_transactionally(*[order(f"shop:{n % 4}", n) for n in range(1, 13)])
    lines = operated.cli("tail", pipeline.topic).stdout.splitlines()
    assert len(lines) == 12
    assert all(f"{pipeline.topic}[" in line and "order_created" in line for line in lines)

    keyed = operated.json("tail", pipeline.topic, "--key", "shop:1")
    assert [d["event"]["envelope"]["source_version"] for d in keyed] == [1, 5, 9]
    assert all(d["key"] == "shop:1" for d in keyed)
    where = operated.json("tail", pipeline.topic, "--where", "envelope.source_version=7")
    assert [d["key"] for d in where] == ["shop:3"]
    assert len(operated.json("tail", pipeline.topic, "--limit", "5")) == 5
    assert operated.json("tail", pipeline.topic, "--from", "latest") == []
    assert len(operated.json("tail", pipeline.topic, "--from", "-10m")) == 12
    assert operated.json("tail", pipeline.topic, "--from", "2999-01-01T00:00:00Z") == []
    assert operated.json("tail", pipeline.topic, "--event-type", "order_cancelled") == []


def test_personal_data_is_masked_unless_asked_for(operated: Operated) -> None:
    pipeline = operated.pipeline
    created = next(e for e in example_events() if isinstance(e, OrderCreated))
    customer = next(e for e in example_events() if isinstance(e, CustomerUpserted))
    assert created.shipping_address is not None and customer.email and customer.phone
    address_line = created.shipping_address.line1
    pipeline.publish(created.model_copy(update={"order_ref": "shop:pii"}))

    masked = (
        operated.cli("tail", pipeline.topic).stdout
        + operated.cli("tail", pipeline.topic, "--json").stdout
    )
    assert address_line not in masked
    assert "***" in masked
    shown = operated.cli("tail", pipeline.topic, "--json", "--show-personal-data").stdout
    assert address_line in shown


def test_tail_follow_prints_records_as_they_arrive(operated: Operated) -> None:
    pipeline = operated.pipeline
    follower = subprocess.Popen(
        [sys.executable, "-m", "commands", "tail", pipeline.topic, "--from", "latest",
         "--follow", "--limit", "2"],
        env=operated.environment(), cwd=operated.directory,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        # Publish until the follower has seen two records: it may still be starting up
        # when the first ones arrive, and --from latest skips what came before it.
        deadline = time.monotonic() + 60
        sequence = 0
        while follower.poll() is None and time.monotonic() < deadline:
            sequence += 1
            pipeline.publish(order("shop:live", sequence))
            try:
                follower.wait(timeout=1)
            except subprocess.TimeoutExpired:
                continue
        out, err = follower.communicate(timeout=10)
    finally:
        if follower.poll() is None:
            follower.kill()
    assert follower.returncode == 0, err
    lines = out.splitlines()
    assert len(lines) == 2
    assert all("shop:live" in line for line in lines)
