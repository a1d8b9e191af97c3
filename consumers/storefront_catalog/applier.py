"""Applying a batch of catalog records to the storefront in two calls: one query finds the
batch's SKUs, one mutation document carries every change under aliases.

A SKU the storefront sells gets ``productUpdate`` and ``productVariantsBulkUpdate`` (a
product) or ``productVariantsBulkUpdate`` alone (a price); an active product the storefront
does not sell yet is created with ``productSet``, at the newest price seen for it (else its
list price). A price of a SKU the storefront does not sell waits in memory for its product.
Shopify applies each root field whole or not at all: a field's user errors fail its own
record (a ``StorefrontUserError``, dead-lettered), the others stand. A record that breaks
one of the group's publishing rules (``policy``) is not sent: it fails with a ``HeldError``
and the runtime holds it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from consumers.storefront_catalog.changes import (
    PRICE,
    Change,
    changes,
    money,
    product_input,
    variant_input,
)
from consumers.storefront_catalog.policy import approved, broken
from consumers.storefront_catalog.settings import CatalogSettings
from retailsync.consumer import Item
from retailsync.errors import HeldError
from retailsync.events import PriceChanged, ProductUpserted
from retailsync.storefront import StorefrontClient, StorefrontSettings, StorefrontUserError
from retailsync.topology import PublishingRules

log = logging.getLogger("retailsync.storefront.catalog")

# Shopify's search syntax: sku:"A" OR sku:"B"; 50 a query keeps its cost low.
_PAGE = 50
VARIANTS_BY_SKU = """
query VariantsBySku($query: String!, $first: Int!) {
  productVariants(first: $first, query: $query) {
    nodes { id sku price compareAtPrice product { id } }
  }
}
"""
_ERRORS = "userErrors { field message }"


@dataclass(slots=True)
class Listed:
    """A SKU the storefront sells: its product and variant ids, and its price there."""

    product_id: str
    variant_id: str
    price: str


@dataclass(slots=True)
class Counts:
    """Records received, applied and dropped as stale, and calls made."""

    received: int = 0
    applied: int = 0
    stale: int = 0
    calls: int = 0


@dataclass(slots=True)
class CatalogApplier:
    client: StorefrontClient
    pricelist: str | None
    rules: PublishingRules | None = None
    listed: dict[str, Listed] = field(default_factory=dict)
    # The newest version applied per (sku, kind): an older record of a kind is dropped.
    versions: dict[tuple[str, str], int] = field(default_factory=dict)
    # Prices of SKUs the storefront does not sell yet, for when their product comes.
    waiting_prices: dict[str, PriceChanged] = field(default_factory=dict)
    counts: Counts = field(default_factory=Counts)

    @classmethod
    def from_settings(
        cls,
        storefront: StorefrontSettings,
        settings: CatalogSettings,
        rules: PublishingRules | None,
    ) -> CatalogApplier:
        client = StorefrontClient.from_settings(storefront)
        return cls(client, settings.storefront_pricelist, rules)

    def apply(self, items: Sequence[Item]) -> dict[int, BaseException]:
        """Apply ``items``; failures by position."""
        self.counts.received += len(items)
        wanted = [change for change in changes(list(items), self.pricelist) if self._fresh(change)]
        self.find({change.sku for change in wanted})
        batch = _Batch()
        held: dict[int, BaseException] = {}
        for change in wanted:
            rule = self._check(change, items[change.index])
            if rule is not None:
                held[change.index] = rule
            else:
                self._add(batch, change)
        failures = held | (self._send(batch) if batch.fields else {})
        for change in wanted:
            if change.index not in failures:
                key = (change.sku, change.kind)
                self.versions[key] = max(change.version, self.versions.get(key, 0))
                self.counts.applied += 1
        return failures

    def find(self, skus: Iterable[str]) -> None:
        """Look up the SKUs not known to be listed, 50 a query."""
        missing = sorted(set(skus) - self.listed.keys())
        for start in range(0, len(missing), _PAGE):
            page = missing[start : start + _PAGE]
            self.counts.calls += 1
            data = self.client.execute(VARIANTS_BY_SKU, {"query": _search(page), "first": _PAGE})
            for node in data["productVariants"]["nodes"]:
                if node["sku"] in page:
                    self.listed[node["sku"]] = Listed(
                        node["product"]["id"], node["id"], node["price"]
                    )

    def _check(self, change: Change, item: Item) -> HeldError | None:
        if self.rules is None or approved(item.context.headers):
            return None
        listed = self.listed.get(change.sku)
        return broken(change, listed.price if listed else None, self.rules)

    def _fresh(self, change: Change) -> bool:
        if change.version < self.versions.get((change.sku, change.kind), 0):
            self.counts.stale += 1
            log.info("%s: %s version %d is older than one applied", change.sku, change.kind,
                     change.version)  # fmt: skip
            return False
        return True

    def _add(self, batch: _Batch, change: Change) -> None:
        listed = self.listed.get(change.sku)
        event = change.event
        alias = f"r{change.index}"
        if isinstance(event, PriceChanged):
            if listed is None:
                self.waiting_prices[change.sku] = event
                return
            batch.variants(alias, change, listed, variant_input(event))
            return
        if listed is None:
            if event.active:  # an archived product the storefront never sold stays off it
                batch.create(alias, change, self._new_product(event))
            return
        batch.product(alias, change, {"id": listed.product_id, **product_input(event)})
        batch.variants(f"{alias}v", change, listed, variant_input(event))

    def _new_product(self, event: ProductUpserted) -> dict[str, Any]:
        price = self.waiting_prices.get(event.sku)
        variant = {
            "optionValues": [{"optionName": "Title", "name": "Default Title"}],
            **variant_input(event),
            **(variant_input(price) if price is not None else {"price": money(event.list_price)}),
        }
        return {
            **product_input(event),
            "productOptions": [{"name": "Title", "values": [{"name": "Default Title"}]}],
            "variants": [variant],
        }

    def _send(self, batch: _Batch) -> dict[int, BaseException]:
        self.counts.calls += 1
        data = self.client.execute(batch.document(), batch.variables)
        failures: dict[int, BaseException] = {}
        for alias, change in batch.owners.items():
            answer = data.get(alias) or {}
            errors = answer.get("userErrors") or []
            if errors:
                failures[change.index] = StorefrontUserError(
                    errors[0]["message"], tuple(errors[0].get("field") or ())
                )
                self.listed.pop(change.sku, None)  # look it up again next time
                continue
            self._remember(change, batch.variables.get(alias), answer)
        return failures

    def _remember(self, change: Change, sent: Any, answer: dict[str, Any]) -> None:
        product = answer.get("product") or {}
        created = (product.get("variants") or {}).get("nodes") or []
        if created:
            self.listed[change.sku] = Listed(product["id"], created[0]["id"], created[0]["price"])
            self.waiting_prices.pop(change.sku, None)
        elif change.kind == PRICE and isinstance(sent, list) and sent:
            self.listed[change.sku].price = sent[0]["price"]


class _Batch:
    """One mutation document: aliased root fields, their variables, and whose each is."""

    def __init__(self) -> None:
        self.fields: list[str] = []
        self.declarations: list[str] = []
        self.variables: dict[str, Any] = {}
        self.owners: dict[str, Change] = {}

    def product(self, alias: str, change: Change, given: dict[str, Any]) -> None:
        self._field(alias, change, f"productUpdate(product: ${alias}) {{ {_ERRORS} }}",
                    {alias: ("ProductUpdateInput!", given)})  # fmt: skip

    def variants(self, alias: str, change: Change, listed: Listed, given: dict[str, Any]) -> None:
        self._field(
            alias,
            change,
            f"productVariantsBulkUpdate(productId: ${alias}p, variants: ${alias}) "
            f"{{ productVariants {{ id price }} {_ERRORS} }}",
            {
                f"{alias}p": ("ID!", listed.product_id),
                alias: ("[ProductVariantsBulkInput!]!", [{"id": listed.variant_id, **given}]),
            },
        )

    def create(self, alias: str, change: Change, given: dict[str, Any]) -> None:
        self._field(
            alias,
            change,
            f"productSet(synchronous: true, input: ${alias}) "
            f"{{ product {{ id variants(first: 1) {{ nodes {{ id sku price }} }} }} {_ERRORS} }}",
            {alias: ("ProductSetInput!", given)},
        )

    def _field(
        self, alias: str, change: Change, text: str, variables: dict[str, tuple[str, Any]]
    ) -> None:
        self.fields.append(f"  {alias}: {text}")
        for name, (kind, value) in variables.items():
            self.declarations.append(f"${name}: {kind}")
            self.variables[name] = value
        self.owners[alias] = change

    def document(self) -> str:
        return (
            f"mutation CatalogBatch({', '.join(self.declarations)}) {{\n"
            + "\n".join(self.fields)
            + "\n}"
        )


def _search(skus: Iterable[str]) -> str:
    return " OR ".join(f'sku:"{_escaped(sku)}"' for sku in skus)


def _escaped(sku: str) -> str:
    return sku.replace("\\", "\\\\").replace('"', '\\"')
