"""``python -m bench.fanout``: storefront-inventory's fan-out of Odoo stock levels to three
channels at once — the sandbox Shopify (GraphQL ``inventorySetQuantities``), the sandbox
SFCC (OCAPI inventory records) and the sandbox WooCommerce (REST batch endpoints) — over
loopback HTTP, in batches of 200 levels as the service's batch handler gets them.

Two loads: *distinct*, every level a different SKU (nothing to coalesce); *burst*, each SKU
changed 20 times in quick succession, the versions interleaved as they arrive from Kafka's
partitions. Figures: levels applied per second to all three channels, and HTTP calls per
level to each channel (lookups of ids included; the first batch pays them).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from decimal import Decimal

import httpx
from pydantic import SecretStr

from consumers.storefront_inventory.applier import InventoryApplier
from consumers.storefront_inventory.fanout import ChannelApplier, FanOut
from consumers.storefront_inventory.sfcc import SfccInventoryApplier
from consumers.storefront_inventory.woocommerce import WooCommerceInventoryApplier
from retailsync.channels import Channel
from retailsync.consumer import HandlerContext, Item
from retailsync.events import InventoryAdjusted
from retailsync.events.examples import AT, ODOO, example_events
from retailsync.sfcc import SfccClient
from retailsync.storefront import StorefrontClient
from retailsync.woocommerce import WooCommerceClient
from sandbox.sfcc import SandboxSfcc
from sandbox.storefront import LeakyBucket, SandboxStorefront
from sandbox.woocommerce import SandboxWooCommerce

LOCATION = "WH/Stock"
SKUS = 1_000
BURST_SKUS = 200
BURST_VERSIONS = 20
BATCH = 200  # storefront-inventory's max_items
SAFETY = {"*": Decimal(1)}


@dataclass
class Counter:
    """HTTP requests a client sent, by httpx's request hook."""

    calls: int = 0

    def hook(self, _request: httpx.Request) -> None:
        self.calls += 1


def _levels(skus: list[str], versions: int) -> list[Item]:
    """``versions`` levels of each SKU, interleaved: version 1 of all, then version 2, …"""
    example = next(e for e in example_events() if isinstance(e, InventoryAdjusted))
    items: list[Item] = []
    for version in range(1, versions + 1):
        for sku in skus:
            envelope = InventoryAdjusted.new_envelope(
                source=ODOO, source_ref=f"stock.quant/{sku}", occurred_at=AT,
                source_version=version,
            )  # fmt: skip
            on_hand = Decimal(100 + version)
            event = example.model_copy(
                update={"envelope": envelope, "sku": sku, "location": LOCATION,
                        "on_hand": on_hand, "reserved": Decimal(0), "available": on_hand}
            )  # fmt: skip
            context = HandlerContext(None, [], "retail.inventory", 0, len(items), 1, None)
            items.append(Item(event, context))
    return items


def _batches(items: list[Item]) -> Iterator[list[Item]]:
    for start in range(0, len(items), BATCH):
        yield items[start : start + BATCH]


def _channels(stack: ExitStack, skus: list[str]) -> tuple[FanOut, dict[str, Counter], SandboxSfcc]:
    """The three sandboxes, each selling ``skus`` at LOCATION, and a fan-out to them."""
    # A bucket that never runs dry: the figure is our code and the HTTP, not Shopify's
    # rate (a real shop's 1000 points at 50/s would throttle any burst).
    shop = stack.enter_context(
        SandboxStorefront.running(locations=[LOCATION], skus=skus,
                                  bucket=LeakyBucket(1e9, 1e9))
    )  # fmt: skip
    sfcc = stack.enter_context(SandboxSfcc.running())
    sfcc.store.add_inventory_list("inventory", products=tuple(skus))
    woo = stack.enter_context(SandboxWooCommerce.running())
    for sku in skus:
        woo.store.add_product(sku, stock=0)
    counters = {"shopify": Counter(), "woocommerce": Counter()}
    shopify = StorefrontClient(
        httpx.Client(
            base_url=f"{shop.url}/admin/api/2025-01/",
            headers={"X-Shopify-Access-Token": shop.access_token},
            event_hooks={"request": [counters["shopify"].hook]},
        )
    )
    woo_channel = Channel(
        name="woo", platform="woocommerce", source="bench", url=woo.url,
        locations={LOCATION: "shop"},
        secrets={"consumer_key": SecretStr(woo.consumer_key),
                 "consumer_secret": SecretStr(woo.consumer_secret)},
    )  # fmt: skip
    woo_client = WooCommerceClient(
        httpx.Client(
            base_url=f"{woo.url}/wp-json/wc/v3",
            auth=(woo.consumer_key, woo.consumer_secret),
            event_hooks={"request": [counters["woocommerce"].hook]},
        )
    )
    sfcc_channel = Channel(
        name="sfcc", platform="sfcc", source="bench", url=sfcc.url,
        locations={LOCATION: "inventory"},
        options={"token_url": sfcc.token_url, "organization_id": sfcc.organization_id,
                 "site_id": sfcc.site_id, "ocapi_url": sfcc.url},
        secrets={"client_id": SecretStr(sfcc.client_id),
                 "client_secret": SecretStr(sfcc.client_secret)},
    )  # fmt: skip
    sfcc_client = SfccClient.from_channel(sfcc_channel)
    appliers: tuple[ChannelApplier, ...] = (
        InventoryApplier(shopify, {LOCATION: shop.locations[LOCATION]}, SAFETY),
        SfccInventoryApplier(sfcc_channel, sfcc_client, SAFETY),
        WooCommerceInventoryApplier(woo_channel, woo_client, SAFETY),
    )
    fan_out = FanOut(appliers, (shopify, sfcc_client, woo_client))
    stack.callback(fan_out.close)
    return fan_out, counters, sfcc


def _run(name: str, skus: list[str], versions: int) -> None:
    items = _levels(skus, versions)
    with ExitStack() as stack:
        fan_out, counters, sfcc = _channels(stack, skus)
        began = time.perf_counter()
        for batch in _batches(items):
            failures = fan_out.apply(batch)
            assert not failures, failures
        took = time.perf_counter() - began
        # SFCC's calls are counted by the sandbox: its API calls and token requests.
        calls = {
            "shopify": counters["shopify"].calls,
            "sfcc": sfcc.store.api_calls + sfcc.store.tokens_issued,
            "woocommerce": counters["woocommerce"].calls,
        }
    per_level = ", ".join(f"{channel} {n / len(items):.3f}" for channel, n in calls.items())
    print(
        f"  {name:8s}: {len(items):6d} levels ({len(skus)} SKUs x {versions}) in {took:6.2f} s"
        f" = {len(items) / took:7.0f} levels/s to 3 channels; calls/level: {per_level}"
    )


def main() -> None:
    print("storefront-inventory fan-out (sandbox Shopify + SFCC + WooCommerce, loopback HTTP,")
    print(f"batches of {BATCH} levels):")
    _run("distinct", [f"SKU-{n:05d}" for n in range(SKUS)], 1)
    _run("burst", [f"SKU-{n:05d}" for n in range(BURST_SKUS)], BURST_VERSIONS)


if __name__ == "__main__":
    main()
