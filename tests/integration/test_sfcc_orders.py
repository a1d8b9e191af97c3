"""The SFCC order export against the sandbox SFCC over HTTP and the real broker: orders are
exported exactly once across a crash between publish and mark, tokens are renewed, and a
malformed order is marked failed and dead-lettered while the others flow; exported orders
cancelled or paid afterwards become one order_cancelled or payment_captured (an authorized
payment: payment_authorized), the same event id across a crash before the watermark is
written."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from confluent_kafka.admin import AdminClient

from producers.sfcc import (
    Exporter,
    Round,
    SfccOrdersSettings,
    SiteChanges,
    SiteExport,
    Watermarks,
    run_sfcc_orders,
)
from producers.sfcc.published import PublishedIds
from retailsync import telemetry
from retailsync.channels import Channels, parse_channels
from retailsync.errors import TransientError
from retailsync.events import Event, PaymentAuthorized, PaymentCaptured
from retailsync.headers import ERROR_MESSAGE, EVENT_ID, EVENT_TYPE, header
from retailsync.kafka.producer import KafkaProducer
from retailsync.publisher import Publisher
from retailsync.settings import Settings
from retailsync.sfcc import SfccClient
from sandbox.sfcc import Item, SandboxSfcc, StoredOrder, order_document
from tests.commerce import sfcc_channel
from tests.integration.harness import SCHEMAS, Pipeline, make_pipeline

pytestmark = pytest.mark.integration

TOPOLOGY = """
namespace: NS
defaults: {partitions: 3}
topics:
  NS.orders: {}
  NS.sfcc-dead-letters: {partitions: 1}
  NS.sfcc-watermarks: {partitions: 1, configs: {cleanup.policy: compact}}
events:
  order_created: {topic: NS.orders, key: "{order_ref}"}
  order_cancelled: {topic: NS.orders, key: "{order_ref}"}
  payment_authorized: {topic: NS.orders, key: "{order_ref}"}
  payment_captured: {topic: NS.orders, key: "{order_ref}"}
