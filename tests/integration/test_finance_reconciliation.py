"""``retailsync reconcile finance`` against the sandbox Odoo and the sandbox Shopify: each
planted leak is found (a payment matched to no invoice, an order whose totals differ, goods
refunded with no return received, goods returned days ago and refunded nowhere) and nothing
else (a paid order, an amount refunded, goods refunded and returned, a return refunded on
the channel only, a return received today)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from consumers.odoo_orders.accounting import Ledger
from consumers.odoo_orders.finance import reconcile_finance
from consumers.odoo_orders.orders import FLAG_TAG, OrderBook
from consumers.odoo_orders.settings import OrdersSettings
from consumers.storefront_fulfillment.refunds import CREATE_REFUND, ORDER_REFUNDS, has_refunds
from retailsync.events import PaymentCaptured, RefundIssued
from retailsync.odoo import OdooClient, OdooSettings
from retailsync.storefront import StorefrontClient, StorefrontSettings
from sandbox.odoo import SandboxOdoo
from sandbox.storefront import SandboxStorefront
from tests.integration.test_odoo_orders import add_service_products, created, example, new_skus

pytestmark = pytest.mark.integration

SETTINGS = OrdersSettings()


@pytest.fixture(scope="module")
def odoo() -> Iterator[SandboxOdoo]:
    with SandboxOdoo.running() as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def client(odoo: SandboxOdoo) -> Iterator[OdooClient]:
    settings = OdooSettings(odoo_url=odoo.url, odoo_db=odoo.db, odoo_api_key=odoo.api_key)
    with OdooClient.from_settings(settings) as client:
        add_service_products(client)
        yield client


def _paid_order(client: OdooClient, name: str, ref: str | None = None) -> str:
    """A new order (28.12 EUR) with its capture booked; its ref."""
    [sku] = new_skus(client, 1)
    ref = ref or f"shop:{name}-{uuid.uuid4().hex[:6]}"
    assert OrderBook(client, SETTINGS).create([created(ref, sku)]) == {}
    paid = example(PaymentCaptured)
    assert isinstance(paid, PaymentCaptured)
    capture = paid.model_copy(update={"order_ref": ref, "payment_ref": f"capture-{ref}"})
    assert Ledger(client, SETTINGS).capture([capture]) == {}
    return ref


def _refund(client: OdooClient, ref: str, *, lines: bool = True) -> None:
    refunded = example(RefundIssued)
    assert isinstance(refunded, RefundIssued)
    changes: dict[str, object] = {"order_ref": ref, "refund_ref": f"refund-{ref}"}
    if not lines:
        changes |= {"lines": (), "amount": Decimal("5.00")}
    Ledger(client, SETTINGS).refund(refunded.model_copy(update=changes))


def _receive_return(client: OdooClient, ref: str, days_ago: int = 0) -> None:
    """A return receipt of one unit of the order's delivery, validated ``days_ago``."""
    [order] = client.search_read("sale.order", [("client_order_ref", "=", ref)], ["picking_ids"])
    [delivery] = client.read("stock.picking", order["picking_ids"], ["move_ids", "location_id",
                             "location_dest_id"])  # fmt: skip
    [move] = client.read("stock.move", delivery["move_ids"], ["product_id", "sale_line_id"])
    [kind] = client.search_read("stock.picking.type", [("code", "=", "incoming")], ["id"])
    [receipt] = client.create(
        "stock.picking",
        [
            {
                "picking_type_id": kind["id"],
                "location_id": delivery["location_dest_id"][0],
                "location_dest_id": delivery["location_id"][0],
                "return_id": delivery["id"],
                "sale_id": order["id"],
                "move_ids": [[0, 0, {
                    "name": "Return", "product_id": move["product_id"][0], "product_uom_qty": 1,
                    "sale_line_id": move["sale_line_id"][0],
                    "location_id": delivery["location_dest_id"][0],
                    "location_dest_id": delivery["location_id"][0],
                }]],
            }
        ],
    )  # fmt: skip
    client.call("stock.picking", "button_validate", [receipt])
    if days_ago:
        done = datetime.now(UTC) - timedelta(days=days_ago)
        client.write("stock.picking", [receipt], {"date_done": done.strftime("%Y-%m-%d %H:%M:%S")})


