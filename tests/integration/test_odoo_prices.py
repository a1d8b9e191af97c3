"""Odoo pricelists to price_changed, against the sandbox Odoo (18 and 19) and the real broker.

What the channel should show: the rule applied to the product, with the rule's window, not
the rule itself; a product's list price too.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from confluent_kafka.admin import AdminClient

from retailsync.events import PriceChanged
from retailsync.odoo import OdooClient
from retailsync.settings import Settings
from sandbox.odoo import SandboxOdoo
from tests.contract.odoo.helpers import new_product
from tests.integration.harness import Pipeline, make_pipeline
from tests.integration.odoo_changes_support import (
    TOPOLOGY,
    CaptureSettings,
    events,
    odoo_settings,
    only,
    started_poller,
)

pytestmark = pytest.mark.integration


@pytest.fixture(params=["18.0", "19.0"])
def odoo(request: pytest.FixtureRequest) -> Iterator[SandboxOdoo]:
    with SandboxOdoo.running(version=request.param) as sandbox:
        yield sandbox


@pytest.fixture
def pipeline(kafka_settings: Settings, admin: AdminClient, unique: str) -> Pipeline:
    return make_pipeline(kafka_settings, admin, unique, template=TOPOLOGY)


@pytest.fixture
def settings(kafka_settings: Settings, odoo: SandboxOdoo, unique: str) -> CaptureSettings:
    return odoo_settings(
        kafka_settings,
        odoo,
        unique,
        jsonrpc=odoo.major_version < 19,
        odoo_models=["product.pricelist"],
    )


@pytest.fixture
def client(settings: CaptureSettings) -> Iterator[OdooClient]:
    with OdooClient.from_settings(settings.odoo) as odoo:
        yield odoo


def _odoo_time(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M:%S")


def test_a_pricelist_rule_becomes_the_price_the_channel_shows(
    client: OdooClient, settings: CaptureSettings, pipeline: Pipeline, unique: str
) -> None:
    product = new_product(client, unique, price=20.0)
    [template] = client.read("product.product", [product], ["product_tmpl_id"])
    [default] = client.search_read("product.pricelist", [("name", "=", "Default")], ["id"])
    with started_poller(settings, pipeline) as poller:
        # The list price, and the Default (USD) pricelist's price: no rule, the list price.
        # The EUR and GBP pricelists would need a rate to price a USD product: none.
        assert poller.poll() == 2
        start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
        end = start + timedelta(days=7)
        client.create(
            "product.pricelist.item",
            [
                {
                    "pricelist_id": default["id"],
                    "applied_on": "1_product",
                    "product_tmpl_id": template["product_tmpl_id"][0],
                    "compute_price": "percentage",
                    "percent_price": 25,
                    "date_start": _odoo_time(start),
                    "date_end": _odoo_time(end),
                }
            ],
        )
        assert poller.poll() == 1  # the list price did not change
        assert poller.poll() == 0  # the overlap window re-read: nothing new
        client.write("product.template", [template["product_tmpl_id"][0]], {"list_price": 30.0})
        assert poller.poll() == 2

    found = only(PriceChanged, events(pipeline, "catalog", expect=5))
    assert {event.sku for event in found} == {f"SKU-{unique}"}
    assert [(e.pricelist, e.currency, e.price, e.compare_at_price) for e in found] == [
        (None, "USD", Decimal("20"), None),
        ("Default", "USD", Decimal("20"), None),
        ("Default", "USD", Decimal("15"), Decimal("20")),
        (None, "USD", Decimal("30"), None),
        ("Default", "USD", Decimal("22.5"), Decimal("30")),
    ]
    discounted = found[2]
    assert (discounted.valid_from, discounted.valid_until) == (start, end + timedelta(seconds=1))
    assert found[1].valid_from is None and found[1].valid_until is None
    on_default = [e for e in found if e.pricelist == "Default"]
    versions = [e.envelope.source_version or 0 for e in on_default]
    assert versions == sorted(versions) and len(set(versions)) == 3
    assert len({e.envelope.event_id for e in found}) == 5


def test_a_global_rule_reprices_every_product_and_a_restart_repeats_nothing(
    client: OdooClient, settings: CaptureSettings, pipeline: Pipeline, unique: str
) -> None:
    new_product(client, f"a-{unique}", price=10.0)
    new_product(client, f"b-{unique}", price=40.0)
    [default] = client.search_read("product.pricelist", [("name", "=", "Default")], ["id"])
    with started_poller(settings, pipeline) as poller:
        assert poller.poll() == 4
        client.create(
            "product.pricelist.item",
            [
                {
                    "pricelist_id": default["id"],
                    "applied_on": "3_global",
                    "compute_price": "formula",
                    "price_discount": 10,
                    "price_round": 1.0,
                    "price_surcharge": -0.01,
                }
            ],
        )
        assert poller.poll() == 2
    with started_poller(settings, pipeline) as restarted:
        assert restarted.poll() == 0

    # Each key's events keep their order (one partition); the last one is what holds.
    latest = {
        (e.sku, e.pricelist): e.price
        for e in only(PriceChanged, events(pipeline, "catalog", expect=6))
    }
    assert latest == {
        (f"SKU-a-{unique}", None): Decimal("10"),
        (f"SKU-a-{unique}", "Default"): Decimal("8.99"),
        (f"SKU-b-{unique}", None): Decimal("40"),
        (f"SKU-b-{unique}", "Default"): Decimal("35.99"),
    }
