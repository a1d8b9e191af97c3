"""Odoo's catalog on the storefront: the Odoo change capture and storefront-catalog between
the sandbox Odoo and the sandbox storefront, on the real broker."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from confluent_kafka.admin import AdminClient
from pydantic import SecretStr

from consumers.storefront_catalog.applier import CatalogApplier
from consumers.storefront_catalog.channels import CatalogFanOut
from retailsync.channels import Channel, Channels
from retailsync.consumer import ConsumerService
from retailsync.events import PriceChanged
from retailsync.odoo import OdooClient
from retailsync.publisher import Publisher
from retailsync.settings import Settings
from retailsync.storefront import TARGET, StorefrontClient, StorefrontSettings
from sandbox.odoo import SandboxOdoo
from sandbox.sfcc import SandboxSfcc
from sandbox.storefront import SandboxStorefront
from tests.integration.harness import Pipeline, make_pipeline
from tests.integration.odoo_changes_support import (
    TOPOLOGY,
    CaptureSettings,
    events,
    odoo_settings,
    started_poller,
)

pytestmark = pytest.mark.integration

CATALOG_TOPOLOGY = (
    TOPOLOGY
    + """
consumers:
  GROUP-catalog:
    subscriptions: [NS.catalog]
    retry: {in_process_attempts: 2, delays: [1s], ordering: key}
