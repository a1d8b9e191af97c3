"""storefront-fulfillment's refunds on the real broker: a return Odoo received becomes the
refund of exactly the received lines on the order's channel (Shopify, WooCommerce), or is
recorded on the SFCC order; a re-delivered return refunds nothing more; a line the
merchant refunded on the channel is not refunded again; a return of a generic channel's
order is a dead letter naming the platform. And the whole
way: an order made by odoo-orders, delivered and partly returned in the sandbox Odoo,
captured by the change capture, refunded on the sandbox Shopify line item it came from."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from decimal import Decimal
from typing import Any

import pytest
from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient

from commands.reconcile import channel_refunds
from consumers.odoo_orders.orders import OrderBook
from consumers.odoo_orders.settings import OrdersSettings
from consumers.storefront_fulfillment.channels import ByChannel
from consumers.storefront_fulfillment.refunds import CREATE_REFUND, RefundApplier, refund_note
from consumers.storefront_fulfillment.settings import FulfillmentSettings
from retailsync.channels import parse_channels
from retailsync.consumer import ConsumerService
from retailsync.events import OrderCreated, ReturnReceived
from retailsync.events.examples import AT, SHOP, example_events
from retailsync.headers import ERROR_MESSAGE
from retailsync.odoo import OdooClient
from retailsync.publisher import Publisher
from retailsync.settings import Settings
from retailsync.storefront import TARGET, StorefrontClient, StorefrontSettings
from sandbox.odoo import SandboxOdoo
from sandbox.sfcc import Item, SandboxSfcc, order_document
from sandbox.storefront import SandboxStorefront
from sandbox.woocommerce import SandboxWooCommerce
from tests.commerce import COMMERCE_TOPOLOGY, returned
from tests.contract.odoo.helpers import count_stock, main_warehouse, move_description, new_product
from tests.integration.harness import Pipeline, make_pipeline
from tests.integration.odoo_changes_support import TOPOLOGY as CHANGES_TOPOLOGY
from tests.integration.odoo_changes_support import (
    WITHOUT_PRICES,
    events,
    odoo_settings,
    only,
    started_poller,
)

pytestmark = pytest.mark.integration


@pytest.fixture
def pipeline(kafka_settings: Settings, admin: AdminClient, unique: str) -> Pipeline:
    return make_pipeline(kafka_settings, admin, unique, template=COMMERCE_TOPOLOGY)


@pytest.fixture
def shop() -> Iterator[SandboxStorefront]:
    with SandboxStorefront.running(skus=["A", "B"]) as storefront:
        yield storefront


def _committed(pipeline: Pipeline, group: str, topic: str) -> int:
    try:
        return pipeline.committed(group, topic)
    except KafkaException:  # the group's coordinator is not elected yet
        return 0


def test_a_received_return_is_refunded_once_and_only_for_what_is_not_refunded_yet(
    pipeline: Pipeline, shop: SandboxStorefront, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEST_EU_TOKEN", shop.access_token)
    channels = parse_channels(
        f"""
channels:
  eu-shop: {{platform: shopify, url: '{shop.url}', access_token: {{env: TEST_EU_TOKEN}}}}
  market: {{platform: generic}}
""",
        "channels.yaml",
    )
    refunds = ByChannel.refunds_of_channels(
        channels, StorefrontSettings(), FulfillmentSettings(storefront_notify_customer=False)
    )
    order = shop.store.place_order([("A", 3, "12.90"), ("B", 1, "5.00")])
    _merchant_refunds_b(shop, order.gid, f"gid://shopify/LineItem/{order.lines[1].id}")
    back = returned(
        f"eu-shop:{order.id}", {"A": (2, "25.80"), "B": (1, "5.00")}, return_ref="WH/IN/00042"
    )
    market = returned("market:727", {"A": (1, "12.90")}, return_ref="WH/IN/00043")
    group, returns = _run(pipeline, refunds, [back, market], redelivered=[back])

    [_, ours] = order.refunds
    assert ours.note == refund_note("WH/IN/00042")
    assert [(r.line.sku, r.quantity, r.restock_type) for r in ours.lines] == [
        ("A", 2, "NO_RESTOCK")
    ]
    assert ours.amount == Decimal("25.80")  # B's 5.00 was refunded by the merchant
    assert shop.store.mutations.count("refundCreate") == 2  # the merchant's and ours
    [dead] = pipeline.records(f"{returns}.{group}.dlt", expect=1)
    assert dead.key == b"market:727"
    message = dict(dead.headers)[ERROR_MESSAGE].decode()
    assert "generic channel market" in message


def _run(
    pipeline: Pipeline,
    refunds: ByChannel[Any],
    published: list[ReturnReceived],
    *,
    redelivered: list[ReturnReceived],
) -> tuple[str, str]:
    """Run storefront-fulfillment's refunds until ``published``, then ``redelivered`` (as
    after a crash past the refund call), are committed; its group and the returns topic."""
    group = next(name for name in pipeline.topology.consumers if name.endswith("-fulfillment"))
    returns = next(t for t in pipeline.topology.topics if t.endswith(".returns"))
    service = ConsumerService(group)
    service.batch_handler("return_received", target=TARGET, max_items=50)(refunds.apply)
    with Publisher(pipeline.settings, pipeline.topology, pipeline.serde) as publisher:
        for event in published:
            publisher.publish(event)
    done = len(published) + len(redelivered)
    try:
        with pipeline.running(service):
            pipeline.wait(
                lambda: _committed(pipeline, group, returns) == len(published),
                what=f"{len(published)} returns",
            )
            with Publisher(pipeline.settings, pipeline.topology, pipeline.serde) as publisher:
                for event in redelivered:
                    publisher.publish(event)
            pipeline.wait(lambda: _committed(pipeline, group, returns) == done, what="redelivery")
    finally:
        refunds.close()
    return group, returns


def test_woocommerce_and_sfcc_orders_get_the_refund_of_exactly_the_received_lines_once(
    pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    with SandboxWooCommerce.running() as woo, SandboxSfcc.running() as sfcc:
        monkeypatch.setenv("TEST_WOO_KEY", woo.consumer_key)
        monkeypatch.setenv("TEST_WOO_SECRET", woo.consumer_secret)
        monkeypatch.setenv("TEST_SFCC_ID", sfcc.client_id)
        monkeypatch.setenv("TEST_SFCC_SECRET", sfcc.client_secret)
        channels = parse_channels(
            f"""
