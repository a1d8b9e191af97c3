"""SKU -> the storefront's inventory item id, looked up in bulk and cached."""

from __future__ import annotations

from collections.abc import Iterable

from retailsync.storefront import StorefrontClient

# Shopify's search syntax: sku:"A" OR sku:"B"; 50 a query keeps its cost low.
_PAGE = 50
ITEMS_BY_SKU = """
query ItemsBySku($query: String!, $first: Int!) {
  inventoryItems(first: $first, query: $query) { nodes { id sku } }
}
"""


class InventoryItems:
    """Inventory item ids by SKU. A SKU the storefront does not know maps to None (it is not
    sold there); the answer is cached either way, as products change rarely."""

    def __init__(self, client: StorefrontClient) -> None:
        self._client = client
        self._ids: dict[str, str | None] = {}

    def ids(self, skus: Iterable[str]) -> dict[str, str | None]:
        wanted = set(skus)
        missing = sorted(wanted - self._ids.keys())
        for start in range(0, len(missing), _PAGE):
            page = missing[start : start + _PAGE]
            data = self._client.execute(ITEMS_BY_SKU, {"query": search(page), "first": _PAGE})
            found = {node["sku"]: node["id"] for node in data["inventoryItems"]["nodes"]}
            self._ids.update({sku: found.get(sku) for sku in page})
        return {sku: self._ids[sku] for sku in wanted}


def search(skus: Iterable[str]) -> str:
    return " OR ".join(f'sku:"{_escaped(sku)}"' for sku in skus)


def _escaped(sku: str) -> str:
    return sku.replace("\\", "\\\\").replace('"', '\\"')
