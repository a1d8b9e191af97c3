"""A Kafka-to-Kafka stage publishes each input's outputs exactly once, even across aborts."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from confluent_kafka.admin import AdminClient

from retailsync import headers as h
from retailsync.consumer import HandlerContext
from retailsync.consumer.transform import TransformStage
from retailsync.events import Event, OrderCancelled, OrderCreated
from retailsync.events.examples import example_events
from retailsync.settings import Settings
from tests.integration.harness import make_pipeline, order

pytestmark = pytest.mark.integration

TOPOLOGY = """
namespace: NS
defaults: {partitions: 3}
topics:
  NS.orders: {}
  NS.cancellations: {}
events:
  order_created: {topic: NS.orders, key: "{order_ref}"}
  order_cancelled: {topic: NS.cancellations, key: "{order_ref}"}
consumers:
  GROUP:
    subscriptions: [NS.orders]
    retry: {ordering: ORDERING}
"""
TOTAL = 400


def cancellation_of(created: OrderCreated) -> OrderCancelled:
    example = next(e for e in example_events() if isinstance(e, OrderCancelled))
    envelope = example.envelope.model_copy(
        update={"event_id": created.envelope.event_id, "causation_id": created.envelope.event_id}
    )
    return example.model_copy(update={"envelope": envelope, "order_ref": created.order_ref})


def test_outputs_are_published_exactly_once_although_a_batch_aborted(
    kafka_settings: Settings, admin: AdminClient, unique: str
) -> None:
    pipeline = make_pipeline(kafka_settings, admin, unique, template=TOPOLOGY)
    pipeline.publish(*[order(f"shop:{n % 13}", n) for n in range(TOTAL)])
    calls: list[int] = []
    failed = threading.Event()

    def cancel_everything(event: Event, _context: HandlerContext) -> Iterator[Event]:
        assert isinstance(event, OrderCreated)
        sequence = event.envelope.source_version or 0
        calls.append(sequence)
        yield cancellation_of(event)
        if sequence == TOTAL // 2 and not failed.is_set():
            failed.set()
            raise RuntimeError("the stage fails after publishing part of a batch")

    stage = TransformStage(
        pipeline.group, cancel_everything, kafka_settings, pipeline.topology, pipeline.serde
    )
    thread = threading.Thread(target=stage.run)
    thread.start()
    try:
        outputs = pipeline.records(f"{unique}.cancellations", timeout_s=60, expect=TOTAL)
        extra = pipeline.records(f"{unique}.cancellations", timeout_s=2)
    finally:
        stage.stop()
        thread.join(60)
    assert failed.is_set()
    assert len(calls) > TOTAL  # the aborted batch was transformed again
    assert len(extra) == TOTAL  # and yet no output is visible twice
    causes = [h.text_header(record.headers, h.EVENT_ID) for record in outputs]
    assert len(set(causes)) == TOTAL
    assert pipeline.committed(pipeline.group, pipeline.topic) == TOTAL
