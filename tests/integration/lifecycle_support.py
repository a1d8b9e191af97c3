"""The order-lifecycle projection on the session broker: a topology with an applier group
and a lifecycle group observing its failures, events of any type for an order, and the
projection run in a thread."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from confluent_kafka.admin import AdminClient
from sqlalchemy import URL, create_engine, make_url, text

from consumers.order_lifecycle import projection_service
from consumers.order_lifecycle.store import LifecycleStore
from retailsync.consumer import HandlerContext
from retailsync.errors import PermanentError
from retailsync.events import (
    Event,
    OrderAllocated,
    OrderCreated,
    OrderInvoiced,
    PaymentCaptured,
    ShipmentDispatched,
)
from retailsync.events.examples import SHOP, example_events
from retailsync.settings import Settings
from tests.integration.harness import make_pipeline
from tests.integration.operator_support import Operated

URL_VARIABLE = "RETAILSYNC_LIFECYCLE_DATABASE_URL"
LIFECYCLE_TOPOLOGY = """
namespace: NS
defaults: {partitions: 3}
topics:
  NS.orders: {}
  NS.shipments: {}
  NS.returns: {}
  NS.audit: {partitions: 1}
  NS.dlt-state: {partitions: 1, configs: {cleanup.policy: compact}}
events:
  order_created: {topic: NS.orders, key: "{order_ref}"}
  order_edited: {topic: NS.orders, key: "{order_ref}"}
  order_cancelled: {topic: NS.orders, key: "{order_ref}"}
  order_allocated: {topic: NS.orders, key: "{order_ref}"}
  order_invoiced: {topic: NS.orders, key: "{order_ref}"}
  payment_authorized: {topic: NS.orders, key: "{order_ref}"}
  payment_captured: {topic: NS.orders, key: "{order_ref}"}
  refund_issued: {topic: NS.orders, key: "{order_ref}"}
  shipment_dispatched: {topic: NS.shipments, key: "{order_ref}"}
  return_received: {topic: NS.returns, key: "{order_ref}"}
consumers:
  GROUP:
    subscriptions: [NS.orders]
    retry: {in_process_attempts: 1, delays: [1s], ordering: ORDERING}
  GROUP-lifecycle:
    subscriptions: [NS.orders, NS.shipments, NS.returns]
    observes: [GROUP]
    retry: {in_process_attempts: 3, delays: [], ordering: none}
"""


def make_lifecycle(
    settings: Settings,
    admin: AdminClient,
    unique: str,
    directory: Path,
    store_at: Path | URL | None = None,
) -> Operated:
    """The pipeline (its first group is the applier) and the CLI, whose projection is at
    ``store_at``: by default ``directory/lifecycle.sqlite3``."""
    pipeline = make_pipeline(settings, admin, unique, "key", template=LIFECYCLE_TOPOLOGY)
    (directory / "topology.yaml").write_text(pipeline.text, encoding="utf-8")
    where = store_at or directory / "lifecycle.sqlite3"
    variables = (
        {URL_VARIABLE: where.render_as_string(hide_password=False)}
        if isinstance(where, URL)
        else {"RETAILSYNC_LIFECYCLE_DATABASE": str(where)}
    )
    return Operated(pipeline, directory, unique, variables)


def database(operated: Operated) -> Path | URL:
    url = operated.variables.get(URL_VARIABLE)
    if url is not None:
        return make_url(url)
    return Path(operated.variables["RETAILSYNC_LIFECYCLE_DATABASE"])


def lifecycle_group(operated: Operated) -> str:
    return f"{operated.pipeline.group}-lifecycle"


def event(kind: type[Event], order_ref: str, at: datetime, version: int = 1) -> Event:
    """An event of type ``kind`` for ``order_ref`` that occurred ``at``."""
    example = next(e for e in example_events() if type(e) is kind)
    envelope = kind.new_envelope(
        source=SHOP,
        source_ref=f"{order_ref}/{kind.EVENT_TYPE}",
        occurred_at=at,
        source_version=version,
        channel="shop",
    )
    return example.model_copy(update={"envelope": envelope, "order_ref": order_ref})


@contextmanager
def projecting(operated: Operated) -> Iterator[LifecycleStore]:
    """The lifecycle group running on its database until the block ends; yields a
    read-only view of the database (the block waits on it)."""
    where = database(operated)
    store = LifecycleStore.connect(where)
    service = projection_service(lifecycle_group(operated), lambda: store)
    try:
        with operated.pipeline.running(service), LifecycleStore.read_only(where) as view:
            yield view
    finally:
        store.close()


def remove_database(operated: Operated) -> None:
    """Throw the projection away: its file, or its tables in PostgreSQL."""
    where = database(operated)
    if isinstance(where, URL):
        engine = create_engine(where)
        with engine.begin() as db:
            db.execute(text("DROP TABLE orders, events, failures"))
        engine.dispose()
        return
    for name in (where.name, f"{where.name}-wal", f"{where.name}-shm"):
        (where.parent / name).unlink(missing_ok=True)


REFUSED = "shop:refused"  # its order_created is dead-lettered by the applier


@contextmanager
def flowing(operated: Operated) -> Iterator[None]:
    """Orders flowing: one shipped late against a 48 h SLO, one dead-lettered by the applier,
    one allocated, invoiced and shipped; the applier and the projection run until the block
    ends."""
    operated.variables["RETAILSYNC_LIFECYCLE_SLO"] = json.dumps({"shipped": "48h"})
    pipeline = operated.pipeline
    now = datetime.now(UTC)
    pipeline.publish(
        event(OrderCreated, "shop:late", now - timedelta(hours=72)),
        event(OrderCreated, REFUSED, now - timedelta(minutes=2)),
        event(PaymentCaptured, REFUSED, now - timedelta(minutes=1)),
        event(OrderCreated, "shop:fine", now - timedelta(minutes=4)),
        event(OrderAllocated, "shop:fine", now - timedelta(minutes=3, seconds=40)),
        event(OrderInvoiced, "shop:fine", now - timedelta(minutes=3, seconds=20)),
        event(ShipmentDispatched, "shop:fine", now - timedelta(minutes=3)),
    )

    def apply(created: OrderCreated, _context: HandlerContext) -> None:
        if created.order_ref == REFUSED:
            raise PermanentError("the target refused the order")

    with pipeline.running(pipeline.service(apply)), projecting(operated) as view:
        pipeline.wait(
            lambda: len(view.contents()["events"]) == 7 and len(view.timeline(REFUSED)) == 3,
            60,
            "the fold",
        )
        pipeline.wait(
            lambda: pipeline.committed(pipeline.group, pipeline.topic) == 6, 30, "the applier"
        )
        yield
