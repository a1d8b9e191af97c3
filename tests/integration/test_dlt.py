"""``retailsync dlt`` on the real broker: list, discard, and a redrive that applies each
fixed record once even when two operators run it at the same moment."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient

from retailsync import headers as h
from retailsync.consumer import HandlerContext
from retailsync.consumer.retry_path import MAX_RECORD_BYTES
from retailsync.errors import PermanentError
from retailsync.events import OrderCreated
from retailsync.settings import Settings
from tests.integration.harness import Sink, order
from tests.integration.operator_support import Operated, make_operated

pytestmark = pytest.mark.integration


@pytest.fixture
def operated(kafka_settings: Settings, admin: AdminClient, unique: str, tmp_path: Path) -> Operated:
    return make_operated(kafka_settings, admin, unique, tmp_path)


def test_dead_letters_are_listed_discarded_and_redriven_once(operated: Operated) -> None:
    pipeline = operated.pipeline
    sink = Sink()
    broken = {"shop:1", "shop:2", "shop:3", "shop:4"}

    def handler(event: OrderCreated, _context: HandlerContext) -> None:
        if event.order_ref in broken:
            raise PermanentError(f"unknown SKU 'X-{event.envelope.source_version}'")
        sink.add(event)

    dead_letter_topic = f"{pipeline.topic}.{pipeline.group}.dlt"
    retry_1s = f"{pipeline.topic}.{pipeline.group}.retry.1s"
    pipeline.publish(*[order(f"shop:{n}", n) for n in range(1, 7)])
    with pipeline.running(pipeline.service(handler)):
        pipeline.wait(lambda: sink.count() == 2, what="the two good orders")
        pipeline.wait(lambda: pipeline.size(dead_letter_topic) == 4, what="4 dead letters")

        (listed,) = operated.json("dlt", "list", pipeline.group)
        shown = operated.cli("dlt", "show", pipeline.group, "--key", "shop:1").stdout
        assert f"{dead_letter_topic}[" in shown
        assert f"retailsync.original.topic: {pipeline.topic}" in shown
        assert "retailsync.error.message: unknown SKU 'X-1'" in shown
        address = order("shop:1", 1).shipping_address
        assert address is not None and address.line1 not in shown  # personal data masked
        assert listed["topic"] == dead_letter_topic
        assert listed["error_class"] == "retailsync.errors.PermanentError"
        assert listed["pattern"] == "unknown SKU '…'"  # alike messages group together
        assert (listed["open"], listed["redriven"], listed["discarded"]) == (4, 0, 0)

        plan = operated.cli("dlt", "discard", pipeline.group, "--key", "shop:3",
                            "--reason", "cancelled by the customer").stdout  # fmt: skip
        assert "Plan only" in plan
        operated.cli("dlt", "discard", pipeline.group, "--key", "shop:3",
                     "--reason", "cancelled by the customer", "--execute")  # fmt: skip
        (listed,) = operated.json("dlt", "list", pipeline.group)
        assert (listed["open"], listed["discarded"]) == (3, 1)

        broken -= {"shop:1", "shop:2"}  # the fix is deployed; shop:4 still fails
        redrives = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "commands",
                    "dlt",
                    "redrive",
                    pipeline.group,
                    "--execute",
                    "--actor",
                    f"operator-{n}",
                ],
                env=operated.environment(),
                cwd=operated.directory,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for n in (1, 2)
        ]
        outcomes = [(p.wait(120), *p.communicate()) for p in redrives]
        assert any(code == 0 and "Redrove 3" in out for code, out, _ in outcomes), outcomes
        copies = operated.committed_records(retry_1s)
        assert sorted(r.key for r in copies) == [b"shop:1", b"shop:2", b"shop:4"]  # once each

        pipeline.wait(lambda: sink.count() == 4, what="the redriven orders applied")
        pipeline.wait(lambda: pipeline.size(dead_letter_topic) == 5, what="shop:4 dead again")
    assert sorted(sink.of("shop:1") + sink.of("shop:2")) == [1, 2]

    again = max(pipeline.records(dead_letter_topic, expect=5), key=lambda r: r.offset)
    first = min(
        (r for r in pipeline.records(dead_letter_topic, expect=5) if r.key == b"shop:4"),
        key=lambda r: r.offset,
    )
    assert again.key == b"shop:4"
    assert h.int_header(again.headers, h.REDRIVES) == 1
    assert h.int_header(again.headers, h.FIRST_FAILURE) == h.int_header(
        first.headers, h.FIRST_FAILURE
    )
    counts = {(d["open"], d["redriven"], d["discarded"])
              for d in operated.json("dlt", "list", pipeline.group)}  # fmt: skip
    assert counts == {(1, 3, 1)}  # shop:4's new dead letter is open; its old one redriven
    assert (
        "Nothing to redrive."
        in operated.cli("dlt", "redrive", pipeline.group, "--key", "shop:1", "--execute").stdout
    )
    actions = [a["action"] for a in operated.json("audit")]
    assert actions.count("dlt redrive") == 1
    assert actions.count("dlt discard") == 1


def test_a_dead_letter_without_its_value_is_not_redriven_and_says_how_to_read_it_again(
    operated: Operated,
) -> None:
    pipeline = operated.pipeline
    producer = Producer(
        {"bootstrap.servers": pipeline.settings.bootstrap_servers,
         "message.max.bytes": MAX_RECORD_BYTES}
    )  # fmt: skip
    producer.produce(
        pipeline.topic, key=b"shop:big", value=b"\x00" * (MAX_RECORD_BYTES - 1_024), partition=0
    )
    assert producer.flush(10) == 0
    dead_letter_topic = f"{pipeline.topic}.{pipeline.group}.dlt"
    with pipeline.running(pipeline.service(lambda _event, _context: None)):
        (dead,) = pipeline.records(dead_letter_topic, timeout_s=30, expect=1)
    assert dead.value is None

    out = operated.cli("dlt", "redrive", pipeline.group, "--execute").stdout
    assert (
        f"Not redriven: {dead_letter_topic}[0] 0 carries no value (too large to copy); it is "
        f"read again by `retailsync replay {pipeline.group} --topic {pipeline.topic}:0 "
        "--to-offset 0`"
    ) in out
    assert "Nothing to redrive." in out
    assert pipeline.size(f"{pipeline.topic}.{pipeline.group}.retry.1s") == 0


def test_a_redrive_at_a_rate_sends_that_many_per_second(operated: Operated) -> None:
    pipeline = operated.pipeline

    def handler(event: OrderCreated, _context: HandlerContext) -> None:
        raise PermanentError(f"unknown SKU in {event.order_ref}")

    dead_letter_topic = f"{pipeline.topic}.{pipeline.group}.dlt"
    pipeline.publish(*[order(f"shop:{n}", n) for n in range(1, 5)])
    with pipeline.running(pipeline.service(handler)):
        pipeline.records(dead_letter_topic, timeout_s=30, expect=4)

    out = operated.cli("dlt", "redrive", pipeline.group, "--rate", "2/s", "--execute").stdout
    assert f"Redrove 4 dead letters of {pipeline.group}" in out
    copies = operated.committed_records(f"{pipeline.topic}.{pipeline.group}.retry.1s")
    written = sorted(record.timestamp_ms for record in copies)
    assert len(written) == 4
    # Two per second: the second pair is written a second after the first.
    assert written[2] - written[0] >= 900
