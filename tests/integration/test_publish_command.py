"""``retailsync publish`` as a process against the real broker: JSON lines or one document,
each event's position printed, and a bad record named by line and field with nothing sent."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from confluent_kafka.admin import AdminClient

from retailsync import InventoryAdjusted
from retailsync import headers as h
from retailsync.events.examples import example_events
from retailsync.settings import Settings
from tests.commerce import COMMERCE_TOPOLOGY
from tests.integration.harness import SCHEMAS, Pipeline, make_pipeline

pytestmark = pytest.mark.integration
LANDED = re.compile(r"^line (\d+): inventory_adjusted (\S+) at (\S+)\[(\d+)\] (\d+)$")


@pytest.fixture
def pipeline(kafka_settings: Settings, admin: AdminClient, unique: str) -> Pipeline:
    return make_pipeline(kafka_settings, admin, unique, template=COMMERCE_TOPOLOGY)


def inventory(pipeline: Pipeline) -> str:
    return f"{pipeline.topic.rsplit('.', 1)[0]}.inventory"


def stock_levels(count: int) -> list[InventoryAdjusted]:
    stock = next(e for e in example_events() if isinstance(e, InventoryAdjusted))
    return [
        stock.model_copy(
            update={
                "sku": f"SKU-{n}",
                "envelope": stock.envelope.model_copy(
                    update={"event_id": InventoryAdjusted.new_envelope(
                        source=stock.envelope.source, source_ref=f"SKU-{n}",
                        occurred_at=stock.envelope.occurred_at, source_version=n + 1,
                    ).event_id}
                ),
            }
        )
        for n in range(count)
    ]  # fmt: skip


def cli(
    pipeline: Pipeline, tmp_path: Path, *arguments: str, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    topology = tmp_path / "topology.yaml"
    topology.write_text(pipeline.text)
    environment = {k: v for k, v in os.environ.items() if not k.startswith("RETAILSYNC_")}
    environment |= {
        "RETAILSYNC_BOOTSTRAP_SERVERS": pipeline.settings.bootstrap_servers,
        "RETAILSYNC_TOPOLOGY_FILE": str(topology),
        "RETAILSYNC_SCHEMAS_DIR": str(SCHEMAS),
        "RETAILSYNC_LOG_LEVEL": "WARNING",
    }
    return subprocess.run(
        [sys.executable, "-m", "commands", "publish", *arguments],
        env=environment,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_json_lines_on_stdin_are_published_and_each_position_printed(
    pipeline: Pipeline, tmp_path: Path
) -> None:
    levels = stock_levels(3)
    lines = "\n".join(level.model_dump_json() for level in levels) + "\n"

    done = cli(pipeline, tmp_path, "inventory_adjusted", stdin=lines)

    assert done.returncode == 0, done.stderr
    printed = [LANDED.match(line) for line in done.stdout.splitlines()]
    assert all(printed), done.stdout
    assert [int(m[1]) for m in printed if m] == [1, 2, 3]
    assert [m[2] for m in printed if m] == [str(level.envelope.event_id) for level in levels]
    records = pipeline.records(inventory(pipeline), expect=3)
    written = {(r.partition, r.offset): h.text_header(r.headers, h.EVENT_ID) for r in records}
    assert len(written) == 3
    for m in printed:
        assert m is not None and m[3] == inventory(pipeline)
        assert written[(int(m[4]), int(m[5]))] == m[2]


def test_a_bad_record_is_named_by_line_and_field_and_nothing_is_published(
    pipeline: Pipeline, tmp_path: Path
) -> None:
    good, bad, also_good = (json.loads(e.model_dump_json()) for e in stock_levels(3))
    del bad["sku"]
    bad["on_hand"] = "1e400"  # beyond the Avro decimal
    events = tmp_path / "levels.jsonl"
    events.write_text("\n".join(json.dumps(e) for e in (good, bad, also_good)) + "\n")

    done = cli(pipeline, tmp_path, "inventory_adjusted", "--file", str(events))

    assert done.returncode == 2
    assert "line 2: " in done.stderr
    assert "sku: Field required" in done.stderr
    assert "on_hand:" in done.stderr
    assert "line 1" not in done.stderr and "line 3" not in done.stderr
    assert "nothing was published" in done.stderr.splitlines()[-1]
    assert done.stdout == ""
    assert pipeline.size(inventory(pipeline)) == 0


def test_skip_invalid_publishes_the_valid_records_and_exits_1(
    pipeline: Pipeline, tmp_path: Path
) -> None:
    first, second = stock_levels(2)
    lines = f"{first.model_dump_json()}\nnot json\n\n{second.model_dump_json()}\n"

    done = cli(pipeline, tmp_path, "inventory_adjusted", "--skip-invalid", stdin=lines)

    assert done.returncode == 1
    assert "line 2: not JSON" in done.stderr
    assert [m[1] for m in map(LANDED.match, done.stdout.splitlines()) if m] == ["1", "4"]
    assert pipeline.size(inventory(pipeline)) == 2


def test_one_json_document_over_several_lines_is_one_event(
    pipeline: Pipeline, tmp_path: Path
) -> None:
    (level,) = stock_levels(1)
    document = tmp_path / "event.json"
    document.write_text("\n" + json.dumps(json.loads(level.model_dump_json()), indent=2))

    done = cli(pipeline, tmp_path, "inventory_adjusted", "--file", str(document))

    assert done.returncode == 0, done.stderr
    (printed,) = done.stdout.splitlines()
    assert printed.startswith(f"line 2: inventory_adjusted {level.envelope.event_id} at ")
    assert pipeline.size(inventory(pipeline)) == 1


def test_an_event_of_another_type_is_refused(pipeline: Pipeline, tmp_path: Path) -> None:
    (level,) = stock_levels(1)

    done = cli(pipeline, tmp_path, "order_created", stdin=level.model_dump_json())

    assert done.returncode == 2
    assert "line 1: " in done.stderr
    assert pipeline.size(f"{pipeline.topic.rsplit('.', 1)[0]}.orders") == 0