def _refund_in_shopify(storefront: StorefrontClient, order_id: str) -> None:
    """A refund made in Shopify's admin, of the whole order."""
    order = storefront.execute(ORDER_REFUNDS, {"id": order_id})["order"]
    refund = {
        "orderId": order_id,
        "note": "refunded at the counter",
        "refundLineItems": [
            {"lineItemId": item["id"], "quantity": item["quantity"], "restockType": "NO_RESTOCK"}
            for item in order["lineItems"]["nodes"]
        ],
    }
    created = storefront.execute(CREATE_REFUND, {"input": refund})["refundCreate"]
    assert created["userErrors"] == []


@pytest.fixture(scope="module")
def shop() -> Iterator[SandboxStorefront]:
    with SandboxStorefront.running(skus=["GOODS"]) as sandbox:
        yield sandbox


@pytest.fixture
def storefront(shop: SandboxStorefront) -> Iterator[StorefrontClient]:
    with StorefrontClient.from_settings(StorefrontSettings(**shop.settings())) as client:
        yield client


def test_reconciliation_finds_each_planted_leak_and_nothing_else(
    odoo: SandboxOdoo, client: OdooClient, shop: SandboxStorefront, storefront: StorefrontClient
) -> None:
    refunded_there = shop.store.place_order([("GOODS", 1, "28.12")])
    _paid_order(client, "fine")
    _refund(client, _paid_order(client, "goodwill"), lines=False)  # an amount, no goods
    returned = _paid_order(client, "returned")
    _refund(client, returned)
    _receive_return(client, returned)
    leaked = _paid_order(client, "refunded-not-returned")
    _refund(client, leaked)
    [partner] = client.create("res.partner", [{"name": "Walk-in customer"}])
    [stray] = client.create(
        "account.payment",
        [{"partner_id": partner, "amount": 42.0, "payment_type": "inbound", "memo": "unknown"}],
    )
    client.call("account.payment", "action_post", [stray])
    [tag] = client.create("crm.tag", [{"name": FLAG_TAG}])
    differs = _paid_order(client, "differs")
    order = OrderBook(client, SETTINGS).find([differs])[differs]
    client.write("sale.order", [int(str(order["id"]))], {"tag_ids": [[4, tag]]})
    not_refunded = _paid_order(client, "returned-not-refunded")
    _receive_return(client, not_refunded, days_ago=3)
    _receive_return(client, _paid_order(client, "returned-today"))
    # Refunded on the channel only (the merchant in Shopify's admin): no credit note in Odoo.
    _receive_return(client, _paid_order(client, "", f"shop:{refunded_there.id}"), days_ago=3)
    _refund_in_shopify(storefront, refunded_there.gid)

    report = reconcile_finance(
        client,
        (datetime.now(UTC) - timedelta(days=7)).date(),
        returned_before=datetime.now(UTC) - timedelta(days=2),
        channel_refunded=lambda ref: has_refunds(storefront, ref.partition(":")[2]),
    )

    [payment] = client.read("account.payment", [stray], ["name"])
    assert [(f.document, f.amount) for f in report.unmatched_payments] == [
        (payment["name"], Decimal("42.00"))
    ]
    assert [f.order for f in report.totals_differ] == [differs]
    assert [(f.order, f.amount) for f in report.refunds_without_return] == [
        (leaked, Decimal("-11.61"))
    ]
    assert [(f.order, f.amount) for f in report.returns_not_refunded] == [
        (not_refunded, Decimal("11.61"))
    ]

    environment = {k: v for k, v in os.environ.items() if not k.startswith("RETAILSYNC_")}
    environment |= {
        "RETAILSYNC_ODOO_URL": odoo.url,
        "RETAILSYNC_ODOO_DB": odoo.db,
        "RETAILSYNC_ODOO_API_KEY": odoo.api_key,
        "RETAILSYNC_LOG_LEVEL": "WARNING",
        "RETAILSYNC_STOREFRONT_URL": shop.url,
        "RETAILSYNC_STOREFRONT_ACCESS_TOKEN": shop.access_token,
        "RETAILSYNC_SHOPIFY_CHANNEL": "shop",
    }
    command = ["reconcile", "finance", "--days", "7", "--returns-days", "2", "--json"]
    done = subprocess.run(
        [sys.executable, "-m", "commands", *command],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1, done.stderr  # something to look at
    found = json.loads(done.stdout)
    assert [f["order"] for f in found["refunds_without_return"]] == [leaked]
    assert [f["amount"] for f in found["unmatched_payments"]] == ["42.00"]
    assert [f["order"] for f in found["totals_differ"]] == [differs]
    assert [f["order"] for f in found["returns_not_refunded"]] == [not_refunded]
