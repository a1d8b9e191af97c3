"""Per-feed poll intervals in the running change capture, on the real broker: a fast feed is
polled on every tick while a slow one waits for its interval, and Odoo's webhook (``wake``)
polls the slow one at once."""

from __future__ import annotations

import threading

import pytest
from confluent_kafka.admin import AdminClient

from retailsync.events import PriceChanged, ProductUpserted
from retailsync.odoo import OdooClient
from retailsync.settings import Settings
from sandbox.odoo import SandboxOdoo
from tests.integration.harness import Pipeline, make_pipeline
from tests.integration.odoo_changes_support import TOPOLOGY, events, odoo_settings, started_poller

pytestmark = pytest.mark.integration


@pytest.fixture
def pipeline(kafka_settings: Settings, admin: AdminClient, unique: str) -> Pipeline:
    return make_pipeline(kafka_settings, admin, unique, template=TOPOLOGY)


def test_a_slow_feed_waits_for_its_interval_until_the_webhook_wakes_it(
    kafka_settings: Settings, pipeline: Pipeline, unique: str
) -> None:
    with SandboxOdoo.running(version="19.0") as odoo:
        settings = odoo_settings(
            kafka_settings,
            odoo,
            unique,
            odoo_models=["product.product", "product.pricelist"],
            odoo_poll_interval_s=0.2,  # prices: every 0.2 s
            odoo_poll_intervals={"product.product": 3600.0},  # products: hourly
        )

        def skus(kind: type[ProductUpserted] | type[PriceChanged]) -> set[str]:
            return {e.sku for e in events(pipeline, "catalog") if isinstance(e, kind)}

        with (
            OdooClient.from_settings(settings.odoo) as client,
            started_poller(settings, pipeline) as poller,
        ):
            client.create("product.product", [{"name": "First", "default_code": f"A-{unique}"}])
            running = threading.Thread(target=poller.run)
            running.start()
            try:
                # The first round polls every feed.
                pipeline.wait(lambda: f"A-{unique}" in skus(ProductUpserted), what="round one")
                client.create("product.product", [{"name": "Next", "default_code": f"B-{unique}"}])
                pipeline.wait(lambda: f"B-{unique}" in skus(PriceChanged), what="the fast feed")
                # The price feed polled since: the product feed did not.
                assert f"B-{unique}" not in skus(ProductUpserted)
                poller.wake()
                pipeline.wait(lambda: f"B-{unique}" in skus(ProductUpserted), what="the webhook")
            finally:
                poller.stop()
                running.join(30)
