"""A small pipeline per test: its own topology on the session broker, a publisher, and
services run in threads, with a sink that records what handlers applied."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from confluent_kafka import Consumer, KafkaError, KafkaException, TopicPartition
from confluent_kafka.admin import AdminClient
from tenacity import Retrying, retry_if_exception, stop_after_delay, wait_fixed

from retailsync.consumer import ConsumerService, RunnerOptions, ServiceRunner
from retailsync.consumer.record import ConsumedRecord
from retailsync.events import Event, OrderCreated, load_catalogue
from retailsync.events.examples import AT, SHOP, example_events
from retailsync.odoo import OdooClient, OdooSettings
from retailsync.publisher import Publisher
from retailsync.serde import EventSerde, SingleObjectSerde
from retailsync.settings import Settings
from retailsync.topology import Topology, parse_topology
from retailsync.topology.apply import apply_plan
from retailsync.topology.plan import make_plan, read_cluster
from sandbox.odoo import SandboxOdoo

SCHEMAS = Path(__file__).parents[2] / "schemas"

TOPOLOGY = """
namespace: NS
defaults: {partitions: 3}
topics:
  NS.orders: {}
events:
  order_created: {topic: NS.orders, key: "{order_ref}"}
  order_edited: {topic: NS.orders, key: "{order_ref}"}
  order_cancelled: {topic: NS.orders, key: "{order_ref}"}
  order_risk_assessed: {topic: NS.orders, key: "{order_ref}"}
  order_allocated: {topic: NS.orders, key: "{order_ref}"}
  order_invoiced: {topic: NS.orders, key: "{order_ref}"}
  payment_authorized: {topic: NS.orders, key: "{order_ref}"}
  payment_captured: {topic: NS.orders, key: "{order_ref}"}
  refund_issued: {topic: NS.orders, key: "{order_ref}"}
consumers:
  GROUP:
    subscriptions: [NS.orders]
    retry: {in_process_attempts: 2, delays: [1s, 2s], ordering: ORDERING}
