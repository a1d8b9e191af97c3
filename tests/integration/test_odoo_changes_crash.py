"""SIGKILL of the change-capture producer between produce and commit, then a restart:
no change lost, none published twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest
from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.admin import AdminClient

from retailsync.events import InventoryAdjusted, ProductUpserted
from retailsync.odoo import OdooClient
from retailsync.settings import Settings
from sandbox.odoo import SandboxOdoo
from tests.contract.odoo.helpers import count_stock, main_warehouse, new_product
from tests.integration.harness import SCHEMAS, Pipeline, make_pipeline
from tests.integration.odoo_changes_support import (
    TOPOLOGY,
    WITHOUT_PRICES,
    environment,
    events,
    odoo_settings,
    only,
)

pytestmark = pytest.mark.integration

ROOT = Path(__file__).parents[2]
PRODUCTS = 12
PAGE_SIZE = 5


def start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as output:
        return subprocess.Popen(
            [sys.executable, "-m", *command], cwd=ROOT, env=env, stdout=output, stderr=output
        )


def levels(pipeline: Pipeline, expect: int | None = None) -> dict[str, list[Decimal]]:
    """Each sku's published on-hand quantities, in order (waiting for ``expect`` of them)."""
    found: dict[str, list[Decimal]] = defaultdict(list)
    for event in only(InventoryAdjusted, events(pipeline, "inventory", expect)):
        found[event.sku].append(event.on_hand)
    return dict(found)


def products_published(pipeline: Pipeline) -> list[str]:
    """The skus of the published product_upserted events, sorted, repeats included."""
    return sorted(event.sku for event in only(ProductUpserted, events(pipeline, "catalog")))


def uncommitted_size(settings: Settings, topic: str, partitions: int) -> int:
    """Records in ``topic`` including those of aborted transactions."""
    consumer = Consumer(
        {
            "bootstrap.servers": settings.bootstrap_servers,
            "group.id": "uncommitted-reader",
            "isolation.level": "read_uncommitted",
            "enable.partition.eof": True,
            "log_level": 0,
        }
    )
    consumer.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
    count, done = 0, 0
    try:
        while done < partitions:
            message = consumer.poll(10)
            assert message is not None, "timed out reading uncommitted records"
            if message.error() is None:
                count += 1
            else:
                done += 1
    finally:
        consumer.close()
    return count


def test_sigkill_between_produce_and_commit_then_restart_loses_and_repeats_nothing(
    kafka_settings: Settings, admin: AdminClient, unique: str, tmp_path: Path
) -> None:
    pipeline = make_pipeline(kafka_settings, admin, unique, template=TOPOLOGY)
    topology_file = tmp_path / "topology.yaml"
    topology_file.write_text(pipeline.text)
    log, marker = tmp_path / "producer.log", tmp_path / "paused"
    with SandboxOdoo.running() as odoo:
        settings = odoo_settings(
            kafka_settings, odoo, unique, odoo_page_size=PAGE_SIZE, odoo_models=WITHOUT_PRICES
        )
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("RETAILSYNC_")},
            **environment(settings, str(topology_file), str(SCHEMAS)),
        }
        with OdooClient.from_settings(settings.odoo) as client:
            stock = main_warehouse(client).stock_id
            products = [new_product(client, f"crash{n}") for n in range(PRODUCTS)]
            for n, product in enumerate(products):
                count_stock(client, product, stock, 10 + n)

            # Stock levels come in pages of 5, one transaction each: die before the 2nd commit.
            pausing = {"RETAILSYNC_TEST_PAUSE_AT": "2", "RETAILSYNC_TEST_MARKER": str(marker)}
            first = start(["tests.integration.odoo_crash_app"], {**env, **pausing}, log)
            pipeline.wait(
                lambda: marker.exists() or first.poll() is not None, 60, "the second commit"
            )
            assert first.poll() is None, log.read_text()[-2000:]
            first.send_signal(signal.SIGKILL)
            first.wait(10)
            # The first page's transaction, all of it (a loaded machine may take more than a
            # quick read's 2 s to fetch every partition), and nothing of the second.
            assert sum(map(len, levels(pipeline, expect=PAGE_SIZE).values())) == PAGE_SIZE

            # While it is down: a level it published changes, and one whose transaction died.
            count_stock(client, products[0], stock, 100)
            count_stock(client, products[PAGE_SIZE + 2], stock, 107)
            expected = {f"SKU-crash{n}": Decimal(10 + n) for n in range(PRODUCTS)}
            expected |= {"SKU-crash0": Decimal(100), f"SKU-crash{PAGE_SIZE + 2}": Decimal(107)}

            second = start(["commands", "serve", "odoo-changes"], env, log)
            try:
                pipeline.wait(
                    lambda: (
                        (
                            {sku: found[-1] for sku, found in levels(pipeline).items()} == expected
                            and products_published(pipeline) == sorted(expected)
                        )
                        or second.poll() is not None
                    ),
                    60,
                    "every final level and product",
                )
                assert second.poll() is None, log.read_text()[-2000:]
            finally:
                second.send_signal(signal.SIGTERM)
                second.wait(30)
    assert second.returncode == 0, log.read_text()[-2000:]

    published = levels(pipeline)
    assert published.pop("SKU-crash0") == [Decimal(10), Decimal(100)]
    assert published == {sku: [expected[sku]] for sku in published}
    assert len(published) == PRODUCTS - 1
    inventory = events(pipeline, "inventory")
    assert len({event.envelope.event_id for event in inventory}) == len(inventory) == PRODUCTS + 1
    assert products_published(pipeline) == sorted(expected)  # each product once
    # The killed transaction's records reached the brokers and were aborted, unseen.
    topic = f"{unique}.inventory"
    assert uncommitted_size(settings.kafka, topic, 3) > len(inventory)
