"""storefront-fulfillment's refunds on the real broker: a return Odoo received becomes the
refund of exactly the received lines on the order's Shopify channel; a re-delivered return
refunds nothing more; a line the merchant refunded in Shopify is not refunded again; a
return of a WooCommerce channel's order is a dead letter naming the platform. And the whole
way: an order made by odoo-orders, delivered and partly returned in the sandbox Odoo,
captured by the change capture, refunded on the sandbox Shopify line item it came from."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient

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
from sandbox.storefront import SandboxStorefront
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
    monkeypatch.setenv("TEST_WOO_KEY", "ck_not_a_secret")
    monkeypatch.setenv("TEST_WOO_SECRET", "cs_not_a_secret")
    channels = parse_channels(
        f"""
channels:
  eu-shop: {{platform: shopify, url: '{shop.url}', access_token: {{env: TEST_EU_TOKEN}}}}
  woo: {{platform: woocommerce, url: 'https://woo.invalid', consumer_key: {{env: TEST_WOO_KEY}},
         consumer_secret: {{env: TEST_WOO_SECRET}}}}
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
    group = next(name for name in pipeline.topology.consumers if name.endswith("-fulfillment"))
    returns = next(t for t in pipeline.topology.topics if t.endswith(".returns"))
    service = ConsumerService(group)
    service.batch_handler("return_received", target=TARGET, max_items=50)(refunds.apply)
    woo = returned("woo:727", {"A": (1, "12.90")}, return_ref="WH/IN/00043")
    with Publisher(pipeline.settings, pipeline.topology, pipeline.serde) as publisher:
        publisher.publish(back)
        publisher.publish(woo)
    try:
        with pipeline.running(service):
            pipeline.wait(lambda: _committed(pipeline, group, returns) == 2, what="2 returns")
            with Publisher(pipeline.settings, pipeline.topology, pipeline.serde) as publisher:
                publisher.publish(back)  # re-delivered, as after a crash past the refund call
            pipeline.wait(lambda: _committed(pipeline, group, returns) == 3, what="the redelivery")
    finally:
        refunds.close()

    [_, ours] = order.refunds
    assert ours.note == refund_note("WH/IN/00042")
    assert [(r.line.sku, r.quantity, r.restock_type) for r in ours.lines] == [
        ("A", 2, "NO_RESTOCK")
    ]
    assert ours.amount == Decimal("25.80")  # B's 5.00 was refunded by the merchant
    assert shop.store.mutations.count("refundCreate") == 2  # the merchant's and ours
    [dead] = pipeline.records(f"{returns}.{group}.dlt", expect=1)
    assert dead.key == b"woo:727"
    message = dict(dead.headers)[ERROR_MESSAGE].decode()
    assert "woocommerce channel woo" in message


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
