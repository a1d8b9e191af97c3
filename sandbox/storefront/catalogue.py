"""Products and variants as the Admin API serves them: ``productVariants`` by SKU,
``productSet`` (create), ``productUpdate`` and ``productVariantsBulkUpdate``.

Each mutation applies all of its input or, with any user error, nothing, as Shopify does.
A variant made by ``productSet`` gets its inventory item, stocked at every location.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from sandbox.storefront.operations import skus_searched
from sandbox.storefront.store import Product, Store, Variant, gid

_STATUSES = ("ACTIVE", "ARCHIVED", "DRAFT")
_GRAMS_PER = {"KILOGRAMS": Decimal(1), "GRAMS": Decimal("0.001")}
UserErrors = list[dict[str, Any]]


def product_variants(store: Store, arguments: Mapping[str, Any]) -> dict[str, Any]:
    """``productVariants(first:, query: "sku:A OR sku:B")`` with each variant's product."""
    wanted = skus_searched(arguments.get("query") or "")
    first = int(arguments.get("first") or 50)
    with store.locked():
        found = [
            (product, variant)
            for product in store.products.values()
            for variant in product.variants
            if not wanted or variant.sku in wanted
        ]
        nodes = [_variant(variant, product) for product, variant in found[:first]]
    return {"nodes": nodes, "pageInfo": {"hasNextPage": len(found) > first}}


def product_set(store: Store, arguments: Mapping[str, Any]) -> dict[str, Any]:
    """``productSet(input:, synchronous: true)`` creating a product (no ``identifier``)."""
    given = arguments.get("input") or {}
    with store.locked():
        errors = _product_errors(given, creating=True)
        variants = given.get("variants") or []
        for n, entry in enumerate(variants):
            errors += _variant_errors(entry, ["input", "variants", str(n)])
            sku = (entry.get("inventoryItem") or {}).get("sku")
            if sku and store.variant(sku) is not None:
                errors.append(_error(["input", "variants", str(n), "sku"], "TAKEN",
                                     "SKU has already been taken"))  # fmt: skip
        if errors:
            return {"product": None, "userErrors": errors}
        product = Product(
            gid("Product", store.next_id()),
            str(given["title"]),
            str(given.get("descriptionHtml") or ""),
            str(given.get("status") or "ACTIVE"),
            [],
        )
        for entry in variants:
            sku = str((entry.get("inventoryItem") or {}).get("sku") or "")
            variant = Variant(gid("ProductVariant", store.next_id()), sku, "0.00")
            _write_variant(variant, entry)
            product.variants.append(variant)
            if sku and sku not in store.items:
                store.add_product(sku)
        store.products[product.id] = product
        store.mutations.append("productSet")
        return {"product": _product(product), "userErrors": []}


def product_update(store: Store, arguments: Mapping[str, Any]) -> dict[str, Any]:
    """``productUpdate(product: {id, title, descriptionHtml, status})``."""
    given = arguments.get("product") or {}
    with store.locked():
        product = store.products.get(str(given.get("id")))
        errors = _product_errors(given, creating=False)
        if product is None:
            errors.insert(0, _error(["id"], "PRODUCT_DOES_NOT_EXIST", "Product does not exist"))
        if errors or product is None:
            return {"product": None, "userErrors": errors}
        if "title" in given:
            product.title = str(given["title"])
        if "descriptionHtml" in given:
            product.description_html = str(given["descriptionHtml"] or "")
        if "status" in given:
            product.status = str(given["status"])
        store.mutations.append("productUpdate")
        return {"product": _product(product), "userErrors": []}


