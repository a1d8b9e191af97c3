"""Traffic for the sandboxes, so that ``make run`` shows the whole loop at work.

Each tick places an order on the sandbox storefront (every third on the sandbox SFCC site,
when the run started one, where the SFCC order export takes it; the one before it on the
sandbox WooCommerce shop, whose signed order.created webhook goes to the receiver once,
as WooCommerce sends it). A storefront order's
signed orders/create webhook is queued on the storefront's emitter, which retries it on
Shopify's schedule (so an order placed while the receiver restarts arrives once it is
back); the pipeline makes it a confirmed Odoo order. Once Odoo has it confirmed, the
warehouse ships it: its delivery gets a tracking number and is validated, so the change
capture publishes shipment_dispatched and the stock level, which the storefront appliers
turn into a fulfilment and a new available quantity.
"""

from __future__ import annotations

import logging
import random
from concurrent.futures import Future
from dataclasses import dataclass, field
from decimal import Decimal

from retailsync.odoo import OdooClient
from sandbox.sfcc import Item, SandboxSfcc, order_document
from sandbox.storefront import Attempt, SandboxStorefront, WebhookEmitter, shopify_delivery
from sandbox.storefront.payloads import order_payload
from sandbox.woocommerce import SandboxWooCommerce, order_delivery

log = logging.getLogger("retailsync.traffic")

SKUS = tuple(f"DEMO-{n:03d}" for n in range(1, 11))
STOCK = 1_000
_NO_SMS = {"skip_sms": True}
_BATCH = 200
SFCC_EVERY = 3
# The order before each SFCC one goes to WooCommerce, when the run has a WooCommerce shop.
WOOCOMMERCE_AT = SFCC_EVERY - 2
SFCC_TAX_RATE = Decimal("0.07")


def seed_odoo(odoo: OdooClient, skus: tuple[str, ...] = SKUS, on_hand: int = STOCK) -> None:
    """Storable products for ``skus`` with ``on_hand`` units at the main warehouse."""
    existing = {
        row["default_code"]
        for row in odoo.search_read(
            "product.product", [("default_code", "in", list(skus))], ["default_code"]
        )
    }
    missing = [sku for sku in skus if sku not in existing]
    if not missing:
        return
    products = odoo.create(
        "product.product",
        [
            {
                "name": f"Demo product {sku}",
                "default_code": sku,
                "is_storable": True,
                "list_price": 19.9,
            }
            for sku in missing
        ],
    )
    [warehouse] = odoo.search_read("stock.warehouse", [], ["lot_stock_id"], limit=1)
    count_stock(odoo, products, warehouse["lot_stock_id"][0], on_hand)


def count_stock(odoo: OdooClient, products: list[int], location: int, quantity: float) -> None:
    """Count ``quantity`` of each product at ``location`` and apply it, as Odoo's UI does:
    inventory mode, which makes a move (writing quant quantities directly would not)."""
    for start in range(0, len(products), _BATCH):
        quants = odoo.create(
            "stock.quant",
            [
                {"product_id": product, "location_id": location, "inventory_quantity": quantity}
                for product in products[start : start + _BATCH]
            ],
            context={"inventory_mode": True},
        )
        odoo.call("stock.quant", "action_apply_inventory", quants)


@dataclass(frozen=True)
class WooTraffic:
    """The sandbox WooCommerce shop, and its webhook emitter posting to the receiver."""

    shop: SandboxWooCommerce
    webhooks: WebhookEmitter
    secret: str
    channel: str = "woocommerce"


