"""odoo-customers against the real broker and the sandbox Odoo: an account becomes one
contact with its delivery address, updated in place; the order applier uses that contact;
a guest with the same email stays a contact of its own; consent becomes the blacklist;
an erasure anonymises the contact."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from confluent_kafka.admin import AdminClient

from consumers.odoo_customers import make_service
from consumers.odoo_customers.contacts import ERASED_NAME
from consumers.odoo_orders.orders import OrderBook
from consumers.odoo_orders.settings import OrdersSettings
from retailsync.events import CustomerErased, CustomerUpserted, OrderCreated
from retailsync.events.examples import AT, SHOP, example_events
from retailsync.odoo import OdooClient, OdooSettings
from retailsync.settings import Settings
from sandbox.odoo import SandboxOdoo
from tests.integration.harness import Pipeline, make_pipeline
from tests.integration.test_odoo_orders import add_service_products, new_skus

pytestmark = pytest.mark.integration

TOPOLOGY = """
namespace: NS
defaults: {partitions: 3}
topics:
  NS.customers: {configs: {cleanup.policy: compact}}
events:
  customer_upserted: {topic: NS.customers, key: "{customer_ref}"}
consumers:
  GROUP:
    subscriptions: [NS.customers]
    retry: {in_process_attempts: 2, delays: [1s, 2s], ordering: ORDERING}
