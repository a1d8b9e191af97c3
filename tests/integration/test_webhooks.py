"""The webhook receiver against the real broker: every platform's samples, duplicates,
reordering and retries from the sandbox storefront's emitter, and a broker that is down."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import closing
from dataclasses import replace

import httpx
import pytest
from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient

from producers.commerce import WebhookSettings
from producers.commerce.app import receiver_app
from retailsync import headers as h
from retailsync.consumer import ConsumerService
from retailsync.events import load_catalogue
from retailsync.serde import EventSerde, RegistrySerde, registry_client, serde_for
from retailsync.settings import Settings, load_settings
from sandbox.http import LoopbackServer
from sandbox.storefront import SandboxStorefront, WebhookEmitter, shopify_delivery
from sandbox.storefront.payloads import order_payload
from tests.commerce import (
    COMMERCE_TOPOLOGY,
    SHOPIFY_SAMPLES,
    SHOPIFY_SECRET,
    WOO_SAMPLES,
    generic_request,
    receiver_settings,
    sample,
    shopify_request,
    woo_request,
)
from tests.integration.harness import SCHEMAS, Pipeline, make_pipeline
from tests.registry import FakeRegistry, connections_to

pytestmark = pytest.mark.integration


@pytest.fixture
def pipeline(kafka_settings: Settings, admin: AdminClient, unique: str) -> Pipeline:
    return make_pipeline(kafka_settings, admin, unique, template=COMMERCE_TOPOLOGY)


def serve(
    pipeline: Pipeline, bootstrap_servers: str, port: int = 0, **overrides: object
) -> LoopbackServer:
    settings = load_settings(bootstrap_servers=bootstrap_servers)
    webhook = WebhookSettings(**{**receiver_settings(), **overrides})
    app = receiver_app(settings, webhook, pipeline.topology, pipeline.serde)
    return LoopbackServer(app, name="receiver", port=port, lifespan="on")


@pytest.fixture
def receiver(pipeline: Pipeline) -> Iterator[LoopbackServer]:
    with serve(pipeline, pipeline.settings.bootstrap_servers).running() as server:
        yield server


def topic(pipeline: Pipeline, name: str) -> str:
    return f"{pipeline.topic.rsplit('.', 1)[0]}.{name}"


def event_ids(pipeline: Pipeline, name: str, expect: int) -> list[str]:
    records = pipeline.records(topic(pipeline, name), timeout_s=10, expect=expect)
    return [h.text_header(record.headers, h.EVENT_ID) or "" for record in records]


def test_every_platforms_samples_land_on_kafka_once_each(
    pipeline: Pipeline, receiver: LoopbackServer
) -> None:
    answered: list[str] = []

    def note(reply: httpx.Response) -> None:
        answered.extend(reply.json().get("event_ids") or [reply.json()["event_id"]])

    with httpx.Client(base_url=receiver.url) as client:
        for name, shopify_topic, _ in SHOPIFY_SAMPLES:
            body = sample("shopify", name)
            note(
                client.post(
                    "/webhooks/shopify", content=body, headers=shopify_request(shopify_topic, body)
                )
            )
        for name, woo_topic, _ in WOO_SAMPLES:
            body = sample("woocommerce", name)
            note(
                client.post(
                    "/webhooks/woocommerce", content=body, headers=woo_request(woo_topic, body)
                )
            )
        body = sample("generic", "order_created")
        note(client.post("/webhooks/generic", content=body, headers=generic_request(body)))
        assert client.get("/readyz").status_code == 200
    # WooCommerce's order.updated names the order created by its order.created again.
    on_kafka = event_ids(pipeline, "orders", 10) + event_ids(pipeline, "customers", 5)
    assert sorted(on_kafka) == sorted(set(answered))
    assert len(on_kafka) == 15


def test_duplicated_reordered_and_retried_deliveries_give_one_event_each(
    pipeline: Pipeline, receiver: LoopbackServer
) -> None:
    shop = SandboxStorefront(skus=["MUG-GREEN"])
    deliveries = []
    for n in range(5):
        order = shop.store.place_order([("MUG-GREEN", 1 + n, "12.90")])
        for webhook_topic in ("orders/create", "orders/paid"):
            deliveries.append(
                shopify_delivery(
                    webhook_topic,
                    order_payload(order),
                    secret=SHOPIFY_SECRET,
                    shop_domain=shop.shop_domain,
                )
            )
    receiver.faults.fail(502, times=4)  # a gateway in front of the receiver fails for a while
    with WebhookEmitter(
        f"{receiver.url}/webhooks/shopify", duplicates=2, reorder=True, speedup=3600, seed=7
    ) as emitter:  # Shopify's schedule, 4 hours in 4 seconds
        attempts = emitter.deliver(deliveries)
    assert len(attempts) == 30 and all(a.status == 200 for a in attempts)
    assert max(a.tries for a in attempts) > 1  # the first ones were retried
    on_kafka = event_ids(pipeline, "orders", 10)
    assert len(on_kafka) == len(set(on_kafka)) == 10
    assert pipeline.size(topic(pipeline, "orders")) == 10


def test_refused_requests_publish_nothing(pipeline: Pipeline, receiver: LoopbackServer) -> None:
    body = sample("shopify", "orders_create")
    signed = shopify_request("orders/create", body)
    with httpx.Client(base_url=receiver.url) as client:
        bad_signature = {**signed, "X-Shopify-Hmac-Sha256": "d3Jvbmc="}
        assert (
            client.post("/webhooks/shopify", content=body, headers=bad_signature).status_code == 401
        )
        malformed = body[:-2]
        assert (
            client.post(
                "/webhooks/shopify",
                content=malformed,
                headers=shopify_request("orders/create", malformed),
            ).status_code
            == 400
        )
        huge = b"[" + b"0," * 600_000 + b"0]"
        assert (
            client.post(
                "/webhooks/shopify", content=huge, headers=shopify_request("orders/create", huge)
            ).status_code
            == 413
        )
        invalid = b'{"id": 1}'
        assert (
            client.post(
                "/webhooks/shopify",
                content=invalid,
                headers=shopify_request("orders/create", invalid),
            ).status_code
            == 422
        )
    assert pipeline.records(topic(pipeline, "orders"), timeout_s=2) == []


def test_a_broker_that_is_down_gets_503_with_retry_after_and_no_event(pipeline: Pipeline) -> None:
    with socket.socket() as probe:  # a port where nothing listens
        probe.bind(("127.0.0.1", 0))
        dead = f"127.0.0.1:{probe.getsockname()[1]}"
    body = sample("shopify", "orders_create")
    with (
        serve(
            pipeline, dead, webhook_ack_timeout_s=1.0, webhook_retry_after_s=30
        ).running() as server,
        httpx.Client(base_url=server.url, timeout=10) as client,
    ):
        reply = client.post(
            "/webhooks/shopify", content=body, headers=shopify_request("orders/create", body)
        )
        ready = client.get("/readyz")
    assert reply.status_code == 503 and reply.headers["Retry-After"] == "30"
    assert ready.status_code == 503
    assert pipeline.records(topic(pipeline, "orders"), timeout_s=2) == []


@pytest.mark.alone  # health answers within 0.5 s: on a quiet machine
def test_a_schema_registry_outage_is_503_and_never_stalls_the_receiver(pipeline: Pipeline) -> None:
    registry = FakeRegistry()
    catalogue = load_catalogue(SCHEMAS)
    body = sample("shopify", "orders_create")
    order_request = shopify_request("orders/create", body)
    with registry.server.running():
        topics = {name: route.topic for name, route in pipeline.topology.events.items()}
        with closing(
            RegistrySerde(catalogue, registry_client(registry.url), topics, auto_register=True)
        ) as registering:
            registering.resolve_writers()  # what `retailsync schemas register` would have done
        registry.server.faults.down()  # connection refused, from before the receiver starts
        serde = EventSerde(
            serde_for(Settings(schema_registry_url=registry.url), catalogue, pipeline.topology)
        )
        receiver = serve(
            replace(pipeline, serde=serde),
            pipeline.settings.bootstrap_servers,
            webhook_ack_timeout_s=1.0,
            webhook_retry_after_s=30,
        )
        with receiver.running() as server, httpx.Client(base_url=server.url, timeout=20) as client:
            refused = client.post("/webhooks/shopify", content=body, headers=order_request)
            assert refused.status_code == 503 and refused.headers["Retry-After"] == "30"
            assert client.get("/readyz").status_code == 503

            # A registry that hangs (4 s an answer) holds a worker thread, never the loop.
            registry.server.faults.up()
            registry.server.faults.slow(4.0)
            answers: list[httpx.Response] = []
            posting = threading.Thread(
                target=lambda: answers.append(
                    client.post("/webhooks/shopify", content=body, headers=order_request)
                )
            )
            posting.start()
            health_s: list[float] = []
            while posting.is_alive():
                started = time.monotonic()
                assert client.get("/healthz").status_code == 200
                health_s.append(time.monotonic() - started)
            posting.join()
            assert answers[0].status_code == 503 and answers[0].headers["Retry-After"] == "30"
            assert health_s and max(health_s) < 0.5, health_s

            registry.server.faults.clear()
            # The event answered 503 is published once its writer arrives; the platform's
            # retry is then a duplicate: nothing lost, nothing twice.
            assert len(event_ids(pipeline, "orders", 1)) == 1
            retried = client.post("/webhooks/shopify", content=body, headers=order_request)
            assert retried.status_code == 200, retried.text
            assert retried.json()["status"] == "duplicate"
            assert client.get("/readyz").status_code == 200
            # Every writer is known now: the receiver no longer needs the registry.
            registry.server.faults.down()
            paid = sample("shopify", "orders_paid")
            answer = client.post(
                "/webhooks/shopify", content=paid, headers=shopify_request("orders/paid", paid)
            )
            assert answer.status_code == 200 and answer.json()["status"] == "published"
            registry.server.faults.up()
        # The receiver's shutdown closed the serde's registry client.
        assert connections_to(registry.server.port) == 0
    assert len(event_ids(pipeline, "orders", 2)) == 2


def test_a_redaction_is_a_tombstone_of_the_customer_that_consumers_skip(
    pipeline: Pipeline, receiver: LoopbackServer
) -> None:
    with httpx.Client(base_url=receiver.url) as client:
        for name, shopify_topic in (
            ("customers_update", "customers/update"),
            ("customers_redact", "customers/redact"),
        ):
            body = sample("shopify", name)
            reply = client.post(
                "/webhooks/shopify", content=body, headers=shopify_request(shopify_topic, body)
            )
            assert reply.json()["status"] == "published"
    customers = topic(pipeline, "customers")
    upserted, erased = pipeline.records(customers, timeout_s=10, expect=2)
    assert erased.key == upserted.key
    assert (erased.key or b"").endswith(b":706405506930370084")
    assert erased.value is None and upserted.value is not None
    assert h.text_header(erased.headers, h.EVENT_TYPE) == "customer_erased"
    # A consumer of the compacted topic applies the customer and skips the tombstone.
    applied: list[str] = []
    group = next(name for name in pipeline.topology.consumers if name.endswith("-customers"))
    service = ConsumerService(group)
    service.handler("customer_upserted", "customer_erased")(
        lambda event, _: applied.append(event.customer_ref)
    )

    def both_handled() -> bool:
        try:
            return pipeline.committed(group, customers) == 2
        except KafkaException:  # the group's coordinator is still being elected
            return False

    with pipeline.running(service):
        pipeline.wait(both_handled, what="both handled")
    assert applied == [(upserted.key or b"").decode()]
    assert pipeline.size(f"{customers}.{service.name}.dlt") == 0


def test_orders_placed_while_the_receiver_restarts_are_published_once_it_is_back(
    pipeline: Pipeline, receiver: LoopbackServer
) -> None:
    shop = SandboxStorefront(skus=["MUG-GREEN"])
    receiver.stop()  # the service is gone: connection refused until a new one listens
    # Shopify's schedule, 4 hours in 144 s: its retries span the 3 s the receiver is away,
    # and a broker slow to take the first records on a loaded machine.
    with WebhookEmitter(f"{receiver.url}/webhooks/shopify", speedup=100) as emitter:
        outcomes = []
        for n in range(5):
            order = shop.store.place_order([("MUG-GREEN", 1 + n, "12.90")])
            delivery = shopify_delivery(
                "orders/create",
                order_payload(order),
                secret=SHOPIFY_SECRET,
                shop_domain=shop.shop_domain,
            )
            outcomes.extend(emitter.send([delivery]))  # the storefront is never blocked
        assert not any(outcome.done() for outcome in outcomes)
        time.sleep(3.0)  # the restart takes this long: the fault itself, not a wait
        restarted = serve(pipeline, pipeline.settings.bootstrap_servers, port=receiver.port)
        with restarted.running():
            attempts = [outcome.result(timeout=180) for outcome in outcomes]
    assert all(a.status == 200 and a.tries > 1 for a in attempts), attempts
    on_kafka = event_ids(pipeline, "orders", 5)
    assert len(on_kafka) == len(set(on_kafka)) == 5
    assert pipeline.size(topic(pipeline, "orders")) == 5