"""


@pytest.fixture
def pipeline(kafka_settings: Settings, admin: AdminClient, unique: str) -> Pipeline:
    return make_pipeline(kafka_settings, admin, unique, template=TOPOLOGY)


@pytest.fixture
def sfcc() -> Iterator[SandboxSfcc]:
    with SandboxSfcc.running() as sandbox:
        yield sandbox


@contextmanager
def site_export(
    pipeline: Pipeline,
    sfcc: SandboxSfcc,
    name: str = "us",
    published: PublishedIds | None = None,
) -> Iterator[SiteExport]:
    """A started export, as a service process holds it: a crash is leaving the block."""
    client = SfccClient.from_channel(sfcc_channel(sfcc, name), sleep=lambda _: None, max_attempts=2)
    dead_letters = KafkaProducer(pipeline.settings, name="sfcc-dead-letters")
    publisher = Publisher(pipeline.settings, pipeline.topology, pipeline.serde)
    try:
        yield SiteExport(
            sfcc_channel(sfcc, name), client, publisher, dead_letters,
            dead_letter_topic=_dead_letter_topic(pipeline), page_size=2, published=published,
        )  # fmt: skip
    finally:
        client.close()
        dead_letters.close()
        publisher.close()


@contextmanager
def site_changes(
    pipeline: Pipeline, sfcc: SandboxSfcc, published: PublishedIds | None = None
) -> Iterator[SiteChanges]:
    """A started change poll, its watermark read from Kafka as a service start reads it."""
    client = SfccClient.from_channel(sfcc_channel(sfcc, "us"), sleep=lambda _: None, max_attempts=2)
    records = KafkaProducer(pipeline.settings, name="sfcc-orders")
    publisher = Publisher(pipeline.settings, pipeline.topology, pipeline.serde)
    watermarks = Watermarks(pipeline.settings, records, _watermark_topic(pipeline))
    watermarks.load()
    try:
        yield SiteChanges(
            sfcc_channel(sfcc, "us"), client, publisher, records, watermarks,
            dead_letter_topic=_dead_letter_topic(pipeline), page_size=2, settle_s=0,
            published=published,
        )  # fmt: skip
    finally:
        client.close()
        records.close()
        publisher.close()


def _dead_letter_topic(pipeline: Pipeline) -> str:
    return next(name for name in pipeline.topology.topics if name.endswith("sfcc-dead-letters"))


def _watermark_topic(pipeline: Pipeline) -> str:
    return next(name for name in pipeline.topology.topics if name.endswith("sfcc-watermarks"))


def _seed(sfcc: SandboxSfcc, *numbers: str) -> None:
    for number in numbers:
        # Not paid yet: each order is one event, order_created.
        document = order_document(
            number, (Item("MUG", 2, Decimal("9.50")),), payment_status="not_paid"
        )
        sfcc.add_order(document)


def test_orders_are_exported_exactly_once_across_a_crash_between_publish_and_mark(
    pipeline: Pipeline, sfcc: SandboxSfcc
) -> None:
    numbers = [f"000{n}" for n in range(1, 6)]
    _seed(sfcc, *numbers)
    sfcc.store.fail_export_updates(500)
    with site_export(pipeline, sfcc) as export, pytest.raises(TransientError):
        export.run_once()  # the first page is on Kafka, but none is marked: the crash
    published_before = pipeline.records(pipeline.topic, expect=2)
    assert len(published_before) == 2
    assert all(sfcc.store.order(sfcc.site_id, n).export_status == "ready" for n in numbers)

    sfcc.store.fail_export_updates(None)
    with site_export(pipeline, sfcc) as export:  # the restarted service
        assert export.run_once() == Round(exported=5)

    records = pipeline.records(pipeline.topic, expect=7)
    event_ids = [header(r.headers, EVENT_ID) for r in records]
    assert len(records) == 7
    assert len(set(event_ids)) == 5, "the re-published orders keep their event ids"
    assert {header(r.headers, EVENT_ID) for r in published_before} <= set(event_ids)
    for number in numbers:
        stored = sfcc.store.order(sfcc.site_id, number)
        assert stored is not None
        assert stored.export_updates == ["exported"], f"order {number} marked exactly once"


def test_the_token_is_renewed_before_it_expires_and_after_a_revocation(
    pipeline: Pipeline, sfcc: SandboxSfcc
) -> None:
    sfcc.store.token_lifetime_s = 2
    with site_export(pipeline, sfcc) as export:
        _seed(sfcc, "1001")
        assert export.run_once() == Round(exported=1)
        pipeline.wait(lambda: sfcc.store.live_tokens() == 0, what="the first token to expire")
        _seed(sfcc, "1002")
        assert export.run_once() == Round(exported=1)
        assert sfcc.store.tokens_issued == 2
        assert sfcc.store.unauthorized_answers == 0, "renewed before expiry, not after a 401"

        sfcc.store.token_lifetime_s = 1799
        sfcc.store.revoke_tokens()
        _seed(sfcc, "1003")
        assert export.run_once() == Round(exported=1)
        assert sfcc.store.tokens_issued == 3
    assert len(pipeline.records(pipeline.topic, expect=3)) == 3


def test_a_malformed_order_is_marked_failed_and_dead_lettered_while_the_rest_flow(
    pipeline: Pipeline, sfcc: SandboxSfcc
) -> None:
    _seed(sfcc, "2001")
    broken = order_document("2002", (Item("MUG", 1, Decimal("9.50")),))
    broken["productItems"][0]["quantity"] = 0
    sfcc.add_order(broken)
    _seed(sfcc, "2003")

    with site_export(pipeline, sfcc) as export:
        assert export.run_once() == Round(exported=2, failed=1)

    published = pipeline.records(pipeline.topic, expect=2)
    assert sorted(r.key for r in published) == [b"us:2001", b"us:2003"]
    (dead,) = pipeline.records(_dead_letter_topic(pipeline), expect=1)
    assert dead.key == b"us:2002"
    assert dead.value is not None
    assert json.loads(dead.value) == broken
    reason = (header(dead.headers, ERROR_MESSAGE) or b"").decode()
    assert reason.startswith("productItems.0.quantity:")
    stored = sfcc.store.order(sfcc.site_id, "2002")
    assert stored is not None
    assert stored.export_updates == ["failed"]
    assert stored.external_statuses == [f"retailsync could not take this order: {reason}"]
    for number in ("2001", "2003"):
        assert sfcc.store.order(sfcc.site_id, number).export_updates == ["exported"]


def test_two_sites_are_kept_apart_and_one_down_holds_up_nothing(
    pipeline: Pipeline, sfcc: SandboxSfcc
) -> None:
    with (
        SandboxSfcc.running(site_id="EU") as eu,
        site_export(pipeline, sfcc) as us_export,
        site_export(pipeline, eu, "eu") as eu_export,
    ):
        _seed(sfcc, "0001")
        _seed(eu, "0001")  # the same order number on another site
        exporter = Exporter([eu_export, us_export], interval_s=60)
        eu.faults.down()
        assert exporter.run_once() == Round(exported=1)  # the US site's order flows
        eu.faults.up()
        assert exporter.run_once() == Round(exported=1)  # the EU one, once it is back

    records = pipeline.records(pipeline.topic, expect=2)
    assert sorted(r.key for r in records) == [b"eu:0001", b"us:0001"]
    assert len({header(r.headers, EVENT_ID) for r in records}) == 2


def test_the_service_exports_every_sfcc_channel_of_the_channels_file(
    pipeline: Pipeline, sfcc: SandboxSfcc, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``retailsync serve sfcc-orders --once`` as the CLI wires it: settings, topology file,
    channels file."""
    topology_file = tmp_path / "topology.yaml"
    topology_file.write_text(pipeline.text, encoding="utf-8")
    settings = pipeline.settings.model_copy(
        update={"topology_file": topology_file, "schemas_dir": SCHEMAS}
    )
    monkeypatch.setenv("TEST_SFCC_ID", sfcc.client_id)
    monkeypatch.setenv("TEST_SFCC_SECRET", sfcc.client_secret)
    channels = parse_channels(
        f"""
channels:
  us:
    platform: sfcc
    url: '{sfcc.url}'
    token_url: '{sfcc.token_url}'
    organization_id: {sfcc.organization_id}
    site_id: {sfcc.site_id}
    client_id: {{env: TEST_SFCC_ID}}
    client_secret: {{env: TEST_SFCC_SECRET}}
""",
        "channels.yaml",
    )
    _seed(sfcc, "3001", "3002")
    said: list[str] = []
    export = SfccOrdersSettings(
        sfcc_dead_letter_topic=_dead_letter_topic(pipeline),
        sfcc_watermark_topic=_watermark_topic(pipeline),
    )
    run_sfcc_orders(settings, export, channels, once=True, say=said.append)
    assert said == ["2 order(s) exported, 0 failed, 0 changed order(s) published"]
    records = pipeline.records(pipeline.topic, expect=2)
    assert sorted(r.key for r in records) == [b"us:3001", b"us:3002"]


