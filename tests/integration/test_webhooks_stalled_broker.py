"""The webhook receiver against a broker that stalls (SIGSTOP) instead of going away: the
record that missed the answer's deadline is still written once the broker resumes, so the
platform's retry must find it, in flight or on the topic, rather than publish it a second
time."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from confluent_kafka.admin import AdminClient

from producers.commerce import WebhookSettings
from producers.commerce.app import receiver_app
from retailsync import headers as h
from retailsync.broker import LocalCluster, free_port_block
from retailsync.settings import load_settings
from sandbox.http import LoopbackServer
from tests.commerce import COMMERCE_TOPOLOGY, receiver_settings, sample, shopify_request
from tests.integration.harness import make_pipeline
from tests.integration.test_webhooks import topic

pytestmark = pytest.mark.integration

_ACK_TIMEOUT_S = 1.0
# The fault: the broker stays stopped this long, past the answer's deadline and past
# librdkafka's periodic scan for timed-out requests (once a second).
_STALL_S = 5.0


@pytest.fixture
def stallable(tmp_path: Path) -> Iterator[LocalCluster]:
    """A broker of this test's own: stalling the session's would stall every other test."""
    cluster = LocalCluster(
        tmp_path / "kafka", cache_dir=load_settings().cache_dir, port=free_port_block(2)
    )
    with cluster.running():
        yield cluster


def _wait_stopped(pid: int) -> None:
    """Until every thread of ``pid`` has stopped: on a busy machine that takes a while."""
    deadline = time.monotonic() + 30
    stat = Path(f"/proc/{pid}/stat")
    while stat.read_text().rpartition(")")[2].split()[0] != "T":
        assert time.monotonic() < deadline, "the broker did not stop"
        time.sleep(0.01)


def _retried_until_answered(
    client: httpx.Client, body: bytes, headers: dict[str, str]
) -> dict[str, str]:
    """What the platform does: retry a 503 until the receiver answers 2xx."""
    deadline = time.monotonic() + 120
    while True:
        reply = client.post("/webhooks/shopify", content=body, headers=headers)
        if reply.status_code == 200:
            answer: dict[str, str] = reply.json()
            return answer
        assert reply.status_code == 503, reply.text
        assert time.monotonic() < deadline, "the receiver never acknowledged the retry"


@pytest.mark.parametrize(
    "delivery",
    [
        {},  # the receiver's: the record is still in flight when the retry comes
        {"delivery_timeout_s": _ACK_TIMEOUT_S},  # librdkafka gives up: the retry reads it back
    ],
    ids=["in-flight", "given-up"],
)
def test_a_retry_after_a_stalled_broker_leaves_the_event_on_the_topic_once(
    stallable: LocalCluster, unique: str, delivery: dict[str, float]
) -> None:
    settings = load_settings(bootstrap_servers=stallable.bootstrap_servers)
    webhook = WebhookSettings(**receiver_settings(), webhook_ack_timeout_s=_ACK_TIMEOUT_S)
    pipeline = make_pipeline(
        settings, AdminClient(settings.admin_config()), unique, template=COMMERCE_TOPOLOGY
    )
    paid = sample("shopify", "orders_paid")
    order = sample("shopify", "orders_create")
    order_headers = shopify_request("orders/create", order, event_id="5550001")
    pid = int(stallable.node(1).pid_file.read_text())
    app = receiver_app(settings, webhook, pipeline.topology, pipeline.serde, **delivery)
    server = LoopbackServer(app, name="receiver", lifespan="on")
    with server.running(), httpx.Client(base_url=server.url, timeout=60) as client:
        # The producer is connected and knows the partition leaders before the stall.
        _retried_until_answered(client, paid, shopify_request("orders/paid", paid))
        os.kill(pid, signal.SIGSTOP)
        stopped_at = time.monotonic()
        try:
            _wait_stopped(pid)
            stalled = client.post("/webhooks/shopify", content=order, headers=order_headers)
            time.sleep(max(0.0, stopped_at + _STALL_S - time.monotonic()))
        finally:
            os.kill(pid, signal.SIGCONT)
        assert stalled.status_code == 503 and "Retry-After" in stalled.headers
        answer = _retried_until_answered(client, order, order_headers)
    event_id = answer["event_id"]
    orders = topic(pipeline, "orders")
    records = pipeline.records(orders, timeout_s=30, expect=pipeline.size(orders))
    on_topic = [h.text_header(record.headers, h.EVENT_ID) for record in records]
    assert on_topic.count(event_id) == 1, f"{on_topic.count(event_id)} copies of the order"
    assert len(on_topic) == 2  # the warm-up payment and the order
