"""Products and variations by SKU, their stock, and the batch endpoints, as
storefront-inventory uses them. Tests that change stock run against the sandbox only."""

from __future__ import annotations

import httpx
import pytest

from retailsync.errors import TargetUnavailableError
from retailsync.woocommerce import StockUpdate, WooCommerceClient
from sandbox.woocommerce import SandboxWooCommerce

pytestmark = pytest.mark.contract


def test_a_sku_lookup_finds_products_and_variations(
    client: WooCommerceClient, sandbox: SandboxWooCommerce
) -> None:
    mug = sandbox.store.add_product("C-MUG", stock=3)
    tee, (small, _) = sandbox.store.add_variable("C-TEE", ("C-TEE-S", "C-TEE-M"))
    found = client.products_by_sku(["C-MUG", "C-TEE-S", "C-NOT-SOLD"])
    assert set(found) == {"C-MUG", "C-TEE-S"}  # a SKU the shop lacks is absent
    assert (found["C-MUG"].id, found["C-MUG"].parent_id) == (mug.id, 0)
    assert (found["C-TEE-S"].id, found["C-TEE-S"].parent_id) == (small.id, tee.id)


def test_a_batch_sets_stock_and_the_status_follows(
    client: WooCommerceClient, sandbox: SandboxWooCommerce
) -> None:
    sandbox.store.add_product("C-CUP", stock=0)
    sandbox.store.add_product("C-PEN")  # stock not managed yet
    _, (small, medium) = sandbox.store.add_variable("C-HAT", ("C-HAT-S", "C-HAT-M"))
    found = client.products_by_sku(["C-CUP", "C-PEN", "C-HAT-S", "C-HAT-M"])
    refused = client.set_stock(
        [StockUpdate(found["C-CUP"], 7), StockUpdate(found["C-PEN"], 2),
         StockUpdate(found["C-HAT-S"], 0), StockUpdate(found["C-HAT-M"], 4)]
    )  # fmt: skip
    assert refused == {}
    cup, pen = sandbox.store.by_sku("C-CUP"), sandbox.store.by_sku("C-PEN")
    assert cup is not None and pen is not None
    assert (cup.stock_quantity, cup.stock_status) == (7, "instock")
    assert (pen.manage_stock, pen.stock_quantity) == (True, 2)  # managed from now on
    assert (small.stock_quantity, small.stock_status) == (0, "outofstock")
    assert (medium.stock_quantity, medium.stock_status) == (4, "instock")


def test_a_quantity_on_a_product_without_managed_stock_is_dropped(
    api: httpx.Client, sandbox: SandboxWooCommerce
) -> None:
    book = sandbox.store.add_product("C-BOOK")
    reply = api.put(f"/products/{book.id}", json={"stock_quantity": 5})
    assert reply.status_code == 200
    assert (reply.json()["manage_stock"], reply.json()["stock_quantity"]) == (False, None)


def test_a_backordered_product_at_zero_is_on_backorder(
    api: httpx.Client, sandbox: SandboxWooCommerce
) -> None:
    kit = sandbox.store.add_product("C-KIT", stock=2, backorders="yes")
    reply = api.put(f"/products/{kit.id}", json={"stock_quantity": 0})
    assert reply.json()["stock_status"] == "onbackorder"


def test_a_batch_answers_each_item_on_its_own(
    api: httpx.Client, sandbox: SandboxWooCommerce
) -> None:
    lamp = sandbox.store.add_product("C-LAMP", stock=1)
    reply = api.post(
        "/products/batch",
        json={"update": [{"id": lamp.id, "stock_quantity": 9},
                         {"id": 999_999, "stock_quantity": 1},
                         {"id": lamp.id, "stock_quantity": "many"}]},
    )  # fmt: skip
    assert reply.status_code == 200
    updated, unknown, invalid = reply.json()["update"]
    assert updated["stock_quantity"] == 9
    assert unknown["error"]["code"] == "woocommerce_rest_product_invalid_id"
    assert invalid["error"]["code"] == "rest_invalid_param"


def test_a_batch_of_more_than_100_items_is_refused_whole(api: httpx.Client) -> None:
    items = [{"id": n, "stock_quantity": 1} for n in range(1, 102)]
    reply = api.post("/products/batch", json={"update": items})
    assert reply.status_code == 413
    assert reply.json()["code"] == "woocommerce_rest_request_entity_too_large"


def test_collections_are_paged_with_wordpress_headers(
    api: httpx.Client, sandbox: SandboxWooCommerce
) -> None:
    for n in range(5):
        sandbox.store.add_product(f"C-PAGE-{n}")
    first = api.get("/products", params={"per_page": 2})
    total = int(first.headers["x-wp-total"])
    assert total >= 5
    assert first.headers["x-wp-totalpages"] == str(-(-total // 2))
    assert len(first.json()) == 2
    assert 'rel="next"' in first.headers["link"]
    second = api.get("/products", params={"per_page": 2, "page": 2})
    assert 'rel="prev"' in second.headers["link"]
    assert {p["id"] for p in first.json()}.isdisjoint({p["id"] for p in second.json()})


def test_a_page_size_over_100_is_an_invalid_parameter(api: httpx.Client) -> None:
    reply = api.get("/products", params={"per_page": 101})
    assert reply.status_code == 400
    assert reply.json()["code"] == "rest_invalid_param"


def test_a_throttled_call_is_sent_again_after_retry_after(
    client: WooCommerceClient, sandbox: SandboxWooCommerce, sleeps: list[float]
) -> None:
    sandbox.store.add_product("C-SOAP", stock=1)
    sandbox.store.throttle(2, retry_after_s=3)
    assert set(client.products_by_sku(["C-SOAP"])) == {"C-SOAP"}
    assert sleeps == [3.0, 3.0]


def test_a_throttle_answer_carries_retry_after(
    api: httpx.Client, sandbox: SandboxWooCommerce
) -> None:
    sandbox.store.throttle(1, retry_after_s=2)
    reply = api.get("/products")
    assert (reply.status_code, reply.headers["retry-after"]) == (429, "2")


def test_a_shop_that_keeps_failing_is_unavailable(
    client: WooCommerceClient, sandbox: SandboxWooCommerce, sleeps: list[float]
) -> None:
    sandbox.faults.fail(503)
    with pytest.raises(TargetUnavailableError):
        client.products_by_sku(["C-ANY"])
    assert len(sleeps) == 3  # four attempts, then the service pauses