channels:
  woo:
    platform: woocommerce
    url: '{woo.url}'
    consumer_key: {{env: TEST_WOO_KEY}}
    consumer_secret: {{env: TEST_WOO_SECRET}}
  site:
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
        refunds = ByChannel.refunds_of_channels(
            channels, StorefrontSettings(), FulfillmentSettings(storefront_notify_customer=False)
        )
        mug = woo.store.add_product("A", stock=4)
        woo_order = woo.store.add_order(
            [("A", 3, "12.90"), ("B", 1, "5.00")], currency="EUR", payment_method="stripe"
        )
        # B refunded in WooCommerce's admin before the goods came back.
        woo.store.create_refund(
            woo_order, Decimal("5.00"), "customer called",
            [(woo_order.lines[1].id, 1, Decimal("5.00"), Decimal(0))],
            refund_payment=True, restock=False,
        )  # fmt: skip
        site_order = sfcc.add_order(
            order_document(
                "00000777", (Item("A", 2, Decimal("9.50")), Item("B", 1, Decimal("12.00"))),
                currency="EUR",
            )
        )  # fmt: skip
        woo_back = returned(
            f"woo:{woo_order.id}", {"A": (2, "25.80"), "B": (1, "5.00")}, return_ref="WH/IN/00044"
        )
        site_back = returned("site:00000777", {"A": (1, "10.26")}, return_ref="WH/IN/00045")

        _run(pipeline, refunds, [woo_back, site_back], redelivered=[woo_back, site_back])
        untouched = woo.store.add_order([("A", 1, "12.90")], payment_method="stripe")
        sfcc.add_order(order_document("00000778", (Item("A", 1, Decimal("9.50")),)))
        with ExitStack() as stack:  # what the finance reconciliation asks the channels
            refunded = channel_refunds(list(channels), stack, timeout_s=5.0)
            assert refunded(woo_back.order_ref) and refunded(site_back.order_ref)
            assert not refunded(f"woo:{untouched.id}") and not refunded("site:00000778")

    _, ours = woo_order.refunds
    assert ours.reason == refund_note("WH/IN/00044")
    assert [(line.line.sku, line.quantity, line.total) for line in ours.lines] == [
        ("A", 2, Decimal("25.80"))
    ]
    assert ours.amount == Decimal("25.80") and ours.refunded_payment  # B's was the merchant's
    assert mug.stock_quantity == 4  # Odoo restocks, not the shop
    assert woo_order.remaining_refund == Decimal("12.90")
    [adjustment] = site_order.adjustments
    assert (adjustment["id"], adjustment["type"], adjustment["status"]) == (
        "WH/IN/00045", "return", "completed",
    )  # fmt: skip
    assert adjustment["lineItems"] == [{"id": "00000777-item-1", "quantity": -1}]
    assert adjustment["totals"] == [{"type": "total", "amount": -1026, "displayText": "Refund"}]
    assert site_order.external_statuses == [
        "refund 10.26 EUR for returns WH/IN/00045 10.26 (retailsync)"
    ]
    assert site_order.document["paymentStatus"] == "paid"  # SCAPI moved no money