def product_variants_bulk_update(store: Store, arguments: Mapping[str, Any]) -> dict[str, Any]:
    """``productVariantsBulkUpdate(productId:, variants:)``: price, compare-at price,
    barcode, the inventory item's SKU and weight."""
    given: Sequence[Mapping[str, Any]] = arguments.get("variants") or []
    with store.locked():
        product = store.products.get(str(arguments.get("productId")))
        if product is None:
            error = _error(["productId"], "PRODUCT_DOES_NOT_EXIST", "Product does not exist")
            return {"product": None, "productVariants": None, "userErrors": [error]}
        by_id = {variant.id: variant for variant in product.variants}
        errors: UserErrors = []
        for n, entry in enumerate(given):
            at = ["variants", str(n)]
            if entry.get("id") not in by_id:
                errors.append(_error([*at, "id"], "PRODUCT_VARIANT_DOES_NOT_EXIST",
                                     "Product variant does not exist"))  # fmt: skip
            errors += _variant_errors(entry, at)
        if errors:
            return {"product": None, "productVariants": None, "userErrors": errors}
        for entry in given:
            _write_variant(by_id[entry["id"]], entry)
        store.mutations.append("productVariantsBulkUpdate")
        return {
            "product": {"id": product.id},
            "productVariants": [_variant(by_id[entry["id"]], product) for entry in given],
            "userErrors": [],
        }


def _write_variant(variant: Variant, entry: Mapping[str, Any]) -> None:
    if "price" in entry:
        variant.price = _money(entry["price"])
    if "compareAtPrice" in entry:
        variant.compare_at_price = (
            _money(entry["compareAtPrice"]) if entry["compareAtPrice"] is not None else None
        )
    if "barcode" in entry:
        variant.barcode = entry["barcode"] or None
    item = entry.get("inventoryItem") or {}
    if item.get("sku"):
        variant.sku = str(item["sku"])
    weight = (item.get("measurement") or {}).get("weight")
    if weight:
        kilograms = Decimal(str(weight["value"])) * _GRAMS_PER[weight["unit"]]
        variant.weight_kg = str(kilograms.normalize())


def _product_errors(given: Mapping[str, Any], *, creating: bool) -> UserErrors:
    errors: UserErrors = []
    if (creating or "title" in given) and not str(given.get("title") or "").strip():
        errors.append(_error(["title"], "BLANK", "Title can't be blank"))
    elif len(str(given.get("title") or "")) > 255:
        errors.append(
            _error(["title"], "TOO_LONG", "Title is too long (maximum is 255 characters)")
        )
    if "status" in given and given["status"] not in _STATUSES:
        errors.append(_error(["status"], "INVALID", "Status is not a valid product status"))
    return errors


def _variant_errors(entry: Mapping[str, Any], at: list[str]) -> UserErrors:
    errors: UserErrors = []
    for name in ("price", "compareAtPrice"):
        if entry.get(name) is None:
            continue
        try:
            amount = Decimal(str(entry[name]))
        except InvalidOperation:
            errors.append(_error([*at, name], "INVALID", f"{name} is not a valid amount"))
            continue
        if amount < 0:
            errors.append(_error([*at, name], "GREATER_THAN_OR_EQUAL_TO",
                                 "Price must be greater than or equal to 0"))  # fmt: skip
    weight = ((entry.get("inventoryItem") or {}).get("measurement") or {}).get("weight")
    if weight and weight.get("unit") not in _GRAMS_PER:
        errors.append(_error([*at, "inventoryItem", "measurement", "weight", "unit"], "INVALID",
                             "Weight unit is not supported"))  # fmt: skip
    return errors


def _money(value: Any) -> str:
    return str(Decimal(str(value)).quantize(Decimal("0.01")))


def _error(field: list[str], code: str, message: str) -> dict[str, Any]:
    return {"field": field, "code": code, "message": message}


def _product(product: Product) -> dict[str, Any]:
    return {
        "id": product.id,
        "title": product.title,
        "descriptionHtml": product.description_html,
        "status": product.status,
        "variants": {"nodes": [_variant(v, product) for v in product.variants]},
    }


def _variant(variant: Variant, product: Product) -> dict[str, Any]:
    return {
        "id": variant.id,
        "sku": variant.sku,
        "price": variant.price,
        "compareAtPrice": variant.compare_at_price,
        "barcode": variant.barcode,
        "product": {"id": product.id, "title": product.title, "status": product.status},
    }


QUERIES = {"productVariants": product_variants}
MUTATIONS = {
    "productSet": product_set,
    "productUpdate": product_update,
    "productVariantsBulkUpdate": product_variants_bulk_update,
}
