"""Odoo records to events: pure functions of what the poller read, no calls.

Identity and version of each change:

- ``source_ref`` names the entity whose state an event carries: ``stock.picking/7``,
  ``sale.order/3``, ``account.move/5``, ``product.product/12``; a stock level, which Odoo
  may split over several quants (lots, packages), is ``product.product/12@stock.location/8``.
- ``source_version`` starts as the entity's ``write_date`` in microseconds. Odoo answers
  ``write_date`` in whole seconds, so that is ``seconds * 1_000_000``; the poller's
  :class:`~producers.odoo.versions.Versions` raises it by one for every further distinct
  state it publishes within the same second. A content hash in the low digits would give
  two states of one second different ids too, but in no particular order, and a consumer
  that drops "stale" versions would then keep the older state. The event id derives from
  ``(event_type, source, source_ref, source_version)``, so re-reading an unchanged state
  gives the same id (and the poller publishes it only once).
- A stock level's ``write_date`` is the latest of its quants', and a product's the later
  of its variant's and its template's, since Odoo stamps each row separately.

Orders and returns name the storefront order by ``sale.order.client_order_ref`` (the
order applier writes the channel's ``channel:order id`` there); an Odoo record without one
is not a storefront order, and no event is made. Likewise a product without an internal
reference (``default_code``, the SKU) has no key that a storefront knows.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from retailsync.events import (
    AdjustmentReason,
    AllocatedLine,
    CancelReason,
    Envelope,
    Event,
    InventoryAdjusted,
    ItemCondition,
    OrderAllocated,
    OrderCancelled,
    OrderInvoiced,
    PriceChanged,
    ProductUpserted,
    ReturnLine,
    ReturnReason,
    ReturnReceived,
    ShipmentDispatched,
    ShippedLine,
    Source,
)
from retailsync.events.fields import MONEY_SCALE, QUANTITY_SCALE
from retailsync.odoo import Record

log = logging.getLogger("retailsync.odoo_changes")
_WRITE_DATE = "%Y-%m-%d %H:%M:%S"
MICROS = 1_000_000
_DELIVERED = frozenset({"partial", "full"})


def changed_at(write_date: str) -> datetime:
    """Odoo's ``write_date`` (UTC, whole seconds) as an aware datetime."""
    return datetime.strptime(write_date, _WRITE_DATE).replace(tzinfo=UTC)


def base_version(write_date: str) -> int:
    """The first version of a state written in this second."""
    return int(changed_at(write_date).timestamp()) * MICROS


def quantity(value: float) -> Decimal:
    return _decimal(value, QUANTITY_SCALE)


def money(value: float) -> Decimal:
    return _decimal(value, MONEY_SCALE)


def _decimal(value: float, scale: int) -> Decimal:
    # repr is the shortest text that reads back as the same float: 0.1, not 0.1000000000000000055
    return Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-scale), ROUND_HALF_EVEN)


def ref_id(value: Any) -> int | None:
    """The id of a many2one as Odoo answers it (``[id, name]`` or ``false``)."""
    return int(value[0]) if value else None


def ref_name(value: Any) -> str | None:
    return str(value[1]) if value else None


def _envelope_args(source: Source, source_ref: str, write_date: str) -> dict[str, Any]:
    return {
        "source": source,
        "source_ref": source_ref,
        "occurred_at": changed_at(write_date),
        "source_version": base_version(write_date),
    }


def stock_level_ref(product_id: int, location_id: int) -> str:
    return f"product.product/{product_id}@stock.location/{location_id}"


@dataclass(frozen=True, slots=True)
class StockAt:
    """One product at one location: the records its stock level is made of.

    ``quants`` holds every quant of the pair: none when Odoo removed them (it deletes empty
    quants) after the change seen at ``as_of``, a ``write_date``; the stock is then 0.
    """

    product: Record
    location: Record
    warehouse_code: str | None
    quants: Sequence[Record]
    as_of: str


def stock_level(source: Source, stock: StockAt) -> InventoryAdjusted | None:
    """The whole stock of one product at one location, summed over its quants."""
    product, location, quants = stock.product, stock.location, stock.quants
    sku = product.get("default_code")
    if not sku:
        return None
    on_hand = quantity(sum(q["quantity"] for q in quants))
    reserved = quantity(sum(q["reserved_quantity"] for q in quants))
    name = str(location["complete_name"])
    return InventoryAdjusted(
        envelope=InventoryAdjusted.new_envelope(
            **_envelope_args(
                source,
                stock_level_ref(product["id"], location["id"]),
                max((q["write_date"] for q in quants), default=stock.as_of),
            )
        ),
        sku=sku,
        location=name,
        # A location outside any warehouse (a transit one) is named by its root instead.
        warehouse=stock.warehouse_code or name.split("/", maxsplit=1)[0],
        on_hand=on_hand,
        reserved=reserved,
        available=on_hand - reserved,
        unit_of_measure=ref_name(product.get("uom_id")) or "Units",
        # Odoo keeps no reason on a quant, and a level may sum several moves of any kind.
        reason=AdjustmentReason.UNKNOWN,
    )


