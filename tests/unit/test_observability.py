"""The parts of observability that need no broker: JSON log lines and consumer lag."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from opentelemetry.sdk.trace import TracerProvider

from retailsync.logs import JsonFormatter, identify
from retailsync.metrics import ConsumerMetrics

pytestmark = pytest.mark.unit


@dataclass
class Record:
    topic: str
    partition: int
    timestamp_ms: int


def statistics(lag: dict[int, int], fetch_state: str = "active") -> str:
    partitions = {str(p): {"consumer_lag": n, "fetch_state": fetch_state} for p, n in lag.items()}
    partitions["-1"] = {"consumer_lag": -1, "fetch_state": "none"}
    return json.dumps({"topics": {"retail.orders": {"partitions": partitions}}})


def test_lag_in_records_and_seconds_comes_from_librdkafkas_statistics() -> None:
    metrics = ConsumerMetrics("odoo-orders", ["retail.orders"], {}, clock=lambda: 1_000.0)
    metrics.batch_done([Record("retail.orders", 0, 940_000), Record("retail.orders", 1, 990_000)])
    metrics._on_statistics(statistics({0: 25, 1: 0, 2: -1}))
    by_partition = {partition: (records, s) for partition, records, s in metrics.lag()}
    # Behind: the age of the last record handled; caught up: 0; unknown (-1): not reported.
    assert by_partition == {("retail.orders", 0): (25, 60.0), ("retail.orders", 1): (0, 0.0)}
    metrics.close()


class _LatenciesSeen(ConsumerMetrics):
    """The consumer's metrics, noting each batch latency handed to the histogram."""

    def __init__(self, clock: Callable[[], float]) -> None:
        super().__init__("odoo-orders", ["retail.orders"], {}, clock=clock)
        self.latencies: list[tuple[str, float]] = []

    def waited(self, topic: str, seconds: float) -> None:
        self.latencies.append((topic, seconds))


def test_batch_latencies_are_sampled_in_time_and_lag_follows_every_batch() -> None:
    now = [1_000.0]
    metrics = _LatenciesSeen(lambda: now[0])
    metrics.batch_done([Record("retail.orders", 0, 999_000), Record("retail.orders", 0, 999_500)])
    # The oldest record of the batch.
    assert metrics.latencies == [("retail.orders", 1.0)]
    # A batch 4 ms later is not observed (a histogram's record cost a sixth of handling a
    # record); its records still count for the lag in seconds.
    now[0] += 0.004
    metrics.batch_done([Record("retail.orders", 1, 999_900)])
    assert len(metrics.latencies) == 1
    metrics._on_statistics(statistics({1: 3}))
    ((partition, records, seconds),) = metrics.lag()
    assert (partition, records) == (("retail.orders", 1), 3)
    assert seconds == pytest.approx(0.104)
    # A quiet topic's batch, after a while, is observed.
    now[0] += 0.01
    metrics.batch_done([Record("retail.orders", 1, 1_000_000)])
    topic, seconds = metrics.latencies[1]
    assert topic == "retail.orders"
    assert seconds == pytest.approx(0.014)
    metrics.close()


def test_partitions_no_longer_fetched_report_no_lag() -> None:
    metrics = ConsumerMetrics("odoo-orders", ["retail.orders"], {})
    metrics._on_statistics(statistics({0: 25}, fetch_state="none"))
    assert metrics.lag() == []
    metrics.close()


def test_a_json_line_carries_service_trace_and_position() -> None:
    identify("odoo-orders", group="odoo-orders")
    tracer = TracerProvider().get_tracer("test")
    record = logging.LogRecord(
        "retailsync.consumer", logging.WARNING, __file__, 1, "to the DLT: %s", ("boom",), None
    )
    record.topic, record.partition, record.offset = "retail.orders", 3, 42
    with tracer.start_as_current_span("handle") as span:
        line = json.loads(JsonFormatter().format(record))
        context = span.get_span_context()
    assert line["message"] == "to the DLT: boom"
    assert line["level"] == "WARNING"
    assert (line["service"], line["group"]) == ("odoo-orders", "odoo-orders")
    assert line["trace_id"] == format(context.trace_id, "032x")
    assert line["span_id"] == format(context.span_id, "016x")
    assert (line["topic"], line["partition"], line["offset"]) == ("retail.orders", 3, 42)


def test_records_parked_in_retry_topics_are_counted_per_source_topic() -> None:
    metrics = ConsumerMetrics("odoo-orders", ["retail.orders"], {})
    document = {
        "topics": {
            topic: {"partitions": {"0": {**offsets, "fetch_state": "active"},
                                   "-1": {"ls_offset": -1, "fetch_state": "none"}}}
            for topic, offsets in (
                # Committed at 7 of 10; never committed, 4 since the first record retained.
                ("retail.orders.odoo-orders.retry.1s",
                 {"lo_offset": 0, "ls_offset": 10, "committed_offset": 7}),
                ("retail.orders.odoo-orders.retry.1m",
                 {"lo_offset": 2, "ls_offset": 6, "committed_offset": -1001}),
            )
        }
    }  # fmt: skip
    source_of = {
        "retail.orders.odoo-orders.retry.1s": "retail.orders",
        "retail.orders.odoo-orders.retry.1m": "retail.orders",
    }
    metrics.retry_kafka_config(source_of)["stats_cb"](json.dumps(document))
    assert metrics.parked() == {"retail.orders": 7}
    metrics.close()
