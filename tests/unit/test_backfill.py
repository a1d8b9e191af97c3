"""The go-live backfill without a broker: a Shopify GraphQL order maps to the events its
webhooks map to, with ids a re-run keeps; an SFCC site's orders since the date map as the
export maps them, and a WooCommerce shop's as its webhooks do; orders that cannot be taken
are refused naming the field; and the plan counts what it would publish."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import typer
from pydantic import SecretStr

from commands.backfill import parse_since
from producers.backfill import BackfillPlan, ChannelOrder
from producers.backfill.sfcc import SfccOrders
from producers.backfill.shopify import channel_order, created_since, legacy_id
from producers.backfill.woocommerce import WooCommerceOrders
from producers.commerce.mapping import Delivery, events_of, identified, shopify, woocommerce
from producers.commerce.mapping.rules import checked
from retailsync.channels import Channel
from retailsync.events import CancelReason, OrderCancelled, OrderCreated, PaymentCaptured
from retailsync.events.examples import SHOP
from retailsync.sfcc import SfccClient
from retailsync.woocommerce import WooCommerceClient
from sandbox.sfcc import Item, SandboxSfcc, order_document
from sandbox.storefront.payloads import order_node, order_payload
from sandbox.storefront.store import Store
from sandbox.woocommerce import SandboxWooCommerce
from tests.commerce import sample, sample_json, sfcc_channel

pytestmark = pytest.mark.unit

SINCE = datetime(2025, 3, 1, tzinfo=UTC)


def graphql_order(**changes: Any) -> dict[str, Any]:
    """The order of the orders/create sample as the Admin GraphQL API lists it."""
    node = sample_json("shopify", "graphql_order")
    return {**copy.deepcopy(node), **changes}


def webhook_order_created(body: bytes) -> OrderCreated:
    delivery = Delivery("webhook-1", "orders/create", SHOP, "shopify")
    event = shopify.order_created(delivery, body)
    assert isinstance(event, OrderCreated)
    return event


def test_a_graphql_order_maps_to_the_order_created_of_its_webhook() -> None:
    backfilled = channel_order(graphql_order(), SHOP, "shopify")
    assert backfilled.refused is None
    assert backfilled.order_ref == "shopify:820982911946154508"
    assert backfilled.test is True
    [event] = backfilled.events  # authorized, not paid: no capture
    assert isinstance(event, OrderCreated)
    webhook = webhook_order_created(sample("shopify", "orders_create"))
    assert event.model_dump(exclude={"envelope"}) == webhook.model_dump(exclude={"envelope"})
    assert event.mapping_difference == 0
    assert event.envelope.occurred_at == webhook.envelope.occurred_at
    assert event.envelope.source == SHOP


def test_the_sandbox_lists_its_orders_as_its_webhooks_carry_them() -> None:
    store = Store()
    placed = store.place_order([("MUG", 2, "12.90"), ("TEE", 1, "20.00")])
    [created, captured] = channel_order(order_node(placed), SHOP, "shopify").events
    webhook = webhook_order_created(json.dumps(order_payload(placed)).encode())
    assert created.model_dump(exclude={"envelope"}) == webhook.model_dump(exclude={"envelope"})
    assert captured.envelope.event_type == "payment_captured"


def test_a_rerun_gives_the_same_event_ids_and_a_changed_order_new_ones() -> None:
    first = channel_order(graphql_order(), SHOP, "shopify").events
    again = channel_order(graphql_order(), SHOP, "shopify").events
    changed = channel_order(graphql_order(updatedAt="2025-03-15T08:00:00Z"), SHOP, "shopify").events
    ids = [event.envelope.event_id for event in first]
    assert ids == [event.envelope.event_id for event in again]
    assert set(ids).isdisjoint(event.envelope.event_id for event in changed)


def test_a_paid_cancelled_order_gives_its_capture_and_cancellation_after_it() -> None:
    node = graphql_order(
        displayFinancialStatus="PAID", cancelledAt="2025-03-15T08:00:00Z", cancelReason="CUSTOMER"
    )
    events = channel_order(node, SHOP, "shopify").events
    kinds = [event.envelope.event_type for event in events]
    assert kinds == ["order_created", "payment_captured", "order_cancelled"]
    created, captured, cancelled = events
    assert isinstance(created, OrderCreated)
    assert isinstance(captured, PaymentCaptured)
    assert isinstance(cancelled, OrderCancelled)
    # The payment ref orders/paid gives it: odoo-orders applies the payment once.
    assert captured.payment_ref == "order/820982911946154508/payment"
    assert captured.amount == created.total == Decimal("28.12")
    assert cancelled.reason is CancelReason.CUSTOMER


def test_an_order_with_an_impossible_amount_is_refused_naming_the_field() -> None:
    node = graphql_order(totalPriceSet={"shopMoney": {"amount": "-1.00", "currencyCode": "EUR"}})
    refused = channel_order(node, SHOP, "shopify")
    assert refused.events == ()
    assert refused.refused is not None and refused.refused.startswith("total_price:")


def test_an_order_with_more_lines_than_one_page_is_refused() -> None:
    node = graphql_order()
    node["lineItems"]["pageInfo"]["hasNextPage"] = True
    refused = channel_order(node, SHOP, "shopify")
    assert refused.refused == "lineItems: more than 100 lines"


def test_an_order_lacking_a_field_is_refused_naming_it() -> None:
    node = graphql_order()
    del node["currencyCode"]
    assert channel_order(node, SHOP, "shopify").refused == "currencyCode: missing"


def test_the_search_query_and_ids_are_shopifys() -> None:
    assert created_since(SINCE) == "created_at:>='2025-03-01T00:00:00Z'"
    assert legacy_id("gid://shopify/LineItem/866550311766439020") == 866550311766439020


def test_the_plan_counts_orders_events_test_orders_and_refusals() -> None:
    paid = channel_order(graphql_order(displayFinancialStatus="PAID"), SHOP, "eu-shop")
    authorized = channel_order(graphql_order(legacyResourceId="42", test=False), SHOP, "eu-shop")
    broken = ChannelOrder("eu-shop:7", SINCE, refused="total_price: too low")
    plan = BackfillPlan("eu-shop", SINCE, [paid, authorized, broken])
    assert plan.taken == [paid, authorized]
    assert plan.refused == [broken]
    assert plan.events_by_type() == {"order_created": 2, "payment_captured": 1}
    assert plan.rows() == [
        ("eu-shop:820982911946154508 (test)", "2025-03-14T09:26:53+00:00",
         "order_created, payment_captured", None),
        ("eu-shop:42", "2025-03-14T09:26:53+00:00", "order_created", None),
        ("eu-shop:7", "2025-03-01T00:00:00+00:00", "", "total_price: too low"),
    ]  # fmt: skip
    assert plan.summary() == (
        "3 orders of eu-shop placed since 2025-03-01T00:00:00+00:00: 2 to publish "
        "(2 order_created, 1 payment_captured), 1 of them test orders; 1 refused"
    )


def test_an_empty_plan_says_so() -> None:
    plan = BackfillPlan("eu-shop", SINCE, [])
    assert plan.summary() == (
        "0 orders of eu-shop placed since 2025-03-01T00:00:00+00:00: 0 to publish (no events)"
    )


def test_an_sfcc_site_lists_its_orders_since_the_date_refusing_malformed_and_unplaced() -> None:
    with SandboxSfcc.running() as sfcc:
        mug = (Item("MUG", 1, Decimal("9.50")),)
        old, good, broken = (
            order_document(number, mug, created=at)
            for number, at in (
                ("00000", SINCE.replace(year=2024)),
                ("00001", SINCE),
                ("00002", SINCE),
            )
        )
        broken["productItems"][0]["quantity"] = 0
        unplaced = order_document("00003", mug, created=SINCE)
        unplaced["status"] = "failed"  # its payment failed at checkout: no sale
        for document in (old, good, broken, unplaced):
            sfcc.add_order(document)
        channel = sfcc_channel(sfcc)
        with SfccClient.from_channel(channel) as client:
            taken, refused, failed = SfccOrders(client, channel, page_size=1).orders(SINCE)
    assert (taken.order_ref, refused.order_ref) == ("us-site:00001", "us-site:00002")
    assert [e.envelope.event_type for e in taken.events] == ["order_created", "payment_captured"]
    assert taken.created_at == SINCE
    assert refused.events == ()
    assert refused.refused is not None and refused.refused.startswith("productItems.0.quantity:")
    assert failed.refused == "status 'failed': its placement failed"


def test_an_sfcc_backfill_reads_every_order_past_the_listing_window_once() -> None:
    # getOrders lists no further than offset + limit = its window (10,000 on SCAPI; 10 here):
    # 64 orders in pages of 5, created 8 within each millisecond (more than a page, as in a
    # flash sale), each read once, oldest first.
    with SandboxSfcc.running(max_window=10) as sfcc:
        mug = (Item("MUG", 1, Decimal("9.50")),)
        stamps = [SINCE + timedelta(milliseconds=n // 8) for n in range(64)]
        numbers = [f"{n:05d}" for n in range(64)]
        for number, created in zip(numbers, stamps, strict=True):
            sfcc.add_order(order_document(number, mug, created=created))
        sfcc.add_order(order_document("99999", mug, created=SINCE - timedelta(days=1)))
        channel = sfcc_channel(sfcc)
        with SfccClient.from_channel(channel) as client:
            read = list(SfccOrders(client, channel, page_size=5).orders(SINCE))
    assert [order.order_ref for order in read] == [f"us-site:{n}" for n in numbers]
    assert all(order.refused is None for order in read)


def test_a_woocommerce_shop_lists_its_orders_since_the_date_as_its_webhooks_map_them() -> None:
    with SandboxWooCommerce.running() as woo:
        store = woo.store
        store.add_order([("MUG", 1, "9.50")], created_gmt="2025-02-28T23:59:59")  # before
        paid = store.add_order([("MUG", 2, "9.50")], created_gmt="2025-03-01T00:00:00")
        draft = store.add_order(
            [("MUG", 1, "9.50")], status="checkout-draft", created_gmt="2025-03-02T08:00:00"
        )
        channel = Channel(
            name="woo",
            platform="woocommerce",
            source="test",
            url=woo.url,
            secrets={
                "consumer_key": SecretStr(woo.consumer_key),
                "consumer_secret": SecretStr(woo.consumer_secret),
            },
        )
        with WooCommerceClient.from_channel(channel) as client:
            taken, unplaced = WooCommerceOrders(client, channel).orders(SINCE)
            [document] = [o for o in client.orders() if o["id"] == paid.id]
    assert (taken.order_ref, unplaced.order_ref) == (f"woo:{paid.id}", f"woo:{draft.id}")
    assert taken.created_at == SINCE
    assert [e.envelope.event_type for e in taken.events] == ["order_created", "payment_captured"]
    assert unplaced.refused == "status 'checkout-draft': a checkout not finished"
    # The live order.updated webhook of the same order makes the same order_created.
    live = Delivery("webhook-7", "order.updated", taken.events[0].envelope.source, "woo")
    [created, *_] = events_of(woocommerce.order_updated(live, json.dumps(document).encode()))
    assert identified(checked(created)).envelope.event_id == taken.events[0].envelope.event_id


def test_since_is_an_iso_date_or_time_in_utc_unless_it_says_otherwise() -> None:
    assert parse_since("2026-11-01") == datetime(2026, 11, 1, tzinfo=UTC)
    assert parse_since("2026-11-01T08:00:00+01:00") == datetime(2026, 11, 1, 7, tzinfo=UTC)
    with pytest.raises(typer.BadParameter, match="ISO 8601"):
        parse_since("last tuesday")
