"""Event identity at the webhook edge: one change, one id; two changes, two ids, even when the
platform's version or delivery id has a resolution of one second."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from producers.commerce import WebhookSettings
from producers.commerce.app import build_app
from retailsync.events import RefundIssued
from tests.commerce import (
    generic_request,
    receiver_settings,
    sample_json,
    shopify_request,
    woo_request,
)
from tests.unit.test_commerce_app import FakeSink

pytestmark = pytest.mark.unit


@pytest.fixture
def sink() -> FakeSink:
    return FakeSink()


@pytest.fixture
def client(sink: FakeSink) -> Iterator[TestClient]:
    settings = WebhookSettings(**receiver_settings(), webhook_ack_timeout_s=0.2)
    with TestClient(build_app(settings, sink)) as test_client:
        yield test_client


def _post_customer(client: TestClient, body: bytes, event_id: str) -> dict[str, str]:
    headers = shopify_request("customers/update", body, event_id=event_id)
    reply = client.post("/webhooks/shopify", content=body, headers=headers)
    assert reply.status_code == 200, reply.text
    answer: dict[str, str] = reply.json()
    return answer


def test_two_customer_updates_within_one_second_are_two_events(
    client: TestClient, sink: FakeSink
) -> None:
    # Shopify's updated_at has whole seconds: both changes carry the same one.
    first = sample_json("shopify", "customers_update")
    second = first | {"first_name": "Renamed"}
    one = _post_customer(client, json.dumps(first).encode(), "9001")
    two = _post_customer(client, json.dumps(second).encode(), "9002")
    assert (one["status"], two["status"]) == ("published", "published")
    assert one["event_id"] != two["event_id"]
    versions = [event.envelope.source_version for event in sink.sent]
    assert versions[0] is not None and versions[0] == versions[1]  # still the update time


def test_a_redelivered_customer_update_keeps_its_id_and_is_not_published_again(
    client: TestClient, sink: FakeSink
) -> None:
    body = json.dumps(sample_json("shopify", "customers_update")).encode()
    one = _post_customer(client, body, "9003")
    again = _post_customer(client, body, "9003")
    assert again == {"status": "duplicate", "event_id": one["event_id"]}
    assert len(sink.sent) == 1


def _post_woo_update(client: TestClient, order: dict[str, object], delivery_id: str) -> str:
    body = json.dumps(order).encode()
    reply = client.post(
        "/webhooks/woocommerce",
        content=body,
        headers=woo_request("order.updated", body, delivery_id=delivery_id),
    )
    assert reply.status_code == 200, reply.text
    return str(reply.json()["status"])


def test_two_woocommerce_refunds_in_one_second_share_a_delivery_id_but_not_an_event_id(
    client: TestClient, sink: FakeSink
) -> None:
    # WooCommerce builds X-WC-Webhook-Delivery-ID from the webhook id and the Unix second.
    delivery_id = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
    order = sample_json("woocommerce", "order_updated")
    first = order | {"refunds": [{"id": 731, "reason": "", "total": "-5.00"}]}
    second = order | {
        "refunds": [
            {"id": 732, "reason": "", "total": "-3.00"},
            {"id": 731, "reason": "", "total": "-5.00"},
        ]
    }
    assert _post_woo_update(client, first, delivery_id) == "published"
    assert _post_woo_update(client, second, delivery_id) == "published"
    refunds = [e for e in sink.sent if isinstance(e, RefundIssued)]
    assert [e.refund_ref for e in refunds] == ["731", "732"]
    assert refunds[0].envelope.event_id != refunds[1].envelope.event_id
    # The platform's retry of the second body is the same change: not published again.
    assert _post_woo_update(client, second, delivery_id) == "duplicate"
    assert len([e for e in sink.sent if isinstance(e, RefundIssued)]) == 2


def test_two_generic_events_at_one_source_version_are_two_changes(
    client: TestClient, sink: FakeSink
) -> None:
    # A bridge that versions by the second sends two states of one order at one version.
    first = sample_json("generic", "order_created") | {"source_version": 1741944413}
    second = json.loads(json.dumps(first))
    second["data"]["payment_state"] = "PENDING"
    answers = []
    for payload in (first, second, first):
        body = json.dumps(payload).encode()
        reply = client.post("/webhooks/generic", content=body, headers=generic_request(body))
        assert reply.status_code == 200, reply.text
        answers.append(reply.json())
    assert [answer["status"] for answer in answers] == ["published", "published", "duplicate"]
    assert answers[0]["event_id"] != answers[1]["event_id"] == str(sink.sent[1].envelope.event_id)
    assert answers[2]["event_id"] == answers[0]["event_id"]
