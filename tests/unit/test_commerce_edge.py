"""The receiver's edge against real-world bodies: impossible values are refused with their
field path, a body WooCommerce legitimately sends is never refused, and refusal logs say
which delivery they refused without its values."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
from starlette.testclient import TestClient

from producers.commerce import WebhookSettings
from producers.commerce.app import build_app
from retailsync.errors import DeliveryError
from retailsync.events import OrderCreated, OrderEdited, PaymentCaptured
from retailsync.publisher import PossiblyWrittenError
from tests.commerce import (
    generic_request,
    receiver_settings,
    sample_json,
    shopify_request,
    woo_request,
)
from tests.unit.test_commerce_app import FakeSink

pytestmark = pytest.mark.unit

Change = Callable[[dict[str, Any]], None]


@pytest.fixture
def sink() -> FakeSink:
    return FakeSink()


@pytest.fixture
def client(sink: FakeSink) -> Iterator[TestClient]:
    settings = WebhookSettings(**receiver_settings(), webhook_ack_timeout_s=0.2)
    with TestClient(build_app(settings, sink), raise_server_exceptions=False) as test_client:
        yield test_client


def _set(path: str, value: object) -> Change:
    def change(body: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = body
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        node[int(last) if last.isdigit() else last] = value

    return change


SHOPIFY_ORDER_FAULTS = [
    ("line_items.0.quantity", 0),
    ("line_items.0.quantity", -2),
    ("line_items.0.quantity", 1e30),
    ("line_items.0.price", "-12.90"),
    ("line_items.0.price", "1E+30"),
    ("line_items.0.price", "NaN"),
    ("line_items.0.total_discount", "-1.00"),
    ("total_price", "-28.12"),
    ("subtotal_price", "1E+30"),
    ("id", int("9" * 4000)),
    ("line_items.0.sku", "S" * 4000),
]


def _short(value: object) -> str:
    return str(value)[:16]


@pytest.mark.parametrize(("path", "value"), SHOPIFY_ORDER_FAULTS, ids=_short)
def test_an_impossible_shopify_order_value_is_422_naming_the_field(
    client: TestClient, sink: FakeSink, path: str, value: object
) -> None:
    order = sample_json("shopify", "orders_create")
    _set(path, value)(order)
    body = json.dumps(order).encode()
    reply = client.post(
        "/webhooks/shopify", content=body, headers=shopify_request("orders/create", body)
    )
    assert reply.status_code == 422, reply.text
    assert path in reply.json()["error"]
    assert not sink.sent


WOO_ORDER_FAULTS = [
    ("line_items.0.quantity", 0),
    ("line_items.0.quantity", -1),
    ("line_items.0.total", "-6.00"),
    ("line_items.0.subtotal", "1E+30"),
    ("total", "-29.35"),
    ("total", "123456789012345678901"),
    ("refunds", [{"id": 731, "reason": "", "total": "5.00"}]),  # a refund takes money back
]


@pytest.mark.parametrize(("path", "value"), WOO_ORDER_FAULTS, ids=_short)
@pytest.mark.parametrize("topic", ["order.created", "order.updated"])
def test_an_impossible_woocommerce_order_value_is_422_naming_the_field(
    client: TestClient, sink: FakeSink, topic: str, path: str, value: object
) -> None:
    order = sample_json("woocommerce", "order_updated")
    _set(path, value)(order)
    body = json.dumps(order).encode()
    reply = client.post("/webhooks/woocommerce", content=body, headers=woo_request(topic, body))
    assert reply.status_code == 422, reply.text
    assert path in reply.json()["error"]
    assert not sink.sent


def test_a_woocommerce_line_tax_that_the_orders_tax_lines_lack_is_422_not_500(
    client: TestClient, sink: FakeSink
) -> None:
    # Found by the fuzz test: the mapping's own refusal was answered 500.
    order = sample_json("woocommerce", "order_created")
    order["tax_lines"] = []
    body = json.dumps(order).encode()
    reply = client.post(
        "/webhooks/woocommerce", content=body, headers=woo_request("order.created", body)
    )
    assert reply.status_code == 422, reply.text
    assert "line_items[].taxes[].id" in reply.json()["error"]
    assert not sink.sent


def test_a_discount_larger_than_its_line_is_422_not_a_negative_line(
    client: TestClient, sink: FakeSink
) -> None:
    order = sample_json("shopify", "orders_create")
    order["line_items"][0]["total_discount"] = "100.00"
    body = json.dumps(order).encode()
    reply = client.post(
        "/webhooks/shopify", content=body, headers=shopify_request("orders/create", body)
    )
    assert reply.status_code == 422
    assert "lines.0.total" in reply.json()["error"]
    assert not sink.sent


def test_an_order_that_does_not_add_up_is_published_with_its_difference(
    client: TestClient, sink: FakeSink
) -> None:
    order = sample_json("shopify", "orders_create") | {"total_price": "30.12"}  # a tip
    body = json.dumps(order).encode()
    reply = client.post(
        "/webhooks/shopify", content=body, headers=shopify_request("orders/create", body)
    )
    assert reply.status_code == 200, reply.text
    [event] = [e for e in sink.sent if isinstance(e, OrderCreated)]
    assert event.mapping_difference is not None and event.mapping_difference < 0


def test_a_negative_woocommerce_fee_is_a_discount_not_an_impossible_value(
    client: TestClient, sink: FakeSink
) -> None:
    order = sample_json("woocommerce", "order_created") | {
        "total": "24.35",
        "fee_lines": [{"id": 9, "name": "Loyalty", "total": "-5.00", "total_tax": "0.00"}],
    }
    body = json.dumps(order).encode()
    reply = client.post(
        "/webhooks/woocommerce", content=body, headers=woo_request("order.created", body)
    )
    assert reply.status_code == 200, reply.text
    [event] = [e for e in sink.sent if isinstance(e, OrderCreated)]
    assert [fee.amount for fee in event.fee_lines] == [Decimal("-5.00")]
    assert event.mapping_difference == 0


@pytest.mark.parametrize(
    "change",
    [
        {"data.lines.0.quantity": "-1"},
        {"data.lines.0.quantity": "0"},
        {"data.total": "-1"},
        {"data.order_ref": "M" * 4000},
    ],
)
def test_the_generic_channel_keeps_the_same_rules(
    client: TestClient, sink: FakeSink, change: dict[str, object]
) -> None:
    payload = sample_json("generic", "order_created")
    for path, value in change.items():
        _set(path, value)(payload)
    body = json.dumps(payload).encode()
    reply = client.post("/webhooks/generic", content=body, headers=generic_request(body))
    assert reply.status_code == 422, reply.text
    assert next(iter(change)).removeprefix("data.") in reply.json()["error"]
    assert not sink.sent


def test_an_absurdly_long_delivery_header_is_400(client: TestClient, sink: FakeSink) -> None:
    body = json.dumps(sample_json("shopify", "orders_create")).encode()
    headers = shopify_request("orders/create", body) | {"X-Shopify-Shop-Domain": "s" * 4000}
    reply = client.post("/webhooks/shopify", content=body, headers=headers)
    assert reply.status_code == 400 and "shop-domain" in reply.json()["error"]
    assert not sink.sent


def _woo(client: TestClient, topic: str, order: dict[str, Any]) -> dict[str, Any]:
    body = json.dumps(order).encode()
    reply = client.post("/webhooks/woocommerce", content=body, headers=woo_request(topic, body))
    assert reply.status_code == 200, reply.text
    answer: dict[str, Any] = reply.json()
    return answer


def test_a_woocommerce_order_created_before_its_lines_is_deferred_then_created_by_its_update(
    client: TestClient, sink: FakeSink
) -> None:
    # WooCommerce fires order.created before it saves the line items.
    placed = sample_json("woocommerce", "order_created") | {
        "line_items": [],
        "status": "pending",
        "date_paid_gmt": None,
    }
    first = _woo(client, "order.created", placed)
    assert first["status"] == "deferred" and not sink.sent
    # The update that carries the lines (here with the payment) creates the order first.
    paid = _woo(client, "order.updated", sample_json("woocommerce", "order_updated"))
    assert paid["status"] == "published"
    created, edited, captured = sink.sent
    assert isinstance(created, OrderCreated) and isinstance(captured, PaymentCaptured)
    assert isinstance(edited, OrderEdited) and edited.lines == created.lines
    assert created.order_ref == captured.order_ref == "woo:727" and len(created.lines) == 2
    assert paid["event_ids"] == [str(event.envelope.event_id) for event in sink.sent]
    # A later update of the same order, lines unchanged, publishes neither again.
    shipped = sample_json("woocommerce", "order_updated") | {"transaction_id": "tx-1"}
    _woo(client, "order.updated", shipped)
    assert [type(e) for e in sink.sent[3:]] == [PaymentCaptured]


def test_a_refusal_log_names_channel_topic_and_delivery_but_no_values(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    order = sample_json("shopify", "orders_create")
    order["line_items"][0]["quantity"] = -5
    order["currency"] = "Euros of customer@example.com"
    body = json.dumps(order).encode()
    with caplog.at_level(logging.INFO, logger="retailsync.webhooks"):
        reply = client.post(
            "/webhooks/shopify",
            content=body,
            headers=shopify_request("orders/create", body, event_id="77001"),
        )
        unsigned = woo_request("order.created", body, delivery_id="d-4242")
        unsigned["X-WC-Webhook-Signature"] = "d3Jvbmc="
        refused = client.post("/webhooks/woocommerce", content=body, headers=unsigned)
    assert (reply.status_code, refused.status_code) == (422, 401)
    shopify_line, woo_line = (r.getMessage() for r in caplog.records if "refused" in r.getMessage())
    assert "shopify" in shopify_line and "orders/create" in shopify_line
    assert "77001" in shopify_line and "line_items.0.quantity" in shopify_line
    assert "woocommerce" in woo_line and "order.created" in woo_line and "d-4242" in woo_line
    assert "customer@example.com" not in caplog.text and "Example Street" not in caplog.text


@pytest.mark.parametrize(
    ("outcome", "said"),
    [(None, "written after its 503"), (DeliveryError("Local: Message timed out"), "may have")],
)
def test_the_late_report_of_a_record_answered_503_is_logged(
    client: TestClient,
    sink: FakeSink,
    caplog: pytest.LogCaptureFixture,
    outcome: DeliveryError | None,
    said: str,
) -> None:
    sink.hang = True
    body = json.dumps(sample_json("shopify", "orders_create")).encode()
    reply = client.post(
        "/webhooks/shopify", content=body, headers=shopify_request("orders/create", body)
    )
    assert reply.status_code == 503
    (late,) = sink.pending
    event_id = str(sink.sent[0].envelope.event_id)
    with caplog.at_level(logging.INFO, logger="retailsync.acknowledger"):
        if outcome is None:
            late.get_loop().call_soon_threadsafe(late.set_result, None)
        else:
            late.get_loop().call_soon_threadsafe(late.set_exception, outcome)
        assert client.get("/healthz").status_code == 200  # a turn of the receiver's loop
    (line,) = [r.getMessage() for r in caplog.records if "after its 503" in r.getMessage()]
    assert event_id in line and said in line


@pytest.mark.parametrize(
    ("on_the_topic", "status", "copies"), [(True, "duplicate", 1), (False, "published", 2)]
)
def test_a_retry_of_a_record_librdkafka_gave_up_on_reads_the_topic_first(
    client: TestClient, sink: FakeSink, on_the_topic: bool, status: str, copies: int
) -> None:
    sink.hang = True
    body = json.dumps(sample_json("shopify", "orders_create")).encode()
    headers = shopify_request("orders/create", body, event_id="88001")
    assert client.post("/webhooks/shopify", content=body, headers=headers).status_code == 503
    (late,) = sink.pending
    if on_the_topic:  # the stalled broker wrote it when it resumed
        sink.written.append(sink.sent[0])
    gave_up = PossiblyWrittenError("Local: Message timed out", "retail.orders", 0, 1)
    late.get_loop().call_soon_threadsafe(late.set_exception, gave_up)
    sink.hang = False
    retry = client.post("/webhooks/shopify", content=body, headers=headers)
    assert retry.status_code == 200 and retry.json()["status"] == status
    assert len(sink.sent) == copies
