"""``retailsync replay GROUP --key K`` on the real broker: one order re-applied in one group,
in order, and nothing anywhere else."""

from __future__ import annotations

from pathlib import Path

import pytest
from confluent_kafka.admin import AdminClient

from retailsync import headers as h
from retailsync.consumer import ConsumerService
from retailsync.settings import Settings
from tests.integration.harness import Sink, order
from tests.integration.operator_support import Operated, make_operated

pytestmark = pytest.mark.integration


@pytest.fixture
def operated(kafka_settings: Settings, admin: AdminClient, unique: str, tmp_path: Path) -> Operated:
    return make_operated(kafka_settings, admin, unique, tmp_path)


def test_a_key_replay_reapplies_one_order_in_one_group_in_order(operated: Operated) -> None:
    pipeline = operated.pipeline
    mine, others = Sink(), Sink()
    other_service = ConsumerService(operated.other_group)
    other_service.handler("order_created", target="shop")(lambda e, _c: others.add(e))
    pipeline.publish(order("shop:A", 1), order("shop:B", 2), order("shop:A", 3),
                     order("shop:C", 4), order("shop:A", 5))  # fmt: skip
    with (
        pipeline.running(pipeline.service(lambda event, _context: mine.add(event))),
        pipeline.running(other_service),
    ):
        pipeline.wait(lambda: mine.count() == 5 and others.count() == 5, what="both applied")

        plan = operated.cli("replay", pipeline.group, "--key", "shop:A").stdout
        assert "This replays 3 order_created" in plan
        assert "Plan only" in plan
        window = operated.json("replay", pipeline.group, "--since", "1h",
                               "--event-type", "order_created")  # fmt: skip
        assert len(window["records"]) == 5
        assert mine.count() == 5  # plans change nothing

        done = operated.cli("replay", pipeline.group, "--key", "shop:A", "--execute").stdout
        assert "Copied 3 records" in done
        pipeline.wait(lambda: mine.of("shop:A") == [1, 3, 5, 1, 3, 5], what="shop:A replayed")
    assert mine.of("shop:B") == [2] and mine.of("shop:C") == [4]
    assert others.count() == 5
    assert operated.committed_records(f"{pipeline.topic}.{operated.other_group}.retry.1s") == []

    (audit,) = operated.json("audit")
    assert audit["action"] == "replay key"
    copies = operated.committed_records(f"{pipeline.topic}.{pipeline.group}.retry.1s")
    assert [h.text_header(c.headers, h.REPLAY) for c in copies] == [audit["id"]] * 3
    source = {(r.partition, r.offset) for r in operated.committed_records(pipeline.topic)
              if r.key == b"shop:A"}  # fmt: skip
    # The partition computed from the key is the one the publisher chose.
    assert {(c.partition, h.int_header(c.headers, h.ORIGINAL_OFFSET)) for c in copies} == source
