"""The front door for services publishing events: the Publisher's positions, and the
README's runnable example against the real broker."""

from __future__ import annotations

import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from confluent_kafka.admin import AdminClient

from retailsync import InventoryAdjusted, Publisher
from retailsync import headers as h
from retailsync.events.examples import example_events
from retailsync.settings import Settings
from tests.commerce import COMMERCE_TOPOLOGY
from tests.integration.harness import SCHEMAS, Pipeline, make_pipeline

pytestmark = pytest.mark.integration
ROOT = Path(__file__).parents[2]


@pytest.fixture
def pipeline(kafka_settings: Settings, admin: AdminClient, unique: str) -> Pipeline:
    return make_pipeline(kafka_settings, admin, unique, template=COMMERCE_TOPOLOGY)


def test_flush_says_where_each_event_landed_in_publish_order(pipeline: Pipeline) -> None:
    stock = next(e for e in example_events() if isinstance(e, InventoryAdjusted))
    levels = [
        stock.model_copy(update={"sku": f"SKU-{n}"}, deep=True)
        for n in range(6)  # several keys: several partitions, reports out of order
    ]
    with Publisher(
        pipeline.settings, pipeline.topology, pipeline.serde, positions=True
    ) as publisher:
        for level in levels:
            publisher.publish(level)
        landed = publisher.flush()

    assert [where.event_id for where in landed] == [e.envelope.event_id for e in levels]
    records = pipeline.records(f"{pipeline.topic.rsplit('.', 1)[0]}.inventory", expect=6)
    written = {(r.partition, r.offset): h.text_header(r.headers, h.EVENT_ID) for r in records}
    for where in landed:
        assert written[(where.partition, where.offset)] == str(where.event_id)
        assert str(where) == f"{where.topic}[{where.partition}] {where.offset}"


def test_the_readme_example_publishes_a_stock_level(pipeline: Pipeline, tmp_path: Path) -> None:
    topology = tmp_path / "topology.yaml"
    topology.write_text(pipeline.text)
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith("RETAILSYNC_")},
        "RETAILSYNC_BOOTSTRAP_SERVERS": pipeline.settings.bootstrap_servers,
        "RETAILSYNC_TOPOLOGY_FILE": str(topology),
        "RETAILSYNC_SCHEMAS_DIR": str(SCHEMAS),
    }
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "publish_inventory.py"), "MUG-1", "WH/Stock", "7"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )

    inventory = f"{pipeline.topic.rsplit('.', 1)[0]}.inventory"
    (record,) = pipeline.records(inventory, expect=1)
    event = pipeline.serde.decode(
        record.value,
        topic=inventory,
        partition=record.partition,
        offset=record.offset,
        key=record.key,
    )
    assert isinstance(event, InventoryAdjusted)
    assert (event.sku, event.location, event.available) == ("MUG-1", "WH/Stock", Decimal(7))
    assert f"landed at {inventory}[{record.partition}] {record.offset}" in done.stdout