@dataclass(frozen=True, slots=True)
class Transfer:
    """A picking and the records its event needs: its order, warehouse and moves (the done
    ones of a done picking, the reserved ones of a Ready delivery).

    ``skus``, ``sale_lines``, ``channel_line_refs`` (the channel's ref of a sale order line,
    by its id) and ``restocking`` (the ids of internal locations) may hold those of other
    pickings too.
    """

    picking: Record
    order: Record | None
    warehouse_code: str
    moves: Sequence[Record]
    skus: Mapping[int, str]
    sale_lines: Mapping[int, Record]
    restocking: Collection[int]
    channel_line_refs: Mapping[int, str]

    @property
    def order_ref(self) -> str | None:
        return self.order.get("client_order_ref") or None if self.order else None

    def envelope(self, event: type[Event], source: Source) -> Envelope:
        picking = self.picking
        return event.new_envelope(
            **_envelope_args(source, f"stock.picking/{picking['id']}", picking["write_date"])
        )

    def moved(self) -> list[tuple[Record, str]]:
        """The moves of a product with a SKU that moved something, with that SKU."""
        found = []
        for move in self.moves:
            sku = self.skus.get(ref_id(move["product_id"]) or 0)
            if sku and move["quantity"] > 0:
                found.append((move, sku))
        return found


def shipment(source: Source, transfer: Transfer) -> ShipmentDispatched | None:
    """A done delivery of a storefront order; each line names the channel's line ref the
    order came with (when Odoo keeps one for it) and Odoo's own line."""
    picking = transfer.picking
    lines = tuple(
        ShippedLine(
            line_ref=transfer.channel_line_refs.get(_sale_line(move) or 0),
            sku=sku,
            quantity=quantity(move["quantity"]),
            odoo_line_ref=_odoo_line_ref(move),
        )
        for move, sku in transfer.moved()
    )
    if not transfer.order_ref or not lines:
        return None
    return ShipmentDispatched(
        envelope=transfer.envelope(ShipmentDispatched, source),
        order_ref=transfer.order_ref,
        shipment_ref=picking["name"],
        warehouse=transfer.warehouse_code,
        # Odoo needs no carrier on a delivery; an empty name says none was set.
        carrier=ref_name(picking.get("carrier_id")) or "",
        tracking_number=picking.get("carrier_tracking_ref") or None,
        tracking_url=picking.get("carrier_tracking_url") or None,
        lines=lines,
    )


def allocated(source: Source, transfer: Transfer) -> OrderAllocated | None:
    """A storefront order's delivery that is Ready: the stock reserved for it, per SKU (a
    product on several moves is summed)."""
    reserved: dict[str, Decimal] = {}
    for move, sku in transfer.moved():
        reserved[sku] = reserved.get(sku, Decimal(0)) + quantity(move["quantity"])
    if not transfer.order_ref or not reserved:
        return None
    return OrderAllocated(
        envelope=transfer.envelope(OrderAllocated, source),
        order_ref=transfer.order_ref,
        delivery_ref=transfer.picking["name"],
        warehouse=transfer.warehouse_code,
        lines=tuple(AllocatedLine(sku=sku, quantity=qty) for sku, qty in reserved.items()),
    )


INVOICE_AMOUNTS = ("amount_untaxed", "amount_tax", "amount_total")


def invoiced(source: Source, invoice: Record, order_ref: str) -> OrderInvoiced | None:
    """A posted customer invoice of the storefront order ``order_ref``; None (logged) when
    its amounts do not add up to its total."""
    untaxed, tax, total = (money(invoice[field]) for field in INVOICE_AMOUNTS)
    if untaxed + tax != total:
        log.warning(
            "account.move/%s: skipped, amount_untaxed + amount_tax is not amount_total",
            invoice["id"],
        )
        return None
    return OrderInvoiced(
        envelope=OrderInvoiced.new_envelope(
            **_envelope_args(source, f"account.move/{invoice['id']}", invoice["write_date"])
        ),
        order_ref=order_ref,
        invoice_ref=invoice["name"],
        currency=ref_name(invoice.get("currency_id")) or "",
        amount_untaxed=untaxed,
        amount_tax=tax,
        amount_total=total,
    )


def returned(source: Source, transfer: Transfer) -> ReturnReceived | None:
    """A done return of a storefront order's goods.

    Odoo (community) records no return reason or item condition; the amount of a line is
    what the customer paid for that many units of its order line; goods go back to stock
    when the return puts them in an internal location. Each line names the channel's line
    ref the order came with (when Odoo keeps one for it) and Odoo's own line.
    """
    picking = transfer.picking
    currency = ref_name(transfer.order.get("currency_id")) if transfer.order else None
    lines = tuple(
        ReturnLine(
            line_ref=transfer.channel_line_refs.get(_sale_line(move) or 0),
            sku=sku,
            quantity=quantity(move["quantity"]),
            reason=ReturnReason.UNKNOWN,
            condition=ItemCondition.UNKNOWN,
            restock=ref_id(move["location_dest_id"]) in transfer.restocking,
            amount=money(
                move["quantity"] * _unit_paid(transfer.sale_lines.get(_sale_line(move) or 0))
            ),
            odoo_line_ref=_odoo_line_ref(move),
        )
        for move, sku in transfer.moved()
    )
    if not transfer.order_ref or not currency or not lines:
        return None
    return ReturnReceived(
        envelope=transfer.envelope(ReturnReceived, source),
        order_ref=transfer.order_ref,
        return_ref=picking["name"],
        warehouse=transfer.warehouse_code,
        currency=currency,
        lines=lines,
        refund_total=sum((line.amount for line in lines), Decimal(0)),
    )