@dataclass
class Traffic:
    """Orders in through the storefront's webhooks, shipments out of Odoo's warehouse."""

    storefront: SandboxStorefront
    odoo: OdooClient
    webhooks: WebhookEmitter  # the storefront's, posting to the receiver
    secret: str
    channel: str = "shopify"
    # With an SFCC site, every SFCC_EVERY-th order is placed there, ready for export.
    sfcc: SandboxSfcc | None = None
    sfcc_channel: str = "sfcc"
    woocommerce: WooTraffic | None = None
    skus: tuple[str, ...] = SKUS
    placed: list[str] = field(default_factory=list)  # order refs, channel:id
    shipped: set[str] = field(default_factory=set)
    _random: random.Random = field(default_factory=lambda: random.Random(7))  # noqa: S311

    def place_order(self) -> str:
        """Place the next order on the storefront (or the SFCC site); its ref."""
        if self.sfcc is not None and len(self.placed) % SFCC_EVERY == SFCC_EVERY - 1:
            return self._place_sfcc_order(self.sfcc)
        if self.woocommerce is not None and len(self.placed) % SFCC_EVERY == WOOCOMMERCE_AT:
            return self._place_woocommerce_order(self.woocommerce)
        lines = [
            (sku, self._random.randint(1, 3), "19.90") for sku in self._random.sample(self.skus, 2)
        ]
        order = self.storefront.store.place_order(lines)
        delivery = shopify_delivery(
            "orders/create",
            order_payload(order),
            secret=self.secret,
            shop_domain=self.storefront.shop_domain,
        )
        ref = f"{self.channel}:{order.id}"
        self.placed.append(ref)
        log.info("placed %s on the storefront", ref)
        [outcome] = self.webhooks.send([delivery])
        outcome.add_done_callback(lambda done: _log_delivery(ref, done))
        return ref

    def _place_sfcc_order(self, sfcc: SandboxSfcc) -> str:
        number = f"{len(self.placed) + 1:08d}"
        items = tuple(
            Item(sku, self._random.randint(1, 3), Decimal("19.90"))
            for sku in self._random.sample(self.skus, 2)
        )
        # US net taxation at a rate the sandbox Odoo has, free shipping: Odoo's totals equal
        # the site's.
        sfcc.add_order(order_document(number, items, tax_rate=SFCC_TAX_RATE, shipping=Decimal(0)))
        ref = f"{self.sfcc_channel}:{number}"
        self.placed.append(ref)
        log.info("placed %s on the SFCC site, ready for export", ref)
        return ref

    def _place_woocommerce_order(self, woo: WooTraffic) -> str:
        lines = [
            (sku, self._random.randint(1, 3), "19.90") for sku in self._random.sample(self.skus, 2)
        ]
        order = woo.shop.store.add_order(lines)
        delivery = order_delivery("order.created", order, secret=woo.secret, site_url=woo.shop.url)
        ref = f"{woo.channel}:{order.id}"
        self.placed.append(ref)
        log.info("placed %s on the WooCommerce shop", ref)
        [outcome] = woo.webhooks.send([delivery])
        outcome.add_done_callback(lambda done: _log_delivery(ref, done))
        return ref

    def all_shipped(self) -> bool:
        """Whether every order placed so far has been shipped from Odoo."""
        return set(self.placed) <= self.shipped

    def ship_confirmed(self) -> list[str]:
        """Validate the deliveries of the placed orders Odoo has confirmed; their refs."""
        waiting = [ref for ref in self.placed if ref not in self.shipped]
        if not waiting:
            return []
        orders = self.odoo.search_read(
            "sale.order",
            [("client_order_ref", "in", waiting), ("state", "=", "sale")],
            ["client_order_ref"],
        )
        shipped = []
        for order in orders:
            pickings = self.odoo.search_read(
                "stock.picking", [("sale_id", "=", order["id"]), ("state", "=", "assigned")], ["id"]
            )
            for picking in pickings:
                self.odoo.write(
                    "stock.picking",
                    [picking["id"]],
                    {"carrier_tracking_ref": f"TRACK{picking['id']:08d}"},
                )
                self.odoo.call("stock.picking", "button_validate", [picking["id"]], context=_NO_SMS)
            ref = str(order["client_order_ref"])
            self.shipped.add(ref)
            shipped.append(ref)
            log.info("shipped %s from Odoo", ref)
        return shipped


def _log_delivery(ref: str, outcome: Future[Attempt]) -> None:
    if outcome.cancelled():
        log.warning("the order webhook of %s was abandoned at shutdown", ref)
        return
    attempt = outcome.result()
    log.info("webhook of %s answered %s after %d tries", ref, attempt.status, attempt.tries)
