"""The Admin GraphQL ``orders`` connection as the go-live backfill reads it: a
``created_at`` search query, paging by cursor, and each Order with the fields the
conversion to the webhooks' REST body reads."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from producers.backfill.shopify import ORDERS, ShopifyOrders, created_since, rest_order
from producers.commerce.payloads.shopify import ShopifyOrder
from retailsync.storefront import StorefrontClient
from sandbox.storefront import SandboxStorefront

pytestmark = pytest.mark.contract


def page(client: StorefrontClient, since: datetime, first: int, after: str | None = None) -> Any:
    return client.execute(ORDERS, {"first": first, "after": after, "query": created_since(since)})


def test_the_backfill_query_is_answered_with_orders_the_webhook_payload_reads(
    client: StorefrontClient,
) -> None:
    since = datetime.now(UTC) - timedelta(days=60)
    data = page(client, since, 5)
    assert data["shop"]["myshopifyDomain"]
    assert set(data["orders"]["pageInfo"]) >= {"hasNextPage", "endCursor"}
    for node in data["orders"]["nodes"]:
        assert datetime.fromisoformat(node["createdAt"]) >= since
        order = ShopifyOrder.model_validate(rest_order(node))
        assert f"gid://shopify/Order/{order.id}" == node["id"]


def test_no_order_is_placed_in_the_future(client: StorefrontClient) -> None:
    # Far enough ahead of the orders the other tests place in the sandbox's future.
    data = page(client, datetime(2999, 1, 1, tzinfo=UTC), 5)
    assert data["orders"]["nodes"] == []
    assert data["orders"]["pageInfo"]["hasNextPage"] is False


def test_created_at_at_or_after_holds_to_the_second(
    sandbox: SandboxStorefront, client: StorefrontClient
) -> None:
    since = datetime(2031, 1, 1, tzinfo=UTC) + timedelta(days=uuid.uuid4().int % 1000)
    sku = f"SKU-{uuid.uuid4().hex[:6]}"
    early, exact, late = (
        sandbox.store.place_order([(sku, 1, "5.00")], created_at=since + timedelta(seconds=s))
        for s in (-1, 0, 1)
    )
    mine = {str(order.id) for order in (early, exact, late)}
    listed = [node["legacyResourceId"] for node in page(client, since, 250)["orders"]["nodes"]]
    assert [found for found in listed if found in mine] == [str(exact.id), str(late.id)]


def test_orders_come_in_pages_by_cursor_each_once(
    sandbox: SandboxStorefront, client: StorefrontClient
) -> None:
    since = datetime(2040, 1, 1, tzinfo=UTC) + timedelta(days=uuid.uuid4().int % 1000)
    placed = [
        sandbox.store.place_order([("PAGED", 1 + n, "3.00")], created_at=since) for n in range(5)
    ]
    first = page(client, since, 2)["orders"]
    assert len(first["nodes"]) == 2 and first["pageInfo"]["hasNextPage"] is True
    refs = [f"c:{order.id}" for order in placed]
    read = [order.order_ref for order in ShopifyOrders(client, "c", page_size=2).orders(since)]
    assert [ref for ref in read if ref in refs] == refs
    assert len(read) == len(set(read))