def test_the_running_service_answers_probes_and_counts_its_orders(
    pipeline: Pipeline, sfcc: SandboxSfcc, tmp_path: Path
) -> None:
    """``serve sfcc-orders`` as a container runs it: /readyz once a round is done, /healthz
    while rounds end, /metrics with the orders exported per channel."""
    telemetry.configure("sfcc-orders")
    topology_file = tmp_path / "topology.yaml"
    topology_file.write_text(pipeline.text, encoding="utf-8")
    settings = pipeline.settings.model_copy(
        update={"topology_file": topology_file, "schemas_dir": SCHEMAS, "http_port": 0}
    )
    channels = Channels({"us": sfcc_channel(sfcc, "us")})
    _seed(sfcc, "4001", "4002")
    export = SfccOrdersSettings(
        sfcc_dead_letter_topic=_dead_letter_topic(pipeline),
        sfcc_watermark_topic=_watermark_topic(pipeline),
        sfcc_poll_interval_s=0.2,
    )
    said: list[str] = []
    stop = threading.Event()
    service = threading.Thread(
        target=run_sfcc_orders,
        args=(settings, export, channels),
        kwargs={"once": False, "say": said.append, "stop": stop},
    )
    service.start()
    try:
        pipeline.wait(lambda: bool(said), what="the service to start")
        url = said[0].rpartition(" on ")[2]
        pipeline.wait(lambda: _status(f"{url}/readyz") == 200, what="the first round")
        assert _status(f"{url}/healthz") == 200
        pipeline.records(pipeline.topic, expect=2)
        metrics = httpx.get(f"{url}/metrics").text
        assert re.search(
            r'retailsync_sfcc_orders_total\{[^}]*channel="us"[^}]*outcome="exported"[^}]*\} 2',
            metrics,
        ), metrics
        assert re.search(r'retailsync_sfcc_rounds_total\{[^}]*outcome="ok"', metrics)
    finally:
        stop.set()
        service.join(timeout=30)
    assert not service.is_alive()


