"""The event ingest against the real broker: each service authenticated by its token and
held to its event types, bodies validated by the event's model, 202 only once the brokers
acknowledged, 503 when they cannot."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from contextlib import closing
from typing import Any

import httpx
import pytest
from confluent_kafka.admin import AdminClient

from producers.ingest import IngestSettings, ingest_app
from retailsync import InventoryAdjusted
from retailsync import headers as h
from retailsync.events.examples import example_events
from retailsync.settings import Settings, load_settings
from sandbox.http import LoopbackServer
from tests.commerce import COMMERCE_TOPOLOGY
from tests.integration.harness import Pipeline, make_pipeline

pytestmark = pytest.mark.integration

WMS_TOKEN = "wms-token-0123456789abcdef"
POS_TOKEN = "pos-token-0123456789abcdef"
INGEST = {
    "ingest_tokens": f"wms={WMS_TOKEN}, pos={POS_TOKEN}",
    "ingest_event_types": {"wms": ["inventory_adjusted"], "pos": ["order_created"]},
}


@pytest.fixture
def pipeline(kafka_settings: Settings, admin: AdminClient, unique: str) -> Pipeline:
    return make_pipeline(kafka_settings, admin, unique, template=COMMERCE_TOPOLOGY)


def serve(pipeline: Pipeline, bootstrap_servers: str, **overrides: Any) -> LoopbackServer:
    settings = load_settings(bootstrap_servers=bootstrap_servers)
    app = ingest_app(settings, IngestSettings(**{**INGEST, **overrides}), pipeline.topology,
                     pipeline.serde)  # fmt: skip
    return LoopbackServer(app, name="ingest", lifespan="on")


@pytest.fixture
def ingest(pipeline: Pipeline) -> Iterator[str]:
    with serve(pipeline, pipeline.settings.bootstrap_servers).running() as server:
        yield f"{server.url}/events"


def stock_level() -> dict[str, Any]:
    stock = next(e for e in example_events() if isinstance(e, InventoryAdjusted))
    return json.loads(stock.model_dump_json())


def inventory(pipeline: Pipeline) -> str:
    return f"{pipeline.topic.rsplit('.', 1)[0]}.inventory"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_good_event_lands_exactly_once_even_when_sent_twice(
    pipeline: Pipeline, ingest: str
) -> None:
    body = stock_level()

    first = httpx.post(f"{ingest}/inventory_adjusted", json=body, headers=bearer(WMS_TOKEN))
    again = httpx.post(f"{ingest}/inventory_adjusted", json=body, headers=bearer(WMS_TOKEN))

    event_id = body["envelope"]["event_id"]
    assert (first.status_code, first.json()) == (202, {"status": "published", "event_id": event_id})
    assert (again.status_code, again.json()) == (202, {"status": "duplicate", "event_id": event_id})
    (record,) = pipeline.records(inventory(pipeline), expect=2, timeout_s=3)
    assert h.text_header(record.headers, h.EVENT_ID) == event_id
    assert record.key == f"{body['sku']}@{body['location']}".encode()
    event = pipeline.serde.decode(record.value, topic=record.topic, partition=record.partition,
                                  offset=record.offset, key=record.key)  # fmt: skip
    assert json.loads(event.model_dump_json()) == body


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": WMS_TOKEN},
        {"Authorization": f"Basic {WMS_TOKEN}"},
        {"Authorization": "Bearer"},
        bearer("not-a-token-of-any-service"),
        bearer(WMS_TOKEN[:-1]),
    ],
    ids=["none", "no-scheme", "basic", "empty", "unknown", "almost"],
)
def test_a_call_without_a_services_token_is_401(
    pipeline: Pipeline, ingest: str, headers: dict[str, str]
) -> None:
    reply = httpx.post(f"{ingest}/inventory_adjusted", json=stock_level(), headers=headers)

    assert reply.status_code == 401
    assert reply.headers["www-authenticate"] == "Bearer"
    assert WMS_TOKEN not in reply.text
    assert pipeline.size(inventory(pipeline)) == 0


def test_a_service_publishing_a_type_it_may_not_is_403(pipeline: Pipeline, ingest: str) -> None:
    reply = httpx.post(
        f"{ingest}/inventory_adjusted", json=stock_level(), headers=bearer(POS_TOKEN)
    )

    assert reply.status_code == 403
    assert reply.json() == {"error": "pos may not publish inventory_adjusted"}
    assert pipeline.size(inventory(pipeline)) == 0


def test_an_invalid_event_is_422_naming_its_fields(pipeline: Pipeline, ingest: str) -> None:
    body = stock_level()
    del body["sku"]
    body["available"] = "lots"
    body["envelope"]["occurred_at"] = "yesterday"

    reply = httpx.post(f"{ingest}/inventory_adjusted", json=body, headers=bearer(WMS_TOKEN))

    assert reply.status_code == 422
    error = reply.json()["error"]
    assert "sku: Field required" in error
    assert "available:" in error and "envelope.occurred_at:" in error
    assert "lots" not in error and "yesterday" not in error  # field paths, never values
    assert pipeline.size(inventory(pipeline)) == 0


def test_a_body_that_is_not_json_is_400_and_an_unknown_type_404(ingest: str) -> None:
    not_json = httpx.post(
        f"{ingest}/inventory_adjusted", content=b"sku=MUG", headers=bearer(WMS_TOKEN)
    )
    unknown = httpx.post(f"{ingest}/stock_moved", json=stock_level(), headers=bearer(WMS_TOKEN))

    assert (not_json.status_code, unknown.status_code) == (400, 404)


def test_an_event_the_brokers_do_not_acknowledge_is_503_with_retry_after(
    pipeline: Pipeline,
) -> None:
    with closing(socket.socket()) as probe:  # a port nobody listens on: no broker there
        probe.bind(("127.0.0.1", 0))
        dead = f"127.0.0.1:{probe.getsockname()[1]}"
    server = serve(pipeline, dead, ingest_ack_timeout_s=1.0, ingest_retry_after_s=7)
    with server.running():
        reply = httpx.post(
            f"{server.url}/events/inventory_adjusted",
            json=stock_level(),
            headers=bearer(WMS_TOKEN),
            timeout=10,
        )
        ready = httpx.get(f"{server.url}/readyz", timeout=10)

    assert reply.status_code == 503
    assert reply.headers["retry-after"] == "7"
    assert ready.status_code == 503
