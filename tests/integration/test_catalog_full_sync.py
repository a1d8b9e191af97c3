"""``retailsync sync catalog --full`` on the real broker: a storefront that drifted from Odoo
is healed by a full pass that storefront-catalog applies, and republishing is harmless."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from confluent_kafka.admin import AdminClient

from consumers.storefront_catalog.applier import CatalogApplier
from producers.odoo.service import full_passes
from retailsync.events import PriceChanged, ProductUpserted
from retailsync.odoo import OdooClient
from retailsync.settings import Settings
from retailsync.storefront import StorefrontClient, StorefrontSettings
from sandbox.odoo import SandboxOdoo
from sandbox.storefront import SandboxStorefront
from tests.integration.odoo_changes_support import (
    TOPOLOGY,
    CaptureSettings,
    events,
    odoo_settings,
    started_poller,
)
from tests.integration.operator_support import Operated, make_operated
from tests.integration.test_storefront_catalog import CATALOG_TOPOLOGY, catalog_service

pytestmark = pytest.mark.integration

# The catalog pipeline with the topics the operator commands write: audit, dead-letter state.
OPERATED_CATALOG = CATALOG_TOPOLOGY.replace(
    "events:",
    "  NS.audit: {partitions: 1}\n"
    "  NS.dlt-state: {partitions: 1, configs: {cleanup.policy: compact}}\n"
    "events:",
    1,
)
assert OPERATED_CATALOG != CATALOG_TOPOLOGY and TOPOLOGY in CATALOG_TOPOLOGY


@pytest.fixture
def odoo() -> Iterator[SandboxOdoo]:
    with SandboxOdoo.running(version="19.0") as sandbox:
        yield sandbox


@pytest.fixture
def shop() -> Iterator[SandboxStorefront]:
    with SandboxStorefront.running(locations=["WH/Stock"]) as storefront:
        yield storefront


@pytest.fixture
def settings(kafka_settings: Settings, odoo: SandboxOdoo, unique: str) -> CaptureSettings:
    return odoo_settings(
        kafka_settings, odoo, unique, odoo_models=["product.product", "product.pricelist"]
    )


@pytest.fixture
def operated(
    kafka_settings: Settings,
    admin: AdminClient,
    unique: str,
    tmp_path: Path,
    settings: CaptureSettings,
) -> Operated:
    operated = make_operated(kafka_settings, admin, unique, tmp_path, template=OPERATED_CATALOG)
    operated.variables.update(settings.odoo.environment())
    return operated


def test_a_full_pass_heals_a_price_that_drifted_on_the_storefront(
    settings: CaptureSettings, operated: Operated, shop: SandboxStorefront, unique: str
) -> None:
    pipeline = operated.pipeline
    sku = f"MUG-{unique}"
    with OdooClient.from_settings(settings.odoo) as client:
        mug = {"name": "Green mug", "default_code": sku, "list_price": 20.0}
        client.create("product.product", [{**mug, "barcode": "4006381333931"}])
        goods = [("default_code", "!=", False), ("type", "not in", ["service", "combo"])]
        sellable = client.search_read("product.product", goods, ["id"])

    def shown() -> str | None:
        found = shop.store.variant(sku)
        return None if found is None else found[1].price

    with (
        StorefrontClient.from_settings(StorefrontSettings(**shop.settings())) as storefront,
        started_poller(settings, pipeline) as poller,
    ):
        applier = CatalogApplier(storefront, pricelist="Default")
        with pipeline.running(catalog_service(pipeline, applier)):
            poller.poll()
            pipeline.wait(lambda: shown() == "20.00", what="the product on the storefront")
            live = events(pipeline, "catalog")

            # Someone edits the price on the storefront by hand: Odoo still says 20.00.
            with shop.store.locked():
                (shop.store.variant(sku) or pytest.fail("not listed"))[1].price = "7.00"

            planned = operated.cli("sync", "catalog", "--full")
            assert f"{len(sellable)} sellable products" in planned.stdout
            assert "nothing published" in planned.stdout
            assert len(events(pipeline, "catalog")) == len(live)

            done = operated.cli("sync", "catalog", "--full", "--execute")
            assert f"Published {len(sellable)} product_upserted" in done.stdout
            pipeline.wait(lambda: shown() == "20.00", what="the drifted price healed")
            assert applier.counts.stale == 0

    republished = events(pipeline, "catalog")[len(live) :]
    mine = [e for e in republished if getattr(e, "sku", None) == sku]
    # The same state is the same event as the feed's: same version, same id.
    live_product = next(e for e in live if isinstance(e, ProductUpserted) and e.sku == sku)
    again = next(e for e in mine if isinstance(e, ProductUpserted))
    assert again.envelope.event_id == live_product.envelope.event_id
    # Its list price and its price on each active pricelist, none older than the feed's.
    live_prices = {e.pricelist: e for e in live if isinstance(e, PriceChanged) and e.sku == sku}
    prices = {e.pricelist: e for e in mine if isinstance(e, PriceChanged)}
    assert prices.keys() == live_prices.keys()
    for pricelist, price in prices.items():
        assert price.price == live_prices[pricelist].price
        assert (price.envelope.source_version or 0) >= (
            live_prices[pricelist].envelope.source_version or 0
        )

    published = {
        "products": sum(isinstance(e, ProductUpserted) for e in republished),
        "prices": sum(isinstance(e, PriceChanged) for e in republished),
    }
    assert published["products"] == len(sellable)
    [audited] = [r for r in operated.json("audit") if r["action"] == "sync catalog"]
    assert audited["command"] == "retailsync sync catalog --full --execute"
    assert audited["changes"] == [published]


def test_serve_odoo_changes_runs_the_full_pass_on_its_interval(
    settings: CaptureSettings, operated: Operated, monkeypatch: pytest.MonkeyPatch, unique: str
) -> None:
    pipeline = operated.pipeline
    monkeypatch.setenv("RETAILSYNC_AUDIT_TOPIC", operated.audit_topic)
    with OdooClient.from_settings(settings.odoo) as client:
        client.create("product.product", [{"name": "Mug", "default_code": f"MUG-{unique}"}])
    stopped = threading.Event()
    passes = threading.Thread(
        target=full_passes,
        args=(settings.kafka, settings.odoo, 0.5, stopped),
        kwargs={"topology": pipeline.topology, "serde": pipeline.serde},
    )
    passes.start()
    try:
        pipeline.wait(
            lambda: sum(r["action"] == "sync catalog" for r in operated.json("audit")) >= 2,
            what="two scheduled passes",
        )
    finally:
        stopped.set()
        passes.join(30)
    audited = [r for r in operated.json("audit") if r["action"] == "sync catalog"]
    assert {r["actor"] for r in audited} == {"odoo-changes"}
    upserted = [e for e in events(pipeline, "catalog") if isinstance(e, ProductUpserted)]
    assert sum(e.sku == f"MUG-{unique}" for e in upserted) >= 2
