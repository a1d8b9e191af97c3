"""Governed publishing on the real broker: storefront-catalog holds what breaks a publishing
rule, later records of its key wait behind it, and ``retailsync held`` releases or drops
them, audited, with two different people where the rule asks for two."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from confluent_kafka.admin import AdminClient

from consumers.storefront_catalog.applier import CatalogApplier
from retailsync.consumer import ConsumerService
from retailsync.events import PriceChanged, ProductUpserted, Source, SourceSystem
from retailsync.settings import Settings
from retailsync.storefront import TARGET, StorefrontClient, StorefrontSettings
from sandbox.storefront import SandboxStorefront
from tests.integration.operator_support import Operated, make_operated

pytestmark = pytest.mark.integration

HELD_TOPOLOGY = """
namespace: NS
defaults: {partitions: 3}
topics:
  NS.catalog: {}
  NS.audit: {partitions: 1}
  NS.dlt-state: {partitions: 1, configs: {cleanup.policy: compact}}
events:
  product_upserted: {topic: NS.catalog, key: "{sku}"}
  price_changed: {topic: NS.catalog, key: "{sku}"}
consumers:
  GROUP:
    subscriptions: [NS.catalog]
    retry: {in_process_attempts: 2, delays: [1s], ordering: key}
    publishing:
      price_drop: {percent: 50, approvers: 2}
      title_length: {max: 40}
