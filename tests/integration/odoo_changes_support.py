"""What the Odoo change-capture tests share: a topology, settings, a poller, the events."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import SecretStr

from producers.odoo import ChangeCaptureSettings, Poller
from retailsync.events import Event
from retailsync.odoo import OdooClient, OdooSettings
from retailsync.settings import Settings
from sandbox.odoo import SandboxOdoo
from tests.integration.harness import Pipeline

E = TypeVar("E", bound=Event)

TOPOLOGY = """
namespace: NS
defaults: {partitions: 3}
topics:
  NS.orders: {}
  NS.inventory: {configs: {cleanup.policy: compact}}
  NS.shipments: {}
  NS.returns: {}
  NS.catalog: {configs: {cleanup.policy: compact}}
  NS.checkpoints: {partitions: 1, configs: {cleanup.policy: compact}}
events:
  order_created: {topic: NS.orders, key: "{order_ref}"}
  order_cancelled: {topic: NS.orders, key: "{order_ref}"}
  order_allocated: {topic: NS.orders, key: "{order_ref}"}
  order_invoiced: {topic: NS.orders, key: "{order_ref}"}
  inventory_adjusted: {topic: NS.inventory, key: "{sku}@{location}"}
  shipment_dispatched: {topic: NS.shipments, key: "{order_ref}"}
  return_received: {topic: NS.returns, key: "{order_ref}"}
  product_upserted: {topic: NS.catalog, key: "{sku}"}
  price_changed: {topic: NS.catalog, key: "{sku}"}
"""


# Every feed but the prices, whose events would add to every count (test_odoo_prices.py),
# and the allocations and invoices of orders (test_odoo_order_checkpoints.py).
WITHOUT_PRICES = ["stock.quant", "stock.picking", "sale.order", "product.product"]


@dataclass(frozen=True)
class CaptureSettings:
    """The three settings objects ``serve odoo-changes`` reads: Kafka, Odoo and its own."""

    kafka: Settings
    odoo: OdooSettings
    capture: ChangeCaptureSettings


def odoo_settings(
    base: Settings, odoo: SandboxOdoo, unique: str, *, jsonrpc: bool = False, **overrides: Any
) -> CaptureSettings:
    """``base`` with the sandbox ``odoo`` (over JSON-2, or JSON-RPC) and this test's
    checkpoint topic."""
    capture: dict[str, Any] = {
        "odoo_checkpoint_topic": f"{unique}.checkpoints",
        "odoo_producer_id": f"odoo-changes-{unique}",
        "odoo_trigger_port": 0,
        "odoo_poll_interval_s": 0.2,
    }
    return CaptureSettings(
        kafka=base,
        odoo=OdooSettings(
            odoo_url=odoo.url,
            odoo_db=odoo.db,
            odoo_protocol="jsonrpc" if jsonrpc else "json2",
            odoo_api_key=SecretStr(odoo.api_key),
            odoo_user=odoo.login,
            odoo_password=SecretStr(odoo.password),
        ),
        capture=ChangeCaptureSettings(**{**capture, **overrides}),
    )


def environment(settings: CaptureSettings, topology_file: str, schemas_dir: str) -> dict[str, str]:
    """The RETAILSYNC_ variables that make a subprocess's settings equal ``settings``."""
    return {
        "RETAILSYNC_BOOTSTRAP_SERVERS": settings.kafka.bootstrap_servers,
        "RETAILSYNC_TOPOLOGY_FILE": topology_file,
        "RETAILSYNC_SCHEMAS_DIR": schemas_dir,
        **settings.odoo.environment(),
        **settings.capture.environment(),
    }


@contextmanager
def started_poller(settings: CaptureSettings, pipeline: Pipeline) -> Iterator[Poller]:
    """A started poller of this test's topology, as ``serve odoo-changes`` builds one."""
    with OdooClient.from_settings(settings.odoo) as odoo:
        poller = Poller(
            settings.kafka,
            settings.capture,
            odoo=odoo,
            instance=settings.odoo.instance,
            topology=pipeline.topology,
            serde=pipeline.serde,
        )
        try:
            poller.start()
            yield poller
        finally:
            poller.close()


def events(pipeline: Pipeline, topic: str, expect: int | None = None) -> list[Event]:
    """The committed events of ``topic``, in offset order within each partition."""
    name = f"{pipeline.topology.namespace}.{topic}"
    found = pipeline.records(name, timeout_s=10.0 if expect else 2.0, expect=expect)
    return [
        pipeline.serde.decode(
            record.value or b"",
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            key=record.key,
        )
        for record in sorted(found, key=lambda r: (r.partition, r.offset))
    ]


def only(model: type[E], found: list[Event]) -> list[E]:
    """``found``, checked to be all ``model`` events."""
    assert all(isinstance(event, model) for event in found), found
    return [event for event in found if isinstance(event, model)]
