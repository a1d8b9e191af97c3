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

With a ``DayPlan`` (a bounded run's "retail day", drawn from a seed), a few Shopify orders
get another story, each told by the webhook Shopify would send: paid (orders/paid), edited
before shipment (orders/updated, a line removed; shipped once Odoo's order lost the line),
cancelled before shipment (orders/cancelled; never shipped), returned (shipped, then a
return receipt of one unit validated in Odoo, which storefront-fulfillment refunds). The
warehouse also counts a shortfall of one SKU and restocks another (inventory adjustments),
a few bad webhooks are sent straight to the receiver (a wrong signature, a malformed body:
each must be refused there), and the sandbox Odoo answers 503 for a while in mid-run.
"""

from __future__ import annotations

import logging
import random
import secrets
import time
from collections import Counter
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

import httpx

from retailsync.odoo import OdooClient
from sandbox.http import Faults
from sandbox.sfcc import Item, SandboxSfcc, order_document
from sandbox.storefront import Attempt, SandboxStorefront, WebhookEmitter, shopify_delivery
from sandbox.storefront.payloads import order_payload
from sandbox.storefront.store import Order, Refund
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
# A retail day's share of the Shopify orders with another story than "placed and shipped";
# each story is told at least once when there are Shopify orders enough.
PAID_SHARE = 0.2
EDITED_SHARE = 0.05
CANCELLED_SHARE = 0.05
RETURNS_PER_ORDERS = 100  # one return per this many Shopify orders
SHORTFALL = 7  # units of a SKU the warehouse finds missing when it counts
RESTOCK = 50  # units of a SKU a delivery from the supplier brings
_BAD_WEBHOOK_TIMEOUT_S = 10.0


class Fate(StrEnum):
    """What happens to an order after it is placed."""

    SHIPPED = "shipped"
    EDITED = "edited"  # a line removed before shipment, then shipped
    CANCELLED = "cancelled"  # before shipment; never shipped
    RETURNED = "returned"  # shipped, then one unit returned and refunded


@dataclass(frozen=True, slots=True)
class OrderPlan:
    """One order's story: on which platform, whether it is paid, and its fate."""

    platform: str = "shopify"  # or "sfcc", "woocommerce"
    paid: bool = False
    fate: Fate = Fate.SHIPPED


@dataclass(frozen=True, slots=True)
class DayPlan:
    """A bounded run's retail day: each order's story, and after which order (its index)
    the day's other events come."""

    orders: tuple[OrderPlan, ...]
    shortfall_at: int
    restock_at: int
    bad_webhooks_at: tuple[int, ...]
    outage_at: int | None  # None: no Odoo outage
    outage_s: float

    def fates(self) -> dict[str, int]:
        """How many orders of each fate, and how many are paid."""
        counted = Counter(str(order.fate) for order in self.orders)
        counted["paid"] = sum(order.paid for order in self.orders)
        return dict(counted)


def platform_at(index: int, *, sfcc: bool, woocommerce: bool) -> str:
    """The platform order ``index`` is placed on: every SFCC_EVERY-th on the SFCC site and
    the one WOOCOMMERCE_AT in each SFCC_EVERY on the WooCommerce shop, when the run has
    them; the others on the Shopify storefront."""
    if sfcc and index % SFCC_EVERY == SFCC_EVERY - 1:
        return "sfcc"
    if woocommerce and index % SFCC_EVERY == WOOCOMMERCE_AT:
        return "woocommerce"
    return "shopify"


def plan_day(
    orders: int,
    *,
    seed: int = 7,
    sfcc: bool = True,
    woocommerce: bool = True,
    outage_s: float = 60.0,
) -> DayPlan:
    """The day of ``orders`` orders, drawn from ``seed``: the same plan every time.

    Orders are placed on the platforms as ``platform_at`` says; those of SFCC and
    WooCommerce are shipped (the day's webhooks are Shopify's). Among the Shopify orders
    but the first, a few are returned (from the
    first half, so that the return comes while the run goes on), cancelled, edited, and a
    share paid (never a cancelled one: that would need a refund of its own).
    """
    draw = random.Random(seed)  # noqa: S311 (test traffic, not crypto)
    platforms = [platform_at(i, sfcc=sfcc, woocommerce=woocommerce) for i in range(orders)]
    shopify = [i for i in range(orders) if platforms[i] == "shopify"][1:]
    fates: dict[int, Fate] = {}
    early = shopify[: max(1, len(shopify) // 2)]
    returns = min(len(early), max(1, len(shopify) // RETURNS_PER_ORDERS))
    for i in draw.sample(early, returns) if shopify else []:
        fates[i] = Fate.RETURNED
    for fate, share in ((Fate.CANCELLED, CANCELLED_SHARE), (Fate.EDITED, EDITED_SHARE)):
        free = [i for i in shopify if i not in fates]
        for i in draw.sample(free, min(len(free), max(1, round(share * len(shopify))))):
            fates[i] = fate
    payable = [i for i in shopify if fates.get(i) is not Fate.CANCELLED]
    paid = set(draw.sample(payable, min(len(payable), round(PAID_SHARE * len(shopify)))))
    # A returned order is paid: its refund gives back what the customer paid.
    paid |= {i for i, fate in fates.items() if fate is Fate.RETURNED}
    return DayPlan(
        orders=tuple(
            OrderPlan(platforms[i], paid=i in paid, fate=fates.get(i, Fate.SHIPPED))
            for i in range(orders)
        ),
        shortfall_at=orders // 4,
        restock_at=orders * 3 // 4,
        bad_webhooks_at=tuple(sorted({orders // 3, orders * 2 // 3})),
        outage_at=orders // 2 if outage_s > 0 else None,
        outage_s=outage_s,
    )


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
    """Orders in through the storefront's webhooks, shipments out of Odoo's warehouse; with
    a ``day``, the rest of a retail day too (see the module's docstring)."""

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
    day: DayPlan | None = None
    # The sandbox Odoo's switches, for the day's outage.
    odoo_faults: Faults | None = None
    placed: list[str] = field(default_factory=list)  # order refs, channel:id
    shipped: set[str] = field(default_factory=set)
    cancelled: set[str] = field(default_factory=set)  # cancelled in Odoo
    returned: set[str] = field(default_factory=set)  # a return receipt validated in Odoo
    refunded: set[str] = field(default_factory=set)  # refunds/create sent for the return
    stock_moves: list[str] = field(default_factory=list)  # what the warehouse counted
    bad_webhooks: Counter[str] = field(default_factory=Counter)  # "kind status" -> sent
    outage: tuple[datetime, datetime | None] | None = None  # when Odoo answered 503
    _random: random.Random = field(default_factory=lambda: random.Random(7))  # noqa: S311
    _cancelling: set[str] = field(default_factory=set)
    _returning: set[str] = field(default_factory=set)
    _edits: dict[str, str] = field(default_factory=dict)  # ref -> the SKU the edit removed
    _outage_ends: float | None = None

    def step(self, *, place: bool) -> None:
        """One tick of the day: the next order if ``place`` and what the plan brings after
        it, then the warehouse's work, while Odoo answers."""
        if self._outage_ends is not None and time.monotonic() >= self._outage_ends:
            self._end_outage()
        if place:
            self.place_order()
            self._after_order(len(self.placed) - 1)
        self._send_refunds()
        if self._outage_ends is not None:
            return  # Odoo answers 503: the warehouse waits too
        day = self.day
        if day is not None:
            if len(self.placed) > day.shortfall_at and len(self.stock_moves) == 0:
                self._count(self.skus[0], -SHORTFALL)
            if len(self.placed) > day.restock_at and len(self.stock_moves) == 1:
                self._count(self.skus[-1], RESTOCK)
        self.ship_confirmed()

    def done(self) -> bool:
        """Whether every order placed so far has had its story told in Odoo, and the day's
        other events have happened."""
        finished = self.shipped | self.cancelled
        if not set(self.placed) <= finished or self._returning - self.returned:
            return False
        day = self.day
        if day is None:
            return True
        # (Without the sandbox Odoo's switches there is no outage to wait for.)
        outage_over = (
            day.outage_at is None
            or self.odoo_faults is None
            or (self.outage is not None and self._outage_ends is None)
        )
        bad_sent = sum(self.bad_webhooks.values()) == 2 * len(day.bad_webhooks_at)
        return outage_over and len(self.stock_moves) == 2 and bad_sent

    def awaiting_refunds(self) -> set[str]:
        """The returned orders the storefront has not refunded yet (storefront-fulfillment
        refunds what Odoo received)."""
        return self.returned - self.refunded

    def _send_refunds(self) -> None:
        """refunds/create for each refund made on a returned order, as Shopify sends it."""
        for ref in sorted(self.awaiting_refunds()):
            order = self.storefront.store.orders[f"gid://shopify/Order/{ref.partition(':')[2]}"]
            if not order.refunds:
                continue
            for refund in order.refunds:
                self._send(ref, "refunds/create", _refund(order, refund))
            self.refunded.add(ref)

    def place_order(self) -> str:
        """Place the next order on the storefront (or the SFCC site); its ref."""
        plan = self._plan(len(self.placed))
        platform = platform_at(
            len(self.placed), sfcc=self.sfcc is not None, woocommerce=self.woocommerce is not None
        )
        if platform == "sfcc" and self.sfcc is not None:
            return self._place_sfcc_order(self.sfcc)
        if platform == "woocommerce" and self.woocommerce is not None:
            return self._place_woocommerce_order(self.woocommerce)
        lines = [
            (sku, self._random.randint(1, 3), "19.90") for sku in self._random.sample(self.skus, 2)
        ]
        order = self.storefront.store.place_order(lines)
        ref = f"{self.channel}:{order.id}"
        self.placed.append(ref)
        log.info("placed %s on the storefront", ref)
        self._send(ref, "orders/create", order_payload(order))
        if plan.paid:
            self._send(ref, "orders/paid", order_payload(order))
        if plan.fate is Fate.EDITED:
            self._edits[ref] = order.lines[1].sku
            self._send(ref, "orders/updated", _edited(order))
        elif plan.fate is Fate.CANCELLED:
            self._cancelling.add(ref)
            self._send(ref, "orders/cancelled", _cancelled(order))
        elif plan.fate is Fate.RETURNED:
            self._returning.add(ref)
        return ref

    def _plan(self, index: int) -> OrderPlan:
        if self.day is None or index >= len(self.day.orders):
            return OrderPlan()
        return self.day.orders[index]

    def _send(self, ref: str, topic: str, payload: dict[str, Any]) -> None:
        delivery = shopify_delivery(
            topic, payload, secret=self.secret, shop_domain=self.storefront.shop_domain
        )
        [outcome] = self.webhooks.send([delivery])
        outcome.add_done_callback(lambda done: _log_delivery(ref, topic, done))

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
        outcome.add_done_callback(lambda done: _log_delivery(ref, "order.created", done))
        return ref

    def _after_order(self, index: int) -> None:
        """What the day brings after order ``index``: bad webhooks, the outage's start."""
        day = self.day
        if day is None:
            return
        if index in day.bad_webhooks_at:
            self._send_bad_webhooks()
        if index == day.outage_at and self.odoo_faults is not None:
            self.odoo_faults.fail(503)
            self._outage_ends = time.monotonic() + day.outage_s
            self.outage = (datetime.now(UTC), None)
            log.info("the sandbox Odoo answers 503 for %.0f s", day.outage_s)

    def _end_outage(self) -> None:
        assert self.odoo_faults is not None and self.outage is not None  # started by us
        self.odoo_faults.clear()
        self._outage_ends = None
        self.outage = (self.outage[0], datetime.now(UTC))
        log.info("the sandbox Odoo answers again")

    def _send_bad_webhooks(self) -> None:
        """A delivery signed with another secret and a well-signed one whose body is no
        order, straight to the receiver (the emitter would retry them): each must be
        refused at the edge, and counted by its answer."""
        # A real order's body (the last one placed, so nothing new to reconcile), forged.
        order = order_payload(next(reversed(self.storefront.store.orders.values())))
        shop = self.storefront.shop_domain
        forged = shopify_delivery(
            "orders/create", order, secret=secrets.token_hex(16), shop_domain=shop
        )
        malformed = shopify_delivery(
            "orders/create", {"id": "not-a-number", "line_items": "none"},
            secret=self.secret, shop_domain=shop,
        )  # fmt: skip
        for kind, delivery in (("wrong signature", forged), ("malformed body", malformed)):
            answer = httpx.post(
                self.webhooks.url,
                content=delivery.body,
                headers=dict(delivery.headers),
                timeout=_BAD_WEBHOOK_TIMEOUT_S,
            )
            self.bad_webhooks[f"{kind} {answer.status_code}"] += 1
            log.info("bad webhook (%s) answered %s", kind, answer.status_code)

    def _count(self, sku: str, delta: int) -> None:
        """The warehouse counts ``sku`` at the main stock location and finds ``delta`` more
        (or fewer) units than Odoo has: an inventory adjustment, which moves stock."""
        [warehouse] = self.odoo.search_read("stock.warehouse", [], ["lot_stock_id"], limit=1)
        location = warehouse["lot_stock_id"][0]
        [quant] = self.odoo.search_read(
            "stock.quant",
            [("product_id.default_code", "=", sku), ("location_id", "=", location)],
            ["product_id", "quantity"],
        )
        count_stock(self.odoo, [quant["product_id"][0]], location, quant["quantity"] + delta)
        self.stock_moves.append(f"{sku} {delta:+d}")
        log.info("counted %s at %s: %+d", sku, warehouse["lot_stock_id"][1], delta)

    def all_shipped(self) -> bool:
        """Whether every order placed so far has been shipped from Odoo."""
        return set(self.placed) <= self.shipped

    def ship_confirmed(self) -> list[str]:
        """Validate the deliveries of the placed orders Odoo has confirmed (an edited one
        once Odoo has its edit); their refs. Note the cancellations Odoo has made, and
        return what the day returns once it is shipped."""
        self._note_cancellations()
        waiting = [
            ref for ref in self.placed if ref not in self.shipped and ref not in self._cancelling
        ]
        if not waiting:
            return []
        orders = self.odoo.search_read(
            "sale.order",
            [("client_order_ref", "in", waiting), ("state", "=", "sale")],
            ["client_order_ref"],
        )
        shipped = []
        for order in orders:
            ref = str(order["client_order_ref"])
            if ref in self._edits and not self._edited_in_odoo(order["id"], self._edits[ref]):
                continue
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
                if ref in self._returning:
                    self._return_one(picking["id"])
                    self.returned.add(ref)
            self.shipped.add(ref)
            shipped.append(ref)
            log.info("shipped %s from Odoo", ref)
        return shipped

    def _note_cancellations(self) -> None:
        pending = sorted(self._cancelling - self.cancelled)
        if not pending:
            return
        for order in self.odoo.search_read(
            "sale.order",
            [("client_order_ref", "in", pending), ("state", "=", "cancel")],
            ["client_order_ref"],
        ):
            self.cancelled.add(str(order["client_order_ref"]))
            log.info("Odoo cancelled %s", order["client_order_ref"])

    def _edited_in_odoo(self, order_id: int, removed_sku: str) -> bool:
        lines = self.odoo.search_read(
            "sale.order.line",
            [("order_id", "=", order_id), ("product_id.default_code", "=", removed_sku)],
            ["product_uom_qty"],
        )
        return all(float(line["product_uom_qty"]) == 0 for line in lines)

    def _return_one(self, delivery: int) -> None:
        """The customer sends back one unit of the delivery's first line: a return receipt
        of the delivery, validated, as Odoo's Return wizard makes it."""
        [picking] = self.odoo.read(
            "stock.picking", [delivery], ["location_id", "location_dest_id", "picking_type_id"]
        )
        [kind] = self.odoo.read(
            "stock.picking.type", [picking["picking_type_id"][0]], ["warehouse_id"]
        )
        [warehouse] = self.odoo.read("stock.warehouse", [kind["warehouse_id"][0]], ["in_type_id"])
        move = self.odoo.search_read(
            "stock.move", [("picking_id", "=", delivery)], ["product_id", "sale_line_id"]
        )[0]
        [receipt] = self.odoo.create(
            "stock.picking",
            [
                {
                    "picking_type_id": warehouse["in_type_id"][0],
                    "location_id": picking["location_dest_id"][0],
                    "location_dest_id": picking["location_id"][0],
                    "return_id": delivery,
                    "move_ids": [
                        [0, 0, {"product_id": move["product_id"][0], "product_uom_qty": 1,
                                "sale_line_id": move["sale_line_id"][0], "name": "return"}],
                    ],
                }
            ],
        )  # fmt: skip
        self.odoo.call("stock.picking", "button_validate", [receipt], context=_NO_SMS)
        log.info("received a return of delivery %d", delivery)


def _edited(order: Order) -> dict[str, Any]:
    """orders/updated after an edit that removed the order's second line."""
    payload = order_payload(order)
    kept = order.lines[0]
    subtotal = str(Decimal(kept.price) * kept.quantity)
    for item in payload["line_items"]:
        item["current_quantity"] = item["quantity"] if item["id"] == kept.id else 0
    payload["updated_at"] = (order.created_at + timedelta(seconds=1)).isoformat()
    payload |= {"current_subtotal_price": subtotal, "current_total_price": subtotal,
                "current_total_tax": "0.00", "current_total_discounts": "0.00"}  # fmt: skip
    return payload


def _refund(order: Order, refund: Refund) -> dict[str, Any]:
    """refunds/create: the REST Refund of ``refund``, settling a return."""
    number = int(refund.id.rpartition("/")[2])
    lines = {item["id"]: item for item in order_payload(order)["line_items"]}
    return {
        "id": number,
        "order_id": order.id,
        "created_at": refund.created_at.isoformat(),
        "processed_at": refund.created_at.isoformat(),
        "note": refund.note,
        "return": {"id": number},
        "refund_line_items": [
            {
                "line_item_id": line.line.id,
                "quantity": line.quantity,
                "restock_type": line.restock_type.lower(),
                "subtotal": str(Decimal(line.line.price) * line.quantity),
                "total_tax": "0.00",
                "line_item": lines[line.line.id],
            }
            for line in refund.lines
        ],
        "transactions": [
            {
                "id": number,
                "kind": "refund",
                "status": "success",
                "amount": str(refund.amount),
                "currency": order.currency,
                "gateway": "bogus",
            }
        ],
        "order_adjustments": [],
    }


def _cancelled(order: Order) -> dict[str, Any]:
    """orders/cancelled: the customer changed their mind before shipment."""
    cancelled_at = (order.created_at + timedelta(seconds=2)).isoformat()
    payload = order_payload(order, financial_status="voided")
    return payload | {"cancelled_at": cancelled_at, "updated_at": cancelled_at,
                      "cancel_reason": "customer"}  # fmt: skip


def _log_delivery(ref: str, topic: str, outcome: Future[Attempt]) -> None:
    if outcome.cancelled():
        log.warning("the %s webhook of %s was abandoned at shutdown", topic, ref)
        return
    attempt = outcome.result()
    log.info("%s of %s answered %s after %d tries", topic, ref, attempt.status, attempt.tries)