def _exported(pipeline: Pipeline, sfcc: SandboxSfcc, *numbers: str) -> None:
    """Seed ``numbers`` (not paid), export them, and start the change poll after that."""
    _seed(sfcc, *numbers)
    with site_export(pipeline, sfcc) as export:
        assert export.run_once() == Round(exported=len(numbers))
    with site_changes(pipeline, sfcc) as changes:
        assert changes.run_once() == Round()  # the first round only sets the watermark


def _order(sfcc: SandboxSfcc, number: str) -> StoredOrder:
    stored = sfcc.store.order(sfcc.site_id, number)
    assert stored is not None
    return stored


def _events(pipeline: Pipeline, expect: int) -> list[tuple[bytes | None, str, str]]:
    """The orders topic as (key, event type, event id), once it holds ``expect`` records;
    exactly that many."""
    records = pipeline.records(pipeline.topic, expect=expect)
    assert pipeline.size(pipeline.topic) == expect
    return [
        (r.key, (header(r.headers, EVENT_TYPE) or b"").decode(), str(header(r.headers, EVENT_ID)))
        for r in records
    ]


def test_exported_orders_cancelled_in_sfcc_become_one_order_cancelled_each(
    pipeline: Pipeline, sfcc: SandboxSfcc
) -> None:
    _exported(pipeline, sfcc, "5001", "5002", "5003", "5004", "5005")
    never_exported = order_document("5009", (Item("MUG", 1, Decimal("9.50")),))
    never_exported["exportStatus"] = "not_exported"
    sfcc.add_order(never_exported)
    for number in ("5001", "5003", "5005", "5009"):
        sfcc.store.set_order_status(_order(sfcc, number), "cancelled")

    with site_changes(pipeline, sfcc) as changes:
        assert changes.run_once() == Round(changed=3)  # in pages of two
        assert changes.run_once() == Round(), "nothing changed since"

    events = _events(pipeline, expect=8)
    cancelled = sorted(key for key, kind, _ in events if kind == "order_cancelled")
    assert cancelled == [b"us:5001", b"us:5003", b"us:5005"]
    assert sum(kind == "order_created" for _, kind, _ in events) == 5