def cancelled(source: Source, order: Record) -> OrderCancelled | None:
    """A cancelled storefront order; its stock goes back unless some of it was delivered."""
    order_ref = order.get("client_order_ref")
    if not order_ref:
        return None
    return OrderCancelled(
        envelope=OrderCancelled.new_envelope(
            **_envelope_args(source, f"sale.order/{order['id']}", order["write_date"])
        ),
        order_ref=order_ref,
        # Odoo (community) keeps no cancel reason.
        reason=CancelReason.UNKNOWN,
        restock=order.get("delivery_status") not in _DELIVERED,
    )


# Odoo's product types that are not goods of their own: a service (a delivery fee, a
# warranty) and a combo (a bundle whose goods are the products it combines).
NOT_CATALOGUED = frozenset({"service", "combo"})


def product(source: Source, variant: Record, template_write_date: str) -> ProductUpserted | None:
    """One sellable variant, as ``product.product`` reads it (template fields included);
    None for a service or a combo, and for a variant without SKU."""
    sku = variant.get("default_code")
    currency = ref_name(variant.get("currency_id"))
    if not sku or not currency or variant.get("type") in NOT_CATALOGUED:
        return None
    weight = variant.get("weight") or 0
    return ProductUpserted(
        envelope=ProductUpserted.new_envelope(
            **_envelope_args(
                source,
                f"product.product/{variant['id']}",
                max(variant["write_date"], template_write_date),
            )
        ),
        sku=sku,
        template_ref=f"product.template/{ref_id(variant['product_tmpl_id'])}",
        name=variant["name"],
        description=variant.get("description_sale") or None,
        barcode=variant.get("barcode") or None,
        unit_of_measure=ref_name(variant.get("uom_id")) or "Units",
        weight_kg=quantity(weight) if weight else None,
        currency=currency,
        list_price=money(variant["list_price"]),
        active=bool(variant["active"]),
    )


def price_ref(variant_id: int, pricelist_id: int | None) -> str:
    """A variant's list price, or its price under one pricelist."""
    variant = f"product.product/{variant_id}"
    return variant if pricelist_id is None else f"{variant}@product.pricelist/{pricelist_id}"


@dataclass(frozen=True, slots=True)
class PriceOf:
    """What one variant costs on one pricelist (None: its list price), as the channel
    should show it: ``price`` and ``compare_at`` already at the currency's rounding, the
    rule that applied (None for the sales price), and the latest ``write_date`` of what
    made it."""

    variant: Record
    pricelist: Record | None
    currency: str
    price: Decimal
    compare_at: Decimal | None
    rule: Record | None
    as_of: str


def price_changed(source: Source, of: PriceOf) -> PriceChanged | None:
    """The price of one variant on one pricelist, with the window of the rule that gives it
    (Odoo's ``date_end`` is inclusive, to the second; ``valid_until`` is exclusive); None
    for a service or a combo, and for a variant without SKU."""
    variant, rule = of.variant, of.rule
    sku = variant.get("default_code")
    if not sku or variant.get("type") in NOT_CATALOGUED:
        return None
    ref = price_ref(variant["id"], of.pricelist["id"] if of.pricelist else None)
    return PriceChanged(
        envelope=PriceChanged.new_envelope(**_envelope_args(source, ref, of.as_of)),
        sku=sku,
        pricelist=of.pricelist["name"] if of.pricelist else None,
        currency=of.currency,
        price=_at_money_scale(of.price),
        compare_at_price=_at_money_scale(of.compare_at) if of.compare_at is not None else None,
        valid_from=changed_at(rule["date_start"]) if rule and rule["date_start"] else None,
        valid_until=changed_at(rule["date_end"]) + timedelta(seconds=1)
        if rule and rule["date_end"]
        else None,
    )


def _at_money_scale(amount: Decimal) -> Decimal:
    return amount.quantize(Decimal(1).scaleb(-MONEY_SCALE), ROUND_HALF_EVEN)


def _odoo_line_ref(move: Record) -> str | None:
    line = _sale_line(move)
    return f"sale.order.line/{line}" if line is not None else None


def _sale_line(move: Record) -> int | None:
    return ref_id(move.get("sale_line_id"))


def _unit_paid(line: Record | None) -> float:
    if line is None:
        return 0.0
    return float(line["price_unit"]) * (1 - float(line.get("discount") or 0) / 100)