"""
EVERY = {"active_test": False}


@pytest.fixture(scope="module")
def odoo() -> Iterator[SandboxOdoo]:
    with SandboxOdoo.running() as sandbox:
        with OdooClient.from_settings(_settings(sandbox)) as client:
            add_service_products(client)
        yield sandbox


def _settings(sandbox: SandboxOdoo) -> OdooSettings:
    return OdooSettings(odoo_url=sandbox.url, odoo_db=sandbox.db, odoo_api_key=sandbox.api_key)


@pytest.fixture
def client(odoo: SandboxOdoo) -> Iterator[OdooClient]:
    with OdooClient.from_settings(_settings(odoo)) as client:
        yield client


@pytest.fixture
def pipeline(kafka_settings: Settings, admin: AdminClient, unique: str) -> Pipeline:
    return make_pipeline(kafka_settings, admin, unique, template=TOPOLOGY)


def customer(ref: str, version: int, **changes: object) -> CustomerUpserted:
    template = next(e for e in example_events() if isinstance(e, CustomerUpserted))
    envelope = CustomerUpserted.new_envelope(
        source=SHOP, source_ref=ref, occurred_at=AT, source_version=version
    )
    return template.model_copy(update={"envelope": envelope, "customer_ref": ref, **changes})


def contacts(client: OdooClient, ref: str, *, archived: bool = False) -> list[dict[str, Any]]:
    fields = ["name", "email", "street", "active", "child_ids", "is_blacklisted"]
    # Not with active_test off by default: Odoo then counts archived blacklist entries too.
    context = EVERY if archived else None
    return client.search_read("res.partner", [("ref", "=", ref)], fields, context=context)


def test_an_account_is_one_contact_with_its_delivery_address_updated_in_place(
    pipeline: Pipeline, client: OdooClient
) -> None:
    ref = f"shop:{uuid.uuid4().hex[:8]}"
    first = customer(ref, 1)
    moved = customer(
        ref,
        2,
        last_name="Mover",
        default_address=first.default_address.model_copy(update={"line1": "9 New Street"})
        if first.default_address
        else None,
    )
    with pipeline.running(make_service(lambda: client, name=pipeline.group)):
        pipeline.publish(first, moved)
        pipeline.wait(
            lambda: [c["name"] for c in contacts(client, ref)] == ["Example Mover"],
            what="the contact to follow the account",
        )
    [contact] = contacts(client, ref)
    [address] = client.read("res.partner", contact["child_ids"], ["type", "street", "city"])
    assert address["type"] == "delivery"
    assert address["street"] == "9 New Street"


def test_orders_use_the_account_contact_and_a_guest_with_its_email_stays_apart(
    pipeline: Pipeline, client: OdooClient
) -> None:
    ref = f"shop:{uuid.uuid4().hex[:8]}"
    account = customer(ref, 1, email="same.person@example.org")
    with pipeline.running(make_service(lambda: client, name=pipeline.group)):
        pipeline.publish(account)
        pipeline.wait(lambda: bool(contacts(client, ref)), what="the account's contact")

    template = next(e for e in example_events() if isinstance(e, OrderCreated))
    [sku] = new_skus(client, 1)
    line = template.lines[0].model_copy(update={"sku": sku})

    def order(order_ref: str, customer_ref: str | None) -> OrderCreated:
        envelope = OrderCreated.new_envelope(
            source=SHOP, source_ref=order_ref, occurred_at=AT, source_version=1
        )
        return template.model_copy(
            update={
                "envelope": envelope,
                "order_ref": order_ref,
                "customer_ref": customer_ref,
                "email": "same.person@example.org",
                "lines": (line,),
            }
        )

    placed, guest = f"{ref}-order", f"{ref}-guest-order"
    failures = OrderBook(client, OrdersSettings()).create([order(placed, ref), order(guest, None)])
    assert failures == {}
    [contact] = contacts(client, ref)
    [by_account] = client.search_read(
        "sale.order", [("client_order_ref", "=", placed)], ["partner_id"]
    )
    [by_guest] = client.search_read(
        "sale.order", [("client_order_ref", "=", guest)], ["partner_id"]
    )
    assert by_account["partner_id"][0] == contact["id"]
    # The guest's order has a contact of its own: an email alone merges no one.
    assert by_guest["partner_id"][0] != contact["id"]


def test_consent_becomes_the_blacklist_and_the_latest_statement_wins(
    pipeline: Pipeline, client: OdooClient
) -> None:
    ref = f"shop:{uuid.uuid4().hex[:8]}"
    email = f"{uuid.uuid4().hex[:8]}@example.org"

    def blacklisted() -> bool:
        found = contacts(client, ref)
        return bool(found) and found[0]["is_blacklisted"] is True

    with pipeline.running(make_service(lambda: client, name=pipeline.group)):
        pipeline.publish(customer(ref, 1, email=email, accepts_marketing=False))
        pipeline.wait(blacklisted, what="the opted-out address to be blacklisted")
        pipeline.publish(customer(ref, 2, email=email.upper(), accepts_marketing=True))
        pipeline.wait(lambda: not blacklisted(), what="consent to take it off the list")
        pipeline.publish(customer(ref, 3, email=email, accepts_marketing=False))
        pipeline.wait(blacklisted, what="the opt-out to put it back")
    entries = client.search_read(
        "mail.blacklist", [("email", "=", email)], ["active"], context=EVERY
    )
    assert len(entries) == 1


def test_an_erasure_anonymises_and_archives_the_contact_and_its_addresses(
    pipeline: Pipeline, client: OdooClient
) -> None:
    ref = f"shop:{uuid.uuid4().hex[:8]}"
    erasure = CustomerErased(
        envelope=CustomerErased.new_envelope(
            source=SHOP, source_ref=ref, occurred_at=AT, delivery_id="redact-1"
        ),
        customer_ref=ref,
    )
    with pipeline.running(make_service(lambda: client, name=pipeline.group)):
        pipeline.publish(customer(ref, 1))
        pipeline.wait(lambda: bool(contacts(client, ref)), what="the contact")
        pipeline.publish(erasure)
        pipeline.wait(
            lambda: [c["name"] for c in contacts(client, ref, archived=True)] == [ERASED_NAME],
            what="the contact to be anonymised",
        )
    [contact] = contacts(client, ref, archived=True)
    assert contact["email"] is False and contact["street"] is False
    assert contact["active"] is False
    [address] = client.search_read(
        "res.partner",
        [("parent_id", "=", contact["id"])],
        ["name", "street", "active"],
        context=EVERY,
    )
    assert (address["name"], address["street"], address["active"]) == (ERASED_NAME, False, False)
    # On the compacted topic the erasure is the key's tombstone.
    records = pipeline.records(pipeline.topic, expect=2)
    assert [r.value is None for r in records if r.key == ref.encode()] == [False, True]