def test_orders_changed_in_the_same_millisecond_are_all_read_across_pages(
    pipeline: Pipeline, sfcc: SandboxSfcc
) -> None:
    """Five changes stamped alike, in pages of two: the poll goes past them by offset."""
    with site_changes(pipeline, sfcc) as changes:
        assert changes.run_once() == Round()
    stamp = datetime.now(UTC) + timedelta(milliseconds=5)
    for n in range(5):
        document = order_document(f"900{n}", (Item("MUG", 1, Decimal("9.50")),))
        document.update(
            exportStatus="exported",
            status="cancelled",
            paymentStatus="not_paid",
            lastModified=stamp.isoformat(timespec="milliseconds"),
        )
        sfcc.add_order(document)
    pipeline.wait(lambda: datetime.now(UTC) > stamp, what="the clock to pass the stamp")
    with site_changes(pipeline, sfcc) as changes:
        assert changes.run_once() == Round(changed=5)
    events = _events(pipeline, expect=5)
    assert sorted(key for key, _, _ in events) == [f"us:900{n}".encode() for n in range(5)]


def test_a_changed_order_that_cannot_be_read_is_dead_lettered_while_the_others_flow(
    pipeline: Pipeline, sfcc: SandboxSfcc
) -> None:
    _exported(pipeline, sfcc, "9101", "9102")
    broken = _order(sfcc, "9101")
    broken.document["productItems"][0]["quantity"] = 0  # as if edited into nonsense
    for number in ("9101", "9102"):
        sfcc.store.set_order_status(_order(sfcc, number), "cancelled")

    with site_changes(pipeline, sfcc) as changes:
        assert changes.run_once() == Round(changed=1)

    events = _events(pipeline, expect=3)
    assert [key for key, kind, _ in events if kind == "order_cancelled"] == [b"us:9102"]
    (dead,) = pipeline.records(_dead_letter_topic(pipeline), expect=1)
    assert dead.key == b"us:9101"
    assert dead.value is not None
    assert json.loads(dead.value)["status"] == "cancelled"
    reason = (header(dead.headers, ERROR_MESSAGE) or b"").decode()
    assert reason.startswith("productItems.0.quantity:")


def test_an_exported_order_paid_afterwards_becomes_one_payment_captured(
    pipeline: Pipeline, sfcc: SandboxSfcc
) -> None:
    _exported(pipeline, sfcc, "6001")
    sfcc.store.set_payment_status(_order(sfcc, "6001"), "paid")
    with site_changes(pipeline, sfcc) as changes:
        assert changes.run_once() == Round(changed=1)

    records = pipeline.records(pipeline.topic, expect=2)
    assert pipeline.size(pipeline.topic) == 2
    (captured,) = (r for r in records if header(r.headers, EVENT_TYPE) == b"payment_captured")
    assert captured.value is not None
    event = pipeline.serde.decode(
        captured.value, topic=captured.topic, partition=captured.partition,
        offset=captured.offset, key=captured.key,
    )  # fmt: skip
    assert isinstance(event, PaymentCaptured)
    assert (event.order_ref, event.payment_ref) == ("us:6001", "6001-pi")
    assert event.amount == Decimal(str(_order(sfcc, "6001").document["orderTotal"]))


def test_an_authorized_payment_part_paid_then_paid_is_one_authorization_then_one_capture(
    pipeline: Pipeline, sfcc: SandboxSfcc
) -> None:
    """Part paid, SCAPI does not say which instrument was captured nor how much: nothing new
    is published until the order is paid."""
    sfcc.add_order(
        order_document(
            "6101", (Item("MUG", 2, Decimal("9.50")),), payment_status="not_paid", authorized=True
        )
    )
    published = PublishedIds()  # shared by the site's export and change poll, as in the service
    with site_changes(pipeline, sfcc, published) as changes:
        assert changes.run_once() == Round()
        with site_export(pipeline, sfcc, published=published) as export:
            assert export.run_once() == Round(exported=1)
        sfcc.store.set_payment_status(_order(sfcc, "6101"), "part_paid")
        assert changes.run_once() == Round(), "the authorization was published already"
        sfcc.store.set_payment_status(_order(sfcc, "6101"), "paid")
        assert changes.run_once() == Round(changed=1)

    assert [kind for _, kind, _ in _events(pipeline, expect=3)] == [
        "order_created", "payment_authorized", "payment_captured",
    ]  # fmt: skip
    authorized, captured = _decoded(pipeline, "payment_authorized", "payment_captured")
    total = Decimal(str(_order(sfcc, "6101").document["orderTotal"]))
    assert isinstance(authorized, PaymentAuthorized)
    assert (authorized.payment_ref, authorized.amount) == ("6101-txn", total)
    assert isinstance(captured, PaymentCaptured)
    assert (captured.payment_ref, captured.authorization_ref, captured.amount) == (
        "6101-pi", "6101-txn", total,
    )  # fmt: skip