"""
ODOO = Source(system=SourceSystem.ODOO, instance="held-test")


@pytest.fixture
def operated(kafka_settings: Settings, admin: AdminClient, unique: str, tmp_path: Path) -> Operated:
    return make_operated(kafka_settings, admin, unique, tmp_path, template=HELD_TOPOLOGY)


@pytest.fixture
def shop() -> Iterator[SandboxStorefront]:
    with SandboxStorefront.running(locations=["WH/Stock"]) as storefront:
        yield storefront


@pytest.fixture
def applier(shop: SandboxStorefront, operated: Operated) -> Iterator[CatalogApplier]:
    rules = operated.pipeline.topology.consumer(operated.pipeline.group).publishing
    with StorefrontClient.from_settings(StorefrontSettings(**shop.settings())) as storefront:
        yield CatalogApplier(storefront, pricelist=None, rules=rules)


def product(sku: str, version: int, name: str = "Green mug") -> ProductUpserted:
    return ProductUpserted(
        envelope=ProductUpserted.new_envelope(
            source=ODOO, source_ref=f"product.product/{sku}", occurred_at=datetime.now(UTC),
            source_version=version,
        ),
        sku=sku, name=name, barcode="4006381333931", unit_of_measure="Units",
        currency="USD", list_price=Decimal(20), active=True,
    )  # fmt: skip


def price(sku: str, version: int, amount: str) -> PriceChanged:
    return PriceChanged(
        envelope=PriceChanged.new_envelope(
            source=ODOO, source_ref=f"product.product/{sku}", occurred_at=datetime.now(UTC),
            source_version=version,
        ),
        sku=sku, currency="USD", price=Decimal(amount),
    )  # fmt: skip


def service(operated: Operated, applier: CatalogApplier) -> ConsumerService:
    consumer = ConsumerService(operated.pipeline.group)
    consumer.batch_handler("product_upserted", "price_changed", target=TARGET)(applier.apply)
    return consumer


def test_a_60_percent_drop_is_held_until_two_people_approve_and_later_prices_wait(
    operated: Operated, shop: SandboxStorefront, applier: CatalogApplier
) -> None:
    pipeline, group = operated.pipeline, operated.pipeline.group
    held_topic = f"{pipeline.topic}.{group}.held"

    def shown(sku: str) -> str | None:
        found = shop.store.variant(sku)
        return found[1].price if found else None

    pipeline.publish(product("MUG", 1), product("JUG", 1))
    with pipeline.running(service(operated, applier)):
        pipeline.wait(lambda: shown("MUG") == "20.00" and shown("JUG") == "20.00", what="listed")
        # 60 % off is held; the price after it waits behind it; another SKU flows on.
        pipeline.publish(price("MUG", 2, "8.00"), price("MUG", 3, "19.00"), price("JUG", 2, "18"))
        pipeline.wait(lambda: shown("JUG") == "18.00", what="the other SKU's price")
        pipeline.wait(
            lambda: pipeline.size(held_topic) == 2, what="the held price and its follower"
        )
        assert shown("MUG") == "20.00"

        (listed,) = operated.json("held", "list", group)
        assert (listed["rule"], listed["held"], listed["waiting"]) == ("price_drop", 1, 1)
        shown_text = operated.cli("held", "show", group, "--key", "MUG").stdout
        assert "rule: price_drop" in shown_text and "60.0 % below the 20.00 shown" in shown_text

        plan = operated.cli("held", "approve", group, "--reason", "spring sale", user="alice")
        assert "1 held records. Plan only" in plan.stdout
        operated.cli("held", "approve", group, "--reason", "spring sale", "--execute", user="alice")
        again = operated.cli(
            "held", "approve", group, "--reason", "me again", "--execute", user="alice"
        )
        assert "already has alice's approval" in again.stdout
        assert "Nothing to approve." in again.stdout
        (listed,) = operated.json("held", "list", group)
        assert (listed["held"], listed["approving"]) == (0, 1)
        assert shown("MUG") == "20.00"  # one approver is not enough for this rule

        operated.cli("held", "approve", group, "--reason", "agreed", "--execute", user="bob")
        # Approved, the drop is applied, then the price that waited behind it.
        pipeline.wait(lambda: shown("MUG") == "19.00", what="the approved drop and its follower")
    audit = operated.json("audit", "--action", "held approve")
    assert [(r["actor"], len(r["changes"])) for r in audit] == [("alice", 1), ("bob", 1)]
    assert audit[1]["changes"][0]["by"] == ["alice", "bob"]
    (listed,) = operated.json("held", "list", group)
    assert (listed["approved"], listed["waiting"]) == (1, 0)


def test_a_hold_outlives_a_restart_and_a_rejected_record_is_dropped(
    operated: Operated, shop: SandboxStorefront, applier: CatalogApplier
) -> None:
    pipeline, group = operated.pipeline, operated.pipeline.group
    held_topic = f"{pipeline.topic}.{group}.held"

    def title(sku: str) -> str | None:
        found = shop.store.variant(sku)
        return found[0].title if found else None

    pipeline.publish(product("VASE", 1))
    with pipeline.running(service(operated, applier)):
        pipeline.wait(lambda: title("VASE") == "Green mug", what="listed")
        pipeline.publish(product("VASE", 2, name="A vase whose title is far too long for the shop"))
        pipeline.wait(lambda: pipeline.size(held_topic) == 1, what="the long title held")
    # Restarted, the service still holds the key: the next product of it waits.
    with pipeline.running(service(operated, applier)):
        pipeline.publish(product("VASE", 3, name="Blue vase"))
        pipeline.wait(lambda: pipeline.size(held_topic) == 2, what="the next one waiting")
        assert title("VASE") == "Green mug"
        operated.cli("held", "reject", group, "--key", "VASE", "--reason", "typo",
                     "--execute", user="carol")  # fmt: skip
        # Rejected, the long title is dropped and the product that waited is applied.
        pipeline.wait(lambda: title("VASE") == "Blue vase", what="the product that waited")
        pipeline.publish(product("VASE", 4, name="Blue vase, large"))
        pipeline.wait(lambda: title("VASE") == "Blue vase, large", what="the key flowing again")
    # The held one, the one that waited, and the release marker.
    held, waited, _marker = operated.committed_records(held_topic)
    (rejected,) = operated.json("audit", "--action", "held reject")
    assert rejected["actor"] == "carol"
    assert rejected["selection"]["reason"] == "typo"
    assert rejected["changes"][0]["rejected"] == f"{held_topic}[{held.partition}] {held.offset}"
    assert rejected["changes"][0]["released"] == [f"{held_topic}[{waited.partition}] 1"]
    (listed,) = operated.json("held", "list", group)
    assert (listed["rule"], listed["rejected"], listed["held"]) == ("title_length", 1, 0)
