"""The sandbox storefront's GraphQL subset: shapes, user errors and cost-based throttling."""

from __future__ import annotations

from typing import Any

import pytest

from sandbox.storefront import LeakyBucket, SandboxStorefront
from sandbox.storefront.documents import parse
from sandbox.storefront.graphql import execute
from tests.clock import Clock

pytestmark = pytest.mark.unit

SET = """mutation Set($input: InventorySetQuantitiesInput!) {
  inventorySetQuantities(input: $input) {
    inventoryAdjustmentGroup { changes { delta } }
    userErrors { code field message }
  }
}"""
ITEMS = """query Items($q: String!) {
  inventoryItems(first: 10, query: $q) {
    nodes {
      id sku
      inventoryLevels(first: 5) { nodes { quantities(names: ["available"]) { name quantity } } }
    }
  }
}"""
CREATE = """mutation C($f: FulfillmentInput!) {
  fulfillmentCreate(fulfillment: $f) { fulfillment { id } userErrors { field message } }
}"""


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def shop(clock: Clock) -> SandboxStorefront:
    return SandboxStorefront(
        locations=["WH/Stock", "Shop/Stock"], skus=["MUG-GREEN", 'ODD"SKU'], available=3,
        bucket=LeakyBucket(100, 10, clock=clock),
    )  # fmt: skip


def run(shop: SandboxStorefront, document: str, **variables: Any) -> dict[str, Any]:
    return execute(shop.store, shop.bucket, document, variables)


def quantities(shop: SandboxStorefront, *entries: tuple[str, str, int]) -> dict[str, Any]:
    return {
        "name": "available",
        "reason": "correction",
        "ignoreCompareQuantity": True,
        "quantities": [
            {
                "inventoryItemId": shop.store.items[sku],
                "locationId": shop.locations[loc],
                "quantity": n,
            }
            for sku, loc, n in entries
        ],
    }


def test_the_parser_reads_root_fields_arguments_and_connection_sizes() -> None:
    operation = parse(ITEMS, {"q": "sku:A"})
    assert operation.kind == "query"
    assert [(f.name, f.arguments) for f in operation.fields] == [
        ("inventoryItems", {"first": 10, "query": "sku:A"})
    ]
    assert operation.requested_objects == 1 + 10 + 5


def test_items_are_found_by_sku_with_their_levels(shop: SandboxStorefront) -> None:
    reply = run(shop, ITEMS, q='sku:"MUG-GREEN" OR sku:"ODD\\"SKU" OR sku:"NONE"')
    nodes = reply["data"]["inventoryItems"]["nodes"]
    assert [node["sku"] for node in nodes] == ["MUG-GREEN", 'ODD"SKU']
    levels = nodes[0]["inventoryLevels"]["nodes"]
    assert {q["name"]: q["quantity"] for q in levels[0]["quantities"]} == {
        "available": 3,
        "on_hand": 3,
    }
    cost = reply["extensions"]["cost"]
    assert cost["requestedQueryCost"] == 16 and cost["actualQueryCost"] == 1 + 2 + 4


def test_set_quantities_changes_available_and_on_hand(shop: SandboxStorefront) -> None:
    reply = run(shop, SET, input=quantities(shop, ("MUG-GREEN", "WH/Stock", 7)))
    result = reply["data"]["inventorySetQuantities"]
    assert result["userErrors"] == []
    assert result["inventoryAdjustmentGroup"]["changes"][0]["delta"] == 4
    assert shop.store.available("MUG-GREEN", shop.locations["WH/Stock"]) == 7
    assert reply["extensions"]["cost"]["actualQueryCost"] == 10


def test_a_user_error_rejects_the_whole_mutation(shop: SandboxStorefront) -> None:
    given = quantities(shop, ("MUG-GREEN", "WH/Stock", 7), ("MUG-GREEN", "WH/Stock", 9))
    given["quantities"][1]["locationId"] = "gid://shopify/Location/404"
    result = run(shop, SET, input=given)["data"]["inventorySetQuantities"]
    assert result["inventoryAdjustmentGroup"] is None
    assert result["userErrors"] == [
        {"field": ["input", "quantities", "1", "locationId"], "code": "INVALID_LOCATION",
         "message": "The specified location could not be found."}
    ]  # fmt: skip
    assert shop.store.available("MUG-GREEN", shop.locations["WH/Stock"]) == 3


def test_compare_quantity_guards_against_a_changed_level(shop: SandboxStorefront) -> None:
    given = quantities(shop, ("MUG-GREEN", "WH/Stock", 7))
    given["ignoreCompareQuantity"] = False
    given["quantities"][0]["compareQuantity"] = 2
    result = run(shop, SET, input=given)["data"]["inventorySetQuantities"]
    assert [error["code"] for error in result["userErrors"]] == ["COMPARE_QUANTITY_STALE"]
    given["quantities"][0]["compareQuantity"] = 3
    assert run(shop, SET, input=given)["data"]["inventorySetQuantities"]["userErrors"] == []