def _decoded(pipeline: Pipeline, *kinds: str) -> list[Event]:
    """The orders topic's events of ``kinds`` (one record each), in that order."""
    records = {
        (header(r.headers, EVENT_TYPE) or b"").decode(): r for r in pipeline.records(pipeline.topic)
    }
    decoded = []
    for kind in kinds:
        r = records[kind]
        assert r.value is not None
        decoded.append(
            pipeline.serde.decode(
                r.value, topic=r.topic, partition=r.partition, offset=r.offset, key=r.key
            )
        )
    return decoded


def test_a_crash_before_the_watermark_is_written_republishes_the_same_event_id(
    pipeline: Pipeline, sfcc: SandboxSfcc, monkeypatch: pytest.MonkeyPatch
) -> None:
    _exported(pipeline, sfcc, "7001")
    sfcc.store.set_order_status(_order(sfcc, "7001"), "cancelled")

    def crash(self: Watermarks, channel: str, since: object) -> None:
        raise SystemExit("the process died before its watermark was written")

    with monkeypatch.context() as patched, site_changes(pipeline, sfcc) as changes:
        patched.setattr(Watermarks, "save", crash)
        with pytest.raises(SystemExit):
            changes.run_once()  # the order_cancelled is on Kafka, the watermark is not
    with site_changes(pipeline, sfcc) as changes:  # the restarted service
        assert changes.run_once() == Round(changed=1)
    with site_changes(pipeline, sfcc) as changes:
        assert changes.run_once() == Round(), "the watermark moved past the change"

    events = _events(pipeline, expect=3)
    cancelled = [event_id for key, kind, event_id in events if kind == "order_cancelled"]
    assert len(cancelled) == 2
    assert len(set(cancelled)) == 1, "the re-read change keeps its event id"


def test_an_order_read_again_publishes_its_state_once_per_process_under_the_export_ids(
    pipeline: Pipeline, sfcc: SandboxSfcc
) -> None:
    """A paid order's capture is one change however often the order is written: the export's
    own mark and a shipping status bring it back to the change poll, which publishes
    nothing the process published already, and after a restart the export's event id."""
    sfcc.add_order(order_document("8001", (Item("MUG", 1, Decimal("9.50")),)))  # paid
    published = PublishedIds()
    with site_changes(pipeline, sfcc, published) as changes:
        assert changes.run_once() == Round()
        with site_export(pipeline, sfcc, published=published) as export:
            assert export.run_once() == Round(exported=1)
        sfcc.store.set_shipping_status(_order(sfcc, "8001"), "part_shipped")
        assert changes.run_once() == Round(), "published already by this process"
    with site_changes(pipeline, sfcc) as changes:  # restarted: it remembers nothing
        sfcc.store.set_shipping_status(_order(sfcc, "8001"), "shipped")
        assert changes.run_once() == Round(changed=1)

    events = _events(pipeline, expect=3)
    captures = [event_id for _, kind, event_id in events if kind == "payment_captured"]
    assert len(captures) == 2
    assert len(set(captures)) == 1


def _status(url: str) -> int:
    try:
        return httpx.get(url, timeout=2).status_code
    except httpx.TransportError:
        return 0
