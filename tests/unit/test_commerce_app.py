"""The receiver's answers, with an in-memory sink standing in for Kafka."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from producers.commerce import WebhookSettings
from producers.commerce.app import build_app
from retailsync.errors import DeliveryError, TargetUnavailableError
from retailsync.events import Event
from retailsync.publisher import PossiblyWrittenError
from tests.commerce import (
    SHOPIFY_SAMPLES,
    WOO_SAMPLES,
    generic_request,
    receiver_settings,
    sample,
    sample_json,
    shopify_request,
    woo_request,
)

pytestmark = pytest.mark.unit


class FakeSink:
    """Acknowledges at once, or never (``hang``), or refuses (``refuse``, ``unavailable``)."""

    def __init__(self) -> None:
        self.sent: list[Event] = []
        self.pending: list[asyncio.Future[None]] = []
        self.written: list[Event] = []  # on the topic though not acknowledged
        self.hang = False
        self.refuse = False
        self.unavailable = False
        self.reachable = True

    async def start(self) -> None:
        pass

    def send(self, event: Event) -> asyncio.Future[None]:
        if self.refuse:
            raise DeliveryError("the producer queue is full")
        if self.unavailable:
            raise TargetUnavailableError("schema registry: unreachable", "schema-registry")
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.sent.append(event)
        if self.hang:
            self.pending.append(future)
        else:
            future.set_result(None)
        return future

    async def ready(self, timeout_s: float) -> bool:
        return self.reachable

    async def holds(
        self, event_id: uuid.UUID, where: PossiblyWrittenError, timeout_s: float
    ) -> bool:
        return any(event.envelope.event_id == event_id for event in self.written)

    async def close(self, timeout_s: float = 10.0) -> None:
        pass


@pytest.fixture
def sink() -> FakeSink:
    return FakeSink()


@pytest.fixture
def client(sink: FakeSink) -> Iterator[TestClient]:
    settings = WebhookSettings(
        **receiver_settings(), webhook_ack_timeout_s=0.2, webhook_max_body_bytes=64_000
    )
    with TestClient(build_app(settings, sink)) as test_client:
        yield test_client


@pytest.mark.parametrize(("name", "topic", "event_type"), SHOPIFY_SAMPLES)
def test_a_signed_shopify_sample_is_published_and_acknowledged(
    client: TestClient, sink: FakeSink, name: str, topic: str, event_type: str
) -> None:
    body = sample("shopify", name)
    reply = client.post("/webhooks/shopify", content=body, headers=shopify_request(topic, body))
    assert reply.status_code == 200, reply.text
    assert reply.json()["status"] == "published"
    (event,) = sink.sent
    assert event.envelope.event_type == event_type
    assert reply.json()["event_id"] == str(event.envelope.event_id)


@pytest.mark.parametrize(("name", "topic", "event_type"), WOO_SAMPLES)
def test_a_signed_woocommerce_sample_is_published(
    client: TestClient, sink: FakeSink, name: str, topic: str, event_type: str
) -> None:
    body = sample("woocommerce", name)
    reply = client.post("/webhooks/woocommerce", content=body, headers=woo_request(topic, body))
    assert reply.status_code == 200, reply.text
    # order.updated publishes the order before its change: it may carry the first lines.
    assert sink.sent[-1].envelope.event_type == event_type
    assert reply.json()["event_id"] == str(sink.sent[-1].envelope.event_id)


def test_a_signed_generic_event_is_published(client: TestClient, sink: FakeSink) -> None:
    body = sample("generic", "order_created")
    reply = client.post("/webhooks/generic", content=body, headers=generic_request(body))
    assert reply.status_code == 200, reply.text
    assert [e.envelope.channel for e in sink.sent] == ["marketplace-eu"]


def test_a_duplicate_delivery_is_answered_without_publishing_again(
    client: TestClient, sink: FakeSink
) -> None:
    body = sample("shopify", "orders_create")
    headers = shopify_request("orders/create", body, event_id="8790412312345")
    first = client.post("/webhooks/shopify", content=body, headers=headers)
    # A retry carries a new X-Shopify-Webhook-Id but the same event id.
    again = shopify_request("orders/create", body, event_id="8790412312345")
    second = client.post("/webhooks/shopify", content=body, headers=again)
    assert (first.status_code, second.status_code) == (200, 200)
    assert second.json() == {"status": "duplicate", "event_id": first.json()["event_id"]}
    assert len(sink.sent) == 1


@pytest.mark.parametrize(
    ("route", "headers"),
    [
        (
            "/webhooks/shopify",
            {"X-Shopify-Hmac-Sha256": "d3Jvbmc=", "X-Shopify-Topic": "orders/create"},
        ),
        ("/webhooks/shopify", {"X-Shopify-Topic": "orders/create"}),
        (
            "/webhooks/woocommerce",
            {"X-WC-Webhook-Signature": "d3Jvbmc=", "X-WC-Webhook-Topic": "order.created"},
        ),
        (
            "/webhooks/generic",
            {"webhook-id": "msg_1", "webhook-timestamp": "1", "webhook-signature": "v1,d3Jvbmc="},
        ),
    ],
)
def test_a_bad_or_missing_signature_is_401_and_nothing_is_published(
    client: TestClient, sink: FakeSink, route: str, headers: dict[str, str]
) -> None:
    reply = client.post(route, content=sample("shopify", "orders_create"), headers=headers)
    assert reply.status_code == 401
    assert not sink.sent


def test_a_replayed_generic_request_is_401(client: TestClient, sink: FakeSink) -> None:
    body = sample("generic", "order_created")
    headers = generic_request(body, timestamp=1_700_000_000)
    assert client.post("/webhooks/generic", content=body, headers=headers).status_code == 401
    assert not sink.sent


def test_a_body_that_is_not_json_is_400(client: TestClient, sink: FakeSink) -> None:
    body = b'{"id": 1, '
    reply = client.post(
        "/webhooks/shopify", content=body, headers=shopify_request("orders/create", body)
    )
    assert reply.status_code == 400 and "not JSON" in reply.json()["error"]
    assert not sink.sent


def test_a_payload_that_does_not_fit_is_422_with_the_reason_and_no_values(
    client: TestClient, sink: FakeSink, caplog: pytest.LogCaptureFixture
) -> None:
    order = sample_json("shopify", "orders_create")
    order["currency"] = "euro"
    body = json.dumps(order).encode()
    with caplog.at_level(logging.INFO):
        reply = client.post(
            "/webhooks/shopify", content=body, headers=shopify_request("orders/create", body)
        )
    assert reply.status_code == 422
    assert "currency" in reply.json()["error"] and "euro" not in reply.json()["error"]
    assert not sink.sent
    assert "customer@example.com" not in caplog.text and "Example Street" not in caplog.text


def test_a_missing_delivery_header_is_400(client: TestClient) -> None:
    body = sample("shopify", "orders_create")
    headers = shopify_request("orders/create", body)
    del headers["X-Shopify-Shop-Domain"]
    reply = client.post("/webhooks/shopify", content=body, headers=headers)
    assert reply.status_code == 400 and "shop-domain" in reply.json()["error"]


def test_an_oversized_body_is_413(client: TestClient, sink: FakeSink) -> None:
    body = b"{" + b" " * 70_000 + b"}"
    reply = client.post(
        "/webhooks/shopify", content=body, headers=shopify_request("orders/create", body)
    )
    assert reply.status_code == 413
    assert not sink.sent


def test_an_oversized_chunked_body_is_413(client: TestClient, sink: FakeSink) -> None:
    chunks = iter([b"{", b" " * 40_000, b" " * 40_000, b"}"])
    headers = shopify_request("orders/create", b"")
    reply = client.post("/webhooks/shopify", content=chunks, headers=headers)
    assert reply.status_code == 413
    assert not sink.sent


def test_kafka_not_acknowledging_in_time_is_503_with_retry_after(
    client: TestClient, sink: FakeSink
) -> None:
    sink.hang = True
    body = sample("shopify", "orders_create")
    headers = shopify_request("orders/create", body, event_id="1")
    reply = client.post("/webhooks/shopify", content=body, headers=headers)
    assert reply.status_code == 503 and reply.headers["Retry-After"] == "10"
    # The platform's retry is waited for again, not answered as a duplicate.
    again = client.post("/webhooks/shopify", content=body, headers=headers)
    assert again.status_code == 503


def test_a_full_producer_queue_is_503(client: TestClient, sink: FakeSink) -> None:
    sink.refuse = True
    body = sample("shopify", "orders_paid")
    reply = client.post(
        "/webhooks/shopify", content=body, headers=shopify_request("orders/paid", body)
    )
    assert reply.status_code == 503 and "Retry-After" in reply.headers


def test_a_schema_registry_outage_is_503_not_500(client: TestClient, sink: FakeSink) -> None:
    sink.unavailable = True
    body = sample("shopify", "orders_create")
    reply = client.post(
        "/webhooks/shopify", content=body, headers=shopify_request("orders/create", body)
    )
    assert reply.status_code == 503 and reply.headers["Retry-After"] == "10"


def test_an_unmapped_topic_and_the_woocommerce_ping_are_acknowledged_without_events(
    client: TestClient, sink: FakeSink
) -> None:
    body = sample("shopify", "orders_create")
    reply = client.post(
        "/webhooks/shopify", content=body, headers=shopify_request("orders/fulfilled", body)
    )
    assert reply.status_code == 200 and reply.json() == {"status": "ignored"}
    ping = client.post(
        "/webhooks/woocommerce",
        content=b"webhook_id=17",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert ping.status_code == 200
    assert not sink.sent


def test_health_and_readiness(client: TestClient, sink: FakeSink) -> None:
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200
    sink.reachable = False
    assert client.get("/readyz").status_code == 503


def test_an_event_acknowledged_after_its_503_is_a_duplicate_when_retried(
    client: TestClient, sink: FakeSink
) -> None:
    sink.hang = True
    body = sample("shopify", "orders_create")
    headers = shopify_request("orders/create", body, event_id="2")
    assert client.post("/webhooks/shopify", content=body, headers=headers).status_code == 503
    (late,) = sink.pending
    late.get_loop().call_soon_threadsafe(late.set_result, None)  # the report comes late
    retry = client.post("/webhooks/shopify", content=body, headers=headers)
    assert retry.status_code == 200 and retry.json()["status"] == "duplicate"
    assert len(sink.sent) == 1


def test_a_webhook_route_takes_posts_only_and_other_paths_are_unknown(client: TestClient) -> None:
    assert client.get("/webhooks/shopify").status_code == 405
    assert client.post("/webhooks/elsewhere", content=b"{}").status_code == 404
    assert client.get("/healthz").json() == {"status": "ok"}