"""
)


@pytest.fixture
def pipeline(kafka_settings: Settings, admin: AdminClient, unique: str) -> Pipeline:
    return make_pipeline(kafka_settings, admin, unique, template=CATALOG_TOPOLOGY)


@pytest.fixture
def odoo() -> Iterator[SandboxOdoo]:
    with SandboxOdoo.running(version="19.0") as sandbox:
        yield sandbox


@pytest.fixture
def settings(kafka_settings: Settings, odoo: SandboxOdoo, unique: str) -> CaptureSettings:
    return odoo_settings(
        kafka_settings, odoo, unique, odoo_models=["product.product", "product.pricelist"]
    )


@pytest.fixture
def client(settings: CaptureSettings) -> Iterator[OdooClient]:
    with OdooClient.from_settings(settings.odoo) as odoo:
        yield odoo


@pytest.fixture
def shop() -> Iterator[SandboxStorefront]:
    with SandboxStorefront.running(locations=["WH/Stock"]) as storefront:
        yield storefront


@pytest.fixture
def applier(shop: SandboxStorefront) -> Iterator[CatalogApplier]:
    with StorefrontClient.from_settings(StorefrontSettings(**shop.settings())) as storefront:
        yield CatalogApplier(storefront, pricelist="Default")


def catalog_service(pipeline: Pipeline, applier: CatalogApplier) -> ConsumerService:
    service = ConsumerService(next(iter(pipeline.topology.consumers)))
    service.batch_handler("product_upserted", "price_changed", target=TARGET, max_items=50)(
        applier.apply
    )
    return service


def test_odoo_products_prices_and_archiving_reach_the_storefront(
    client: OdooClient,
    settings: CaptureSettings,
    pipeline: Pipeline,
    shop: SandboxStorefront,
    applier: CatalogApplier,
    unique: str,
) -> None:
    sku = f"MUG-{unique}"
    [variant] = client.create(
        "product.product",
        [
            {
                "name": "Green mug",
                "default_code": sku,
                "barcode": "4006381333931",
                "weight": 0.35,
                "description_sale": "Stoneware <350 ml>",
                "list_price": 20.0,
            }
        ],
    )
    [row] = client.read("product.product", [variant], ["product_tmpl_id"])
    template = row["product_tmpl_id"][0]
    [default] = client.search_read("product.pricelist", [("name", "=", "Default")], ["id"])

    def listed() -> tuple[str, str, str | None] | None:
        found = shop.store.variant(sku)
        return (
            None if found is None else (found[0].status, found[1].price, found[1].compare_at_price)
        )

    with (
        started_poller(settings, pipeline) as poller,
        pipeline.running(catalog_service(pipeline, applier)),
    ):
        poller.poll()
        pipeline.wait(lambda: listed() == ("ACTIVE", "20.00", None), what="the new product")
        product, created = shop.store.variant(sku) or pytest.fail("not listed")
        assert (product.title, product.description_html) == (
            "Green mug",
            "Stoneware &lt;350 ml&gt;",
        )
        assert (created.barcode, created.weight_kg) == ("4006381333931", "0.35")

        client.create(
            "product.pricelist.item",
            [
                {
                    "pricelist_id": default["id"],
                    "applied_on": "1_product",
                    "product_tmpl_id": template,
                    "compute_price": "percentage",
                    "percent_price": 25,
                }
            ],
        )
        poller.poll()
        pipeline.wait(lambda: listed() == ("ACTIVE", "15.00", "20.00"), what="the sale price")

        # A retried copy of the first price comes late: the newer one stays.
        prices = [e for e in events(pipeline, "catalog") if isinstance(e, PriceChanged)]
        first_price = next(e for e in prices if e.pricelist == "Default")
        with Publisher(pipeline.settings, pipeline.topology, pipeline.serde) as publisher:
            publisher.publish(first_price)
        pipeline.wait(lambda: applier.counts.stale == 1, what="the stale price dropped")

        client.write("product.template", [template], {"active": False})
        poller.poll()
        pipeline.wait(lambda: listed() == ("ARCHIVED", "15.00", "20.00"), what="archiving")


def test_odoo_prices_reach_the_sfcc_price_books_beside_the_storefront(
    client: OdooClient,
    settings: CaptureSettings,
    pipeline: Pipeline,
    applier: CatalogApplier,
    unique: str,
) -> None:
    sku = f"CUP-{unique}"
    with SandboxSfcc.running() as sfcc:
        sfcc.store.add_price_book("usd-list", "USD")
        sfcc.store.add_price_book("usd-sale", "USD")
        channel = Channel(
            name="us-site",
            platform="sfcc",
            source="test",
            url=sfcc.url,
            price_lists={"Default": "usd-sale"},
            options={
                "token_url": sfcc.token_url,
                "organization_id": sfcc.organization_id,
                "site_id": sfcc.site_id,
                "ocapi_url": sfcc.url,
                "list_price_book": "usd-list",
            },
            secrets={
                "client_id": SecretStr(sfcc.client_id),
                "client_secret": SecretStr(sfcc.client_secret),
                "webdav_username": SecretStr(sfcc.webdav_user),
                "webdav_access_key": SecretStr(sfcc.webdav_access_key),
            },
        )
        fan_out = CatalogFanOut.of_channels(applier, Channels({"us-site": channel}), timeout_s=10)
        service = ConsumerService(next(iter(pipeline.topology.consumers)))
        service.batch_handler("product_upserted", "price_changed", target=TARGET, max_items=50)(
            fan_out.apply
        )
        [variant] = client.create(
            "product.product",
            [{"name": "Blue cup", "default_code": sku, "barcode": "4006381333948",
              "list_price": 20.0}],
        )  # fmt: skip
        [row] = client.read("product.product", [variant], ["product_tmpl_id"])
        [default] = client.search_read("product.pricelist", [("name", "=", "Default")], ["id"])
        client.create(
            "product.pricelist.item",
            [{"pricelist_id": default["id"], "applied_on": "1_product",
              "product_tmpl_id": row["product_tmpl_id"][0], "compute_price": "percentage",
              "percent_price": 25}],
        )  # fmt: skip

        def prices() -> list[str | None]:
            books = sfcc.store.price_book("usd-list"), sfcc.store.price_book("usd-sale")
            return [book.prices.get(sku) if book else None for book in books]

        try:
            with started_poller(settings, pipeline) as poller, pipeline.running(service):
                poller.poll()
                pipeline.wait(lambda: prices() == ["20.00", "15.00"], what="the SFCC prices")
        finally:
            fan_out.sfcc[0].client.close()
    assert sfcc.store.impex_files() == []