def test_the_bucket_throttles_and_refills(shop: SandboxStorefront, clock: Clock) -> None:
    for _ in range(10):
        assert "data" in run(shop, SET, input=quantities(shop, ("MUG-GREEN", "WH/Stock", 1)))
    throttled = run(shop, SET, input=quantities(shop, ("MUG-GREEN", "WH/Stock", 2)))
    assert throttled["errors"] == [
        {
            "message": "Throttled",
            "extensions": {
                "code": "THROTTLED",
                "documentation": "https://shopify.dev/api/usage/rate-limits",
            },
        }
    ]
    assert throttled["extensions"]["cost"]["throttleStatus"] == {
        "maximumAvailable": 100, "currentlyAvailable": 0, "restoreRate": 10,
    }  # fmt: skip
    assert shop.store.available("MUG-GREEN", shop.locations["WH/Stock"]) == 1
    clock.now += 1.0
    assert "data" in run(shop, SET, input=quantities(shop, ("MUG-GREEN", "WH/Stock", 2)))


def test_a_query_over_the_maximum_cost_is_refused_outright(shop: SandboxStorefront) -> None:
    reply = run(shop, 'query { inventoryItems(first: 250, query: "") { nodes { id } } }')
    assert reply["errors"][0]["extensions"]["code"] == "MAX_COST_EXCEEDED"


def test_an_unknown_field_is_a_graphql_error(shop: SandboxStorefront) -> None:
    reply = run(shop, "query { products(first: 1) { nodes { id } } }")
    assert reply["errors"][0]["message"] == "Field 'products' doesn't exist on type 'QueryRoot'"


def test_fulfilling_closes_the_fulfilment_order(shop: SandboxStorefront) -> None:
    order = shop.store.place_order([("MUG-GREEN", 2, "12.90")])
    fo = order.fulfilment_orders[0]
    given = {
        "lineItemsByFulfillmentOrder": [{"fulfillmentOrderId": fo.id}],
        "trackingInfo": {
            "company": "Example Parcel",
            "number": "EX1",
            "url": "https://tracking.example.com/EX1",
        },
    }
    result = run(shop, CREATE, f=given)["data"]["fulfillmentCreate"]
    assert result["userErrors"] == [] and result["fulfillment"]["id"].startswith(
        "gid://shopify/Fulfillment/"
    )
    again = run(shop, CREATE, f=given)["data"]["fulfillmentCreate"]
    assert (
        again["userErrors"][0]["message"]
        == f"Fulfillment order {fo.id} has an unfulfillable status= closed."
    )
    read = run(shop, "query O($id: ID!) { order(id: $id) { id } }", id=order.gid)["data"]["order"]
    assert read["fulfillments"][0]["trackingInfo"] == [
        {"company": "Example Parcel", "number": "EX1", "url": "https://tracking.example.com/EX1"}
    ]
    assert read["fulfillmentOrders"]["nodes"][0]["status"] == "CLOSED"


CATALOG = """mutation Catalog($a: ProductSetInput!, $b: ProductSetInput!) {
  a: productSet(synchronous: true, input: $a) { product { id } userErrors { field message } }
  b: productSet(synchronous: true, input: $b) { product { id } userErrors { field message } }
}"""
REPRICE = """mutation Reprice($p: ID!, $v: [ProductVariantsBulkInput!]!, $u: ProductUpdateInput!) {
  v: productVariantsBulkUpdate(productId: $p, variants: $v) { userErrors { field message } }
  u: productUpdate(product: $u) { userErrors { field message } }
}"""


def _new(sku: str, price: str, title: str = "Vase") -> dict[str, Any]:
    return {
        "title": title, "status": "ACTIVE",
        "variants": [{"price": price, "inventoryItem": {"sku": sku,
                      "measurement": {"weight": {"unit": "GRAMS", "value": 350}}}}],
    }  # fmt: skip


def test_aliased_mutations_apply_or_fail_each_on_its_own_and_cost_ten_each(
    shop: SandboxStorefront,
) -> None:
    answer = run(shop, CATALOG, a=_new("VASE-1", "19.9"), b=_new("VASE-2", "-1"))
    assert answer["extensions"]["cost"]["requestedQueryCost"] == 20
    assert answer["data"]["a"]["userErrors"] == []
    assert answer["data"]["b"]["product"] is None
    assert answer["data"]["b"]["userErrors"][0]["field"] == ["input", "variants", "0", "price"]
    created = shop.store.variant("VASE-1")
    assert created is not None and shop.store.variant("VASE-2") is None
    _, variant = created
    assert (variant.price, variant.weight_kg) == ("19.90", "0.35")
    # The variant has an inventory item stocked at every location, as Shopify makes one.
    assert "VASE-1" in shop.store.items


def test_a_variant_update_names_an_unknown_variant_and_changes_nothing(
    shop: SandboxStorefront,
) -> None:
    run(shop, CATALOG, a=_new("VASE-1", "19.90"), b=_new("VASE-2", "5"))
    created = shop.store.variant("VASE-1")
    assert created is not None
    product, variant = created
    answer = run(
        shop, REPRICE, p=product.id,
        v=[{"id": variant.id, "price": "9.90"},
           {"id": "gid://shopify/ProductVariant/0", "price": "1"}],
        u={"id": product.id, "status": "ARCHIVED", "title": ""},
    )["data"]  # fmt: skip
    assert answer["v"]["userErrors"][0]["field"] == ["variants", "1", "id"]
    assert answer["u"]["userErrors"][0]["message"] == "Title can't be blank"
    assert (variant.price, product.status) == ("19.90", "ACTIVE")
