"""The consumer runtime against the real broker: delivery, retries, dead letters, order,
back-pressure and rebalances."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from contextlib import closing
from dataclasses import replace

import pytest
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient

from retailsync import headers as h
from retailsync.consumer import ConsumerService, HandlerContext, Item
from retailsync.consumer.retry_path import MAX_RECORD_BYTES
from retailsync.errors import ConfigError, PermanentError, TargetUnavailableError, TransientError
from retailsync.events import OrderCreated, load_catalogue
from retailsync.events.examples import example_events
from retailsync.serde import EventSerde, RegistrySerde, registry_client, serde_for
from retailsync.settings import Settings
from tests.integration.harness import SCHEMAS, TOPOLOGY, Pipeline, Sink, make_pipeline, order
from tests.registry import FakeRegistry, connections_to

pytestmark = pytest.mark.integration


@pytest.fixture
def pipeline(kafka_settings: Settings, admin: AdminClient, unique: str) -> Pipeline:
    return make_pipeline(kafka_settings, admin, unique)


def retry_and_dead_letter_topics(pipeline: Pipeline) -> list[str]:
    return [name for name, spec in pipeline.topology.topics.items() if spec.kind != "event"]


def test_every_event_is_applied_and_committed(pipeline: Pipeline) -> None:
    sink = Sink()
    events = [order(f"shop:{n % 7}", n) for n in range(1, 101)]
    pipeline.publish(*events)
    with pipeline.running(pipeline.service(lambda event, _context: sink.add(event))):
        pipeline.wait(lambda: sink.count() == 100, what="100 applied")
    assert sorted(sequence for _, sequence in sink.applied) == list(range(1, 101))
    for ref in {e.order_ref for e in events}:
        assert sink.of(ref) == sorted(sink.of(ref))  # per key, in publish order
    assert pipeline.committed(pipeline.group, pipeline.topic) == 100
    assert [pipeline.size(topic) for topic in retry_and_dead_letter_topics(pipeline)] == [0, 0, 0]


def test_a_transient_failure_is_retried_in_process(pipeline: Pipeline) -> None:
    sink = Sink()
    calls: list[int] = []

    def flaky(event: OrderCreated, context: HandlerContext) -> None:
        calls.append(context.attempt)
        if len(calls) == 1:
            raise TransientError("lock timeout")
        sink.add(event)

    pipeline.publish(order("shop:1", 1))
    with pipeline.running(pipeline.service(flaky)):
        pipeline.wait(lambda: sink.count() == 1, what="the retried event")
    assert calls == [1, 1]  # two tries in the first round, no retry topic
    assert [pipeline.size(topic) for topic in retry_and_dead_letter_topics(pipeline)] == [0, 0, 0]


def test_exhausted_retries_end_in_the_dead_letter_topic_with_every_header(
    pipeline: Pipeline,
) -> None:
    attempts: list[int] = []

    def always_failing(_event: OrderCreated, context: HandlerContext) -> None:
        attempts.append(context.attempt)
        raise TransientError("storefront answered 500")

    event = order("shop:9", 1)
    pipeline.publish(event)
    dead_letter_topic = f"{pipeline.topic}.{pipeline.group}.dlt"
    with pipeline.running(pipeline.service(always_failing)):
        (dead,) = pipeline.records(dead_letter_topic, timeout_s=20, expect=1)
    (source,) = pipeline.records(pipeline.topic, expect=1)

    assert attempts == [1, 1, 2, 2, 3, 3]  # 2 in-process tries x (source + 2 retry topics)
    assert dead.key == source.key == b"shop:9"
    assert dead.value == source.value
    assert dead.partition == source.partition
    names = [name for name, _ in dead.headers]
    assert len(names) == len(set(names)), "headers were piled up, not replaced"
    assert h.text_header(dead.headers, h.EVENT_TYPE) == "order_created"
    assert h.text_header(dead.headers, h.EVENT_ID) == str(event.envelope.event_id)
    assert h.text_header(dead.headers, h.CONTENT_TYPE) == pipeline.serde.content_type
    assert h.text_header(dead.headers, h.ORIGINAL_TOPIC) == pipeline.topic
    assert h.int_header(dead.headers, h.ORIGINAL_PARTITION) == source.partition
    assert h.int_header(dead.headers, h.ORIGINAL_OFFSET) == source.offset
    assert h.int_header(dead.headers, h.ORIGINAL_TIMESTAMP) == source.timestamp_ms
    assert h.text_header(dead.headers, h.GROUP) == pipeline.group
    assert h.int_header(dead.headers, h.ATTEMPT) == 3
    assert h.text_header(dead.headers, h.ERROR_CLASS) == "retailsync.errors.TransientError"
    assert h.text_header(dead.headers, h.ERROR_MESSAGE) == "storefront answered 500"
    first_failure = h.int_header(dead.headers, h.FIRST_FAILURE) or 0
    assert source.timestamp_ms <= first_failure <= dead.timestamp_ms - 3_000  # 1s + 2s delays
    for level, delay in enumerate(("1s", "2s")):
        (retried,) = pipeline.records(f"{pipeline.topic}.{pipeline.group}.retry.{delay}", expect=1)
        assert h.int_header(retried.headers, h.ATTEMPT) == level + 1
        assert h.int_header(retried.headers, h.FIRST_FAILURE) == first_failure


def test_permanent_errors_and_garbage_go_straight_to_the_dead_letter_topic(
    pipeline: Pipeline,
) -> None:
    sink = Sink()

    def handler(event: OrderCreated, _context: HandlerContext) -> None:
        if event.envelope.source_version == 2:
            raise PermanentError("order has no lines the shop knows")
        sink.add(event)

    key = "shop:same-partition"
    pipeline.publish(order(key, 1), order(key, 2))
    # murmur2, as the publisher partitions: the garbage lands in the same partition.
    producer = Producer(
        {"bootstrap.servers": pipeline.settings.bootstrap_servers, "partitioner": "murmur2_random"}
    )
    producer.produce(pipeline.topic, key=key.encode(), value=b"\xc3\x01not avro at all",
                     headers=[("event_type", b"order_created")])  # fmt: skip
    producer.flush(10)
    pipeline.publish(order(key, 3))

    dead_letter_topic = f"{pipeline.topic}.{pipeline.group}.dlt"
    with pipeline.running(pipeline.service(handler)):
        pipeline.wait(lambda: sink.of(key) == [1, 3], what="the events around the bad ones")
        dead = pipeline.records(dead_letter_topic, expect=2)
    assert len({d.partition for d in dead}) == 1
    dead.sort(key=lambda d: d.offset)
    assert [h.text_header(d.headers, h.ERROR_CLASS) for d in dead] == [
        "retailsync.errors.PermanentError",
        "retailsync.errors.DeserializationError",
    ]
    assert dead[1].value == b"\xc3\x01not avro at all"
    assert {h.int_header(d.headers, h.ATTEMPT) for d in dead} == {1}
    assert pipeline.size(f"{pipeline.topic}.{pipeline.group}.retry.1s") == 0


def test_a_valid_event_of_a_type_routed_elsewhere_is_dead_lettered_not_skipped(
    pipeline: Pipeline,
) -> None:
    sink = Sink()
    key = "shop:misrouted"
    stock = next(e for e in example_events() if e.envelope.event_type == "inventory_adjusted")
    encoded = pipeline.serde.encode(stock)
    pipeline.publish(order(key, 1))
    producer = Producer(
        {"bootstrap.servers": pipeline.settings.bootstrap_servers, "partitioner": "murmur2_random"}
    )
    # With its true type in the header, and without a header (found once decoded).
    producer.produce(pipeline.topic, key=key.encode(), value=encoded,
                     headers=[(h.EVENT_TYPE, b"inventory_adjusted")])  # fmt: skip
    producer.produce(pipeline.topic, key=key.encode(), value=encoded)
    producer.flush(10)
    pipeline.publish(order(key, 2))

    with pipeline.running(pipeline.service(lambda event, _c: sink.add(event))):
        pipeline.wait(lambda: sink.of(key) == [1, 2], what="the orders around the misrouted")
        dead = pipeline.records(f"{pipeline.topic}.{pipeline.group}.dlt", expect=2)
    assert len(dead) == 2
    for record in dead:
        assert h.text_header(record.headers, h.ERROR_CLASS) == (
            "retailsync.errors.MisroutedEventError"
        )
        assert h.text_header(record.headers, h.ERROR_MESSAGE) == (
            f"event type inventory_adjusted does not belong on topic {pipeline.topic}"
        )
        assert record.value == encoded


def test_a_record_at_the_size_limit_is_dead_lettered_without_its_value(
    pipeline: Pipeline,
) -> None:
    sink = Sink()
    key = "shop:at-the-limit"
    pipeline.publish(order(key, 1))
    # Undecodable, and as large as the broker takes: its copy plus our failure headers is not.
    value = b"\x00" + b"x" * (MAX_RECORD_BYTES - 1_024)
    producer = Producer(
        {
            "bootstrap.servers": pipeline.settings.bootstrap_servers,
            "partitioner": "murmur2_random",
            "message.max.bytes": MAX_RECORD_BYTES,
        }
    )
    producer.produce(pipeline.topic, key=key.encode(), value=value)
    assert producer.flush(10) == 0
    pipeline.publish(order(key, 2))

    with pipeline.running(pipeline.service(lambda event, _c: sink.add(event))):
        pipeline.wait(lambda: sink.of(key) == [1, 2], what="the orders around the large record")
        (dead,) = pipeline.records(f"{pipeline.topic}.{pipeline.group}.dlt", expect=1)
    assert dead.value is None
    assert h.int_header(dead.headers, h.VALUE_CUT) == len(value)
    assert h.text_header(dead.headers, h.ERROR_CLASS) == "retailsync.errors.DeserializationError"
    assert h.int_header(dead.headers, h.ORIGINAL_OFFSET) == 1


def test_records_waiting_in_retry_topics_are_reported_as_parked(
    kafka_settings: Settings, admin: AdminClient, unique: str
) -> None:
    slow_retries = TOPOLOGY.replace("delays: [1s, 2s]", "delays: [5m]")
    pipeline = make_pipeline(kafka_settings, admin, unique, template=slow_retries)

    def handler(event: OrderCreated, _context: HandlerContext) -> None:
        if event.order_ref.startswith("shop:failing"):
            raise TransientError("the shop answered 500")

    pipeline.publish(order("shop:failing-1", 1), order("shop:failing-2", 1), order("shop:ok", 1))
    with pipeline.running(pipeline.service(handler)) as runner:
        # librdkafka's statistics come every 10 s.
        pipeline.wait(
            lambda: runner.metrics.parked() == {pipeline.topic: 2}, 60, "2 records parked"
        )


def test_a_parked_key_keeps_its_order_across_a_restart_while_other_keys_flow(
    pipeline: Pipeline,
) -> None:
    sink = Sink()

    def handler(event: OrderCreated, context: HandlerContext) -> None:
        # The first event of the key fails until its third round (the 2 s retry topic).
        if (
            event.order_ref == "shop:parked"
            and event.envelope.source_version == 1
            and context.attempt < 3
        ):
            raise TransientError("not yet")
        sink.add(event)

    parked = [order("shop:parked", n) for n in range(1, 6)]
    others = [order(f"shop:other-{n}", 100 + n) for n in range(20)]
    pipeline.publish(*parked, *others)
    retry_1s = f"{pipeline.topic}.{pipeline.group}.retry.1s"
    with pipeline.running(pipeline.service(handler)):
        pipeline.wait(lambda: sink.count() == 20, what="the other keys")
        assert sink.of("shop:parked") == []
        pipeline.records(retry_1s, timeout_s=10, expect=5)  # the head and its 4 followers
    # A new instance rebuilds the parked chain from the retry topics.
    with pipeline.running(pipeline.service(handler)):
        pipeline.wait(lambda: len(sink.of("shop:parked")) == 5, timeout_s=30, what="the parked key")
    assert sink.of("shop:parked") == [1, 2, 3, 4, 5]
    assert sorted(sink.of(f"shop:other-{n}")[0] for n in range(20)) == list(range(100, 120))
    assert pipeline.size(f"{pipeline.topic}.{pipeline.group}.dlt") == 0


def test_an_outage_pauses_the_service_instead_of_dead_lettering(pipeline: Pipeline) -> None:
    sink = Sink()
    attempts: list[float] = []
    down_until = time.monotonic() + 4

    def handler(event: OrderCreated, _context: HandlerContext) -> None:
        if time.monotonic() < down_until:
            attempts.append(time.monotonic())
            raise TargetUnavailableError("connection refused", "shop")
        sink.add(event)

    events = [order(f"shop:{n % 5}", n) for n in range(1, 51)]
    pipeline.publish(*events)
    with pipeline.running(pipeline.service(handler)):
        pipeline.wait(lambda: sink.count() == 50, timeout_s=60, what="the backlog to drain")
    assert sorted(sequence for _, sequence in sink.applied) == list(range(1, 51))
    for n in range(5):
        assert sink.of(f"shop:{n}") == sorted(sink.of(f"shop:{n}"))
    # Probes with growing delays, not a hot loop over the backlog.
    assert 2 <= len(attempts) < 40
    assert [pipeline.size(topic) for topic in retry_and_dead_letter_topics(pipeline)] == [0, 0, 0]


def test_an_unavailable_target_is_called_once_per_probe_not_retried_in_process(
    pipeline: Pipeline, caplog: pytest.LogCaptureFixture
) -> None:
    sink = Sink()
    calls: list[int] = []

    def handler(event: OrderCreated, context: HandlerContext) -> None:
        calls.append(context.attempt)
        if len(calls) <= 3:  # a hung Odoo: each call ends in the client's timeout
            raise TargetUnavailableError("timed out", "shop")
        sink.add(event)

    caplog.set_level(logging.INFO, logger="retailsync")
    pipeline.publish(order("shop:1", 1))
    with pipeline.running(pipeline.service(handler)):
        pipeline.wait(lambda: sink.count() == 1, timeout_s=60, what="the event after the outage")
    trips = [r for r in caplog.records if r.getMessage().startswith("shop is unavailable")]
    # Every failed call opened the breaker (paused, then probed once): none was repeated in
    # process although in_process_attempts is 2, and none went to a retry topic.
    assert len(trips) == 3
    assert calls == [1, 1, 1, 1]
    assert [pipeline.size(topic) for topic in retry_and_dead_letter_topics(pipeline)] == [0, 0, 0]


def test_two_instances_share_the_partitions_through_rebalances(pipeline: Pipeline) -> None:
    first, second = Sink(), Sink()

    def applied() -> set[int]:
        return {sequence for _, sequence in first.applied + second.applied}

    pipeline.publish(*[order(f"shop:{n % 11}", n) for n in range(0, 200)])
    with pipeline.running(pipeline.service(lambda event, _c: first.add(event))) as one:
        pipeline.wait(lambda: len(applied()) == 200, what="the first 200")
        with pipeline.running(pipeline.service(lambda event, _c: second.add(event))) as two:
            pipeline.wait(
                lambda: len(one.assigned) + len(two.assigned) == 3 and bool(two.assigned),
                what="the partitions to be shared",
            )
            assert not one.assigned & two.assigned
            pipeline.publish(*[order(f"shop:{n % 11}", n) for n in range(200, 400)])
            pipeline.wait(lambda: len(applied()) == 400, what="400 applied")
            assert second.count() > 0
        pipeline.wait(lambda: len(one.assigned) == 3, what="the first to take all partitions back")
        pipeline.publish(*[order(f"shop:{n % 11}", n) for n in range(400, 600)])
        pipeline.wait(lambda: len(applied()) == 600, what="600 applied")
    assert applied() == set(range(600))
    assert pipeline.committed(pipeline.group, pipeline.topic) == 600


def test_a_batch_handler_gets_runs_without_repeated_keys_and_reports_failures_by_position(
    pipeline: Pipeline,
) -> None:
    sink = Sink()
    batches: list[list[str]] = []
    service = ConsumerService(pipeline.group)

    @service.batch_handler("order_created", target="shop", max_items=50)
    def apply(items: Sequence[Item]) -> Mapping[int, BaseException]:
        batches.append([item.event.order_ref for item in items])
        failures: dict[int, BaseException] = {}
        for index, item in enumerate(items):
            if item.event.envelope.source_version == 7:
                failures[index] = PermanentError("sku TEE-XL is unknown")
            else:
                sink.add(item.event)
        return failures

    pipeline.publish(*[order(f"shop:{n % 40}", n) for n in range(200)])
    with pipeline.running(service):
        pipeline.wait(lambda: sink.count() == 199, what="199 applied")
        (dead,) = pipeline.records(f"{pipeline.topic}.{pipeline.group}.dlt", expect=1)
    assert h.text_header(dead.headers, h.ERROR_MESSAGE) == "sku TEE-XL is unknown"
    assert max(len(batch) for batch in batches) > 1  # a backlog is handled in batches
    assert all(len(batch) <= 50 and len(batch) == len(set(batch)) for batch in batches)
    for n in range(40):
        assert sink.of(f"shop:{n}") == sorted(sink.of(f"shop:{n}"))


def test_without_key_ordering_a_batch_may_hold_a_key_several_times(
    kafka_settings: Settings, admin: AdminClient, unique: str
) -> None:
    pipeline = make_pipeline(kafka_settings, admin, unique, ordering="none")
    batches: list[list[int]] = []
    service = ConsumerService(pipeline.group)

    @service.batch_handler("order_created", target="shop")
    def apply(items: Sequence[Item]) -> None:
        batches.append([item.event.envelope.source_version for item in items])

    pipeline.publish(*[order("shop:hot", n) for n in range(100)])
    with pipeline.running(service):
        pipeline.wait(lambda: sum(map(len, batches)) == 100, what="100 handled")
    assert max(len(batch) for batch in batches) > 1
    assert [n for batch in batches for n in batch] == list(range(100))


def test_a_handler_in_key_order_gets_a_key_several_times_and_its_failures_keep_the_order(
    pipeline: Pipeline,
) -> None:
    batches: list[list[int]] = []
    applied: list[int] = []
    failed_once: set[int] = set()
    service = ConsumerService(pipeline.group)

    @service.batch_handler("order_created", target="shop", in_key_order=True)
    def apply(items: Sequence[Item]) -> Mapping[int, BaseException]:
        batches.append([item.event.envelope.source_version for item in items])
        failures: dict[int, BaseException] = {}
        for index, item in enumerate(items):
            version = item.event.envelope.source_version
            if failures:  # a later event of the key whose earlier one failed
                failures[index] = TransientError("waits for an earlier event of its key")
            elif version == 7 and version not in failed_once:
                failed_once.add(version)
                failures[index] = TransientError("Odoo was busy")
            else:
                applied.append(version)
        return failures

    pipeline.publish(*[order("shop:hot", n) for n in range(100)])
    with pipeline.running(service):
        pipeline.wait(lambda: len(applied) == 100, timeout_s=60, what="100 applied")
    assert max(len(batch) for batch in batches) > 1  # the one key, several times a batch
    assert applied == list(range(100))  # the failed one and those behind it, still in order
    assert pipeline.size(f"{pipeline.topic}.{pipeline.group}.dlt") == 0


def test_an_event_a_key_order_handler_skips_behind_one_it_takes_is_committed(
    pipeline: Pipeline,
) -> None:
    applied: list[int] = []
    service = ConsumerService(pipeline.group)

    def not_second(event: OrderCreated) -> bool:
        return event.envelope.source_version != 2

    @service.batch_handler("order_created", target="shop", in_key_order=True, accepts=not_second)
    def apply(items: Sequence[Item]) -> None:
        applied.extend(item.event.envelope.source_version for item in items)

    # Read in one batch: the second joins the first's run, then is skipped before it is called.
    pipeline.publish(order("shop:1", 1), order("shop:1", 2))
    with pipeline.running(service):
        pipeline.wait(
            lambda: pipeline.committed(pipeline.group, pipeline.topic) == 2, what="both committed"
        )
    assert applied == [1]


def test_a_configuration_error_stops_the_service_instead_of_dead_lettering(
    pipeline: Pipeline,
) -> None:
    def misconfigured(_event: OrderCreated, _context: HandlerContext) -> None:
        raise ConfigError("environment", "RETAILSYNC_ODOO_API_KEY", "Odoo refused the API key")

    pipeline.publish(order("shop:1", 1))
    with (
        pytest.raises(ConfigError, match="RETAILSYNC_ODOO_API_KEY"),
        pipeline.running(pipeline.service(misconfigured)),
    ):
        deadline = time.monotonic() + 30
        while not pipeline.failures and time.monotonic() < deadline:
            time.sleep(0.05)
    assert pipeline.size(f"{pipeline.topic}.{pipeline.group}.dlt") == 0
    assert pipeline.committed(pipeline.group, pipeline.topic) == 0


def test_a_schema_registry_outage_pauses_the_service_instead_of_retrying(
    pipeline: Pipeline,
) -> None:
    registry = FakeRegistry()
    catalogue = load_catalogue(SCHEMAS)
    sink = Sink()
    with registry.server.running():
        topics = {name: route.topic for name, route in pipeline.topology.events.items()}
        writing = RegistrySerde(
            catalogue, registry_client(registry.url), topics, auto_register=True
        )
        with closing(EventSerde(writing)) as writer:
            replace(pipeline, serde=writer).publish(*(order(f"shop:{n % 5}", n) for n in range(20)))
        registry.server.faults.down()  # connection refused
        reader = EventSerde(
            serde_for(Settings(schema_registry_url=registry.url), catalogue, pipeline.topology)
        )
        consuming = replace(pipeline, serde=reader)
        with consuming.running(consuming.service(lambda event, _: sink.add(event))) as runner:
            consuming.wait(
                lambda: runner.paused_by == {"schema-registry"}, what="a pause for the registry"
            )
            assert sink.count() == 0
            registry.server.faults.up()
            consuming.wait(lambda: sink.count() == 20, timeout_s=60, what="the backlog to drain")
            consuming.wait(lambda: not runner.paused_by, what="the breaker to close")
        # The runner closed its decoder, and with it the registry client's connections.
        assert connections_to(registry.server.port) == 0
    assert sorted(sequence for _, sequence in sink.applied) == list(range(20))
    assert [pipeline.size(topic) for topic in retry_and_dead_letter_topics(pipeline)] == [0, 0, 0]


def test_a_schema_registry_refusing_our_credentials_stops_the_service(pipeline: Pipeline) -> None:
    registry = FakeRegistry()
    catalogue = load_catalogue(SCHEMAS)
    with registry.server.running():
        topics = {name: route.topic for name, route in pipeline.topology.events.items()}
        writing = RegistrySerde(
            catalogue, registry_client(registry.url), topics, auto_register=True
        )
        with closing(EventSerde(writing)) as writer:
            replace(pipeline, serde=writer).publish(order("shop:1", 1))
        registry.server.faults.fail(401)
        reader = EventSerde(
            serde_for(Settings(schema_registry_url=registry.url), catalogue, pipeline.topology)
        )
        consuming = replace(pipeline, serde=reader)
        with (
            pytest.raises(ConfigError, match="schema registry"),
            consuming.running(consuming.service(lambda _event, _context: None)),
        ):
            deadline = time.monotonic() + 30
            while not consuming.failures and time.monotonic() < deadline:
                time.sleep(0.05)
    assert [pipeline.size(topic) for topic in retry_and_dead_letter_topics(pipeline)] == [0, 0, 0]
    assert pipeline.committed(pipeline.group, pipeline.topic) == 0