def _merchant_refunds_b(shop: SandboxStorefront, order_id: str, line_item: str) -> None:
    """B refunded in Shopify's admin before the goods came back."""
    refund = {
        "orderId": order_id,
        "note": "customer called",
        "refundLineItems": [{"lineItemId": line_item, "quantity": 1, "restockType": "NO_RESTOCK"}],
        "transactions": [
            {"orderId": order_id, "gateway": "bogus", "kind": "REFUND", "amount": "5.00"}
        ],
    }
    with StorefrontClient.from_settings(StorefrontSettings(**shop.settings())) as client:
        created = client.execute(CREATE_REFUND, {"input": refund})["refundCreate"]
    assert created["userErrors"] == []


@pytest.fixture
def odoo() -> Iterator[SandboxOdoo]:
    with SandboxOdoo.running(version="18.0") as sandbox:
        yield sandbox


def test_an_odoo_return_receipt_becomes_the_refund_of_exactly_its_lines(
    kafka_settings: Settings,
    admin: AdminClient,
    unique: str,
    odoo: SandboxOdoo,
    shop: SandboxStorefront,
) -> None:
    # Change capture and storefront-fulfillment in one topology: Odoo's receipt -> Shopify.
    pipeline = make_pipeline(
        kafka_settings,
        admin,
        unique,
        template=CHANGES_TOPOLOGY
        + "consumers:\n  GROUP-fulfillment:\n    subscriptions: [NS.returns]\n"
        + "    retry: {in_process_attempts: 2, delays: [1s], ordering: key}\n",
    )
    capture = odoo_settings(kafka_settings, odoo, unique, jsonrpc=True, odoo_models=WITHOUT_PRICES)
    with OdooClient.from_settings(capture.odoo) as client:
        wh = main_warehouse(client)
        count_stock(client, new_product(client, unique), wh.stock_id, 10)
        template = next(e for e in example_events() if isinstance(e, OrderCreated))
        line = template.lines[0]
        placed = shop.store.place_order(
            [(f"SKU-{unique}", 3, str(line.unit_price))], currency=template.currency
        )
        ref = f"shop:{placed.id}"
        order = template.model_copy(
            update={
                "envelope": OrderCreated.new_envelope(
                    source=SHOP, source_ref=ref, occurred_at=AT, source_version=1
                ),
                "order_ref": ref,
                "customer_ref": f"{ref}-customer",
                "lines": (
                    line.model_copy(
                        update={
                            "line_ref": str(placed.lines[0].id),
                            "sku": f"SKU-{unique}",
                            "quantity": Decimal(3),
                            "discount": Decimal(0),
                            "total": line.unit_price * 3,
                        }
                    ),
                ),
                "shipping_total": Decimal(0),
                "shipping_tax": Decimal(0),
                "shipping_tax_lines": (),
            }
        )
        assert OrderBook(client, OrdersSettings()).create([order]) == {}
        [row] = client.search_read("sale.order", [("client_order_ref", "=", ref)], ["picking_ids"])
        [delivery] = row["picking_ids"]
        assert client.call("stock.picking", "button_validate", [delivery]) is True
        [move] = client.search_read(
            "stock.move", [("picking_id", "=", delivery)], ["product_id", "sale_line_id"]
        )
        [back] = client.create(
            "stock.picking",
            [
                {
                    "picking_type_id": wh.in_type_id,
                    "location_id": wh.customers_id,
                    "location_dest_id": wh.stock_id,
                    "return_id": delivery,
                    "move_ids": [
                        [0, 0, {"product_id": move["product_id"][0], "product_uom_qty": 2,
                                "sale_line_id": move["sale_line_id"][0],
                                **move_description(odoo.major_version, "return")}],
                    ],
                }
            ],
        )  # fmt: skip
        client.call("stock.picking", "button_validate", [back])
    with started_poller(capture, pipeline) as poller:
        poller.poll()
    [received] = only(ReturnReceived, events(pipeline, "returns", expect=1))

    applier = RefundApplier(
        StorefrontClient.from_settings(StorefrontSettings(**shop.settings())), "shop", False
    )
    service = ConsumerService(next(iter(pipeline.topology.consumers)))
    service.batch_handler("return_received", target=TARGET, max_items=50)(applier.apply)
    returns = f"{pipeline.topology.namespace}.returns"
    try:
        with pipeline.running(service):
            pipeline.wait(lambda: _committed(pipeline, service.name, returns) > 0, what="it")
            # The capture wrote it in a transaction, whose marker takes an offset too.
            first = _committed(pipeline, service.name, returns)
            with Publisher(pipeline.settings, pipeline.topology, pipeline.serde) as publisher:
                publisher.publish(received)  # re-delivered
            pipeline.wait(lambda: _committed(pipeline, service.name, returns) > first, what="again")
    finally:
        applier.client.close()

    [refund] = placed.refunds
    assert [(r.line.id, r.quantity, r.restock_type) for r in refund.lines] == [
        (placed.lines[0].id, 2, "NO_RESTOCK")
    ]
    assert refund.amount == received.refund_total > 0
    assert refund.note == refund_note(received.return_ref)