"""

FAST = RunnerOptions(poll_timeout_s=0.05, commit_interval_ms=200, shutdown_timeout_s=15)


def order(ref: str, sequence: int) -> OrderCreated:
    """An order_created for ``ref``; ``sequence`` is its source_version and tells them apart."""
    example = next(e for e in example_events() if isinstance(e, OrderCreated))
    envelope = OrderCreated.new_envelope(
        source=SHOP,
        source_ref=f"order/{ref}",
        occurred_at=AT,
        source_version=sequence,
        channel="shop",
    )
    return example.model_copy(update={"envelope": envelope, "order_ref": ref})


@dataclass
class Sink:
    """What the handlers applied, in order: (order_ref, sequence)."""

    applied: list[tuple[str, int]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, event: OrderCreated) -> None:
        with self.lock:
            self.applied.append((event.order_ref, event.envelope.source_version or 0))

    def of(self, ref: str) -> list[int]:
        with self.lock:
            return [sequence for key, sequence in self.applied if key == ref]

    def count(self) -> int:
        with self.lock:
            return len(self.applied)


@dataclass
class Pipeline:
    text: str  # the topology.yaml it was parsed from
    settings: Settings
    topology: Topology
    admin: AdminClient
    serde: EventSerde
    failures: list[BaseException] = field(default_factory=list)

    @property
    def group(self) -> str:
        return next(iter(self.topology.consumers))

    @property
    def topic(self) -> str:
        return next(iter(self.topology.topics))

    def publish(self, *events: Event) -> None:
        with Publisher(self.settings, self.topology, self.serde) as publisher:
            for event in events:
                publisher.publish(event)

    def service(self, handler: Callable[..., None]) -> ConsumerService:
        service = ConsumerService(self.group)
        service.handler("order_created", target="shop")(handler)
        return service

    @contextmanager
    def running(self, service: ConsumerService) -> Iterator[ServiceRunner]:
        runner = ServiceRunner(service, self.settings, self.topology, self.serde, options=FAST)

        def run() -> None:
            try:
                runner.run()
            except BaseException as exc:  # surfaced in the test thread by wait() and below
                self.failures.append(exc)

        thread = threading.Thread(target=run, name=f"runner-{self.group}")
        thread.start()
        try:
            yield runner
        finally:
            runner.stop()
            thread.join(60)
        assert not thread.is_alive(), "the runner did not stop"
        if self.failures:
            raise self.failures[0]

    def wait(
        self, condition: Callable[[], bool], timeout_s: float = 30.0, what: str = "it"
    ) -> None:
        """Wait for ``condition``; fail at once if a runner died."""
        deadline = time.monotonic() + timeout_s
        while not condition():
            if self.failures:
                raise AssertionError(
                    f"a runner failed while waiting for {what}"
                ) from self.failures[0]
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}")
            time.sleep(0.05)

    def records(
        self, topic: str, timeout_s: float = 5.0, expect: int | None = None
    ) -> list[ConsumedRecord]:
        """Every record in ``topic`` (waiting up to ``timeout_s`` for ``expect`` of them)."""
        consumer = Consumer(
            {
                **self.settings.admin_config(),  # with its security settings
                "group.id": "reader",
                "enable.auto.commit": False,
                "log_level": 0,
            }
        )
        partitions = self.topology.topic(topic).partitions
        consumer.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
        found: list[ConsumedRecord] = []
        deadline = time.monotonic() + timeout_s
        try:
            while time.monotonic() < deadline and (expect is None or len(found) < expect):
                found += [
                    ConsumedRecord.of(m) for m in consumer.consume(500, 0.2) if m.error() is None
                ]
        finally:
            consumer.close()
        return found

    def size(self, topic: str) -> int:
        """How many records ``topic`` holds, from its partitions' watermarks (exact, no wait)."""
        consumer = Consumer(
            {
                **self.settings.admin_config(),  # with its security settings
                "group.id": "sizer",
                "log_level": 0,
            }
        )
        try:
            # A topic just created may not have its leaders yet: ask again.
            for attempt in Retrying(
                retry=retry_if_exception(_leader_moving),
                stop=stop_after_delay(10),
                wait=wait_fixed(0.25),
                reraise=True,
            ):
                with attempt:
                    marks = [
                        consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
                        for p in range(self.topology.topic(topic).partitions)
                    ]
        finally:
            consumer.close()
        return sum(high - low for low, high in marks)

    def committed(self, group: str, topic: str) -> int:
        """How many records of ``topic`` the group has committed past, over all partitions."""
        consumer = Consumer(
            {
                **self.settings.admin_config(),  # with its security settings
                "group.id": group,
                "log_level": 0,
            }
        )
        partitions = [
            TopicPartition(topic, p) for p in range(self.topology.topic(topic).partitions)
        ]
        try:
            # A new group's coordinator may still be being chosen or loaded: ask again.
            for attempt in Retrying(
                retry=retry_if_exception(_coordinator_moving),
                stop=stop_after_delay(10),
                wait=wait_fixed(0.25),
                reraise=True,
            ):
                with attempt:
                    committed = consumer.committed(partitions, timeout=10)
            return sum(max(tp.offset, 0) for tp in committed)
        finally:
            consumer.close()


def odoo_client_of(sandbox: SandboxOdoo) -> OdooClient:
    """A client of ``sandbox`` over JSON-2."""
    return OdooClient.from_settings(
        OdooSettings(odoo_url=sandbox.url, odoo_db=sandbox.db, odoo_api_key=sandbox.api_key)
    )


@contextmanager
def sandbox_odoo_client() -> Iterator[OdooClient]:
    """A client of a fresh sandbox Odoo, running for the block."""
    with SandboxOdoo.running() as sandbox, odoo_client_of(sandbox) as client:
        yield client


def make_pipeline(
    settings: Settings,
    admin: AdminClient,
    unique: str,
    ordering: str = "key",
    template: str = TOPOLOGY,
) -> Pipeline:
    text = (
        template.replace("NS", unique).replace("GROUP", f"g{unique}").replace("ORDERING", ordering)
    )
    topology = parse_topology(text, "test-topology.yaml")
    apply_plan(admin, topology, make_plan(topology, read_cluster(admin, unique)))
    serde = EventSerde(SingleObjectSerde(load_catalogue(SCHEMAS)))
    return Pipeline(text, settings, topology, admin, serde)


def _coordinator_moving(error: BaseException) -> bool:
    return isinstance(error, KafkaException) and error.args[0].code() in {
        KafkaError.NOT_COORDINATOR,
        KafkaError.COORDINATOR_LOAD_IN_PROGRESS,
        KafkaError.COORDINATOR_NOT_AVAILABLE,
    }


def _leader_moving(error: BaseException) -> bool:
    return isinstance(error, KafkaException) and error.args[0].code() in {
        KafkaError.NOT_LEADER_FOR_PARTITION,
        KafkaError.LEADER_NOT_AVAILABLE,
        KafkaError.UNKNOWN_TOPIC_OR_PART,
    }
