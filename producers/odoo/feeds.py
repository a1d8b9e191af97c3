"""What the poller watches in Odoo, and the reads that turn a page of changes into events.

A feed watches one or more models by ``(write_date, id)`` and builds events from the
current state of what changed, reading the related records it needs in a few batched
calls per page. Feeds, by name (``RETAILSYNC_ODOO_MODELS`` picks among them):

- ``stock.quant``: inventory_adjusted, the stock of each product@location that a quant or
  a done move changed. Odoo deletes an emptied quant (its quant tasks, run by the stock
  scheduler or when someone opens Physical Inventory), often before a poll read its last
  write; the done move that emptied it still names the product and both locations, so the
  level is read again and published as 0;
- ``stock.picking``: done deliveries (shipment_dispatched) and done returns of deliveries
  (return_received);
- ``stock.picking.assigned``: deliveries of storefront orders that are Ready, their stock
  reserved (order_allocated). A delivery reserved and done between two polls is seen done
  only, and so gets its shipment_dispatched but no order_allocated;
- ``account.move``: posted customer invoices of storefront orders (order_invoiced), the
  order named by the invoice's ``invoice_origin`` (the order's name, as Odoo's Create
  Invoice wizard writes it). An invoice of several storefront orders is skipped: its amounts
  are not any one order's;
- ``sale.order``: cancelled orders (order_cancelled), but for one the order applier is
  holding for review (``retailsync.odoo.tags``): that one is a quotation again next;
- ``product.product``: product_upserted, on a change of a variant or of its template;
  services and combos (a delivery fee, a bundle) are not catalogue products;
- ``product.pricelist``: price_changed, per variant, its list price and its price under every
  active pricelist as the channel should show it (the rule applied, see
  :mod:`producers.odoo.pricing`), on a change of a pricelist rule or of a product: a rule
  on a product or variant prices that product again, one on a category or on everything (or
  based on another pricelist) every product.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial

from pydantic import ValidationError

from producers.odoo import mapping, pricing
from producers.odoo.mapping import ref_id, ref_name
from retailsync.errors import ConfigError
from retailsync.events import Event, Source
from retailsync.odoo import OdooClient, Record
from retailsync.odoo.external_ids import MODULE, channel_line_ref
from retailsync.odoo.tags import REVIEW_PENDING
from retailsync.odoo.transport import Context, Domain

log = logging.getLogger("retailsync.odoo_changes")
_NOW_FORMAT = "%Y-%m-%d %H:%M:%S"

# Archived products still have stock, orders and a last state to publish.
_ALL = {"active_test": False}


@dataclass(frozen=True, slots=True)
class Watch:
    """One model polled by ``(write_date, id)``: the fields a page needs, and a filter.

    ``starts_with``: while this watch has no cursor of its own, it starts from the cursor of
    that model of the same feed, so that a watch whose past the other's current state
    already tells (and one added to a running feed) does not replay its whole history.
    """

    model: str
    fields: tuple[str, ...] = ()
    domain: Domain = ()
    context: Context | None = None
    starts_with: str | None = None


Builder = Callable[[OdooClient, Source, str, Sequence[Record]], list[Event]]


@dataclass(frozen=True, slots=True)
class Feed:
    """Models watched together, with one checkpoint, and how their changes become events."""

    name: str
    watches: tuple[Watch, ...]
    build: Builder


# Locations whose quants make a stock level (Odoo keeps quants elsewhere too).
_STOCKED = ["internal", "transit"]


def _changed_levels(model: str, changed: Sequence[Record]) -> dict[tuple[int, int], str]:
    """Each (product, location) whose stock ``changed`` changed, and its latest write_date.

    A quant is one level; a done move changed two, where it took from and where it put.
    """
    sides = ("location_id", "location_dest_id") if model == "stock.move" else ("location_id",)
    as_of: dict[tuple[int, int], str] = {}
    for row in changed:
        for side in sides:
            pair = (row["product_id"][0], row[side][0])
            as_of[pair] = max(as_of.get(pair, ""), row["write_date"])
    return as_of


def _stock_levels(
    odoo: OdooClient, source: Source, model: str, changed: Sequence[Record]
) -> list[Event]:
    as_of = _changed_levels(model, changed)
    every_location = _read(
        odoo, "stock.location", {loc for _, loc in as_of}, "complete_name", "warehouse_id", "usage"
    )
    locations = _by_id(loc for loc in every_location if loc["usage"] in _STOCKED)
    as_of = {pair: when for pair, when in as_of.items() if pair[1] in locations}
    levels: dict[tuple[int, int], list[Record]] = defaultdict(list)
    fields = ["product_id", "location_id", "quantity", "reserved_quantity", "write_date"]
    domain = [
        ("product_id", "in", sorted({p for p, _ in as_of})),
        ("location_id", "in", sorted({loc for _, loc in as_of})),
    ]
    for quant in odoo.search_read("stock.quant", domain, fields) if as_of else ():
        levels[(quant["product_id"][0], quant["location_id"][0])].append(quant)
    if model == "stock.move":
        # A level that still has a quant is the quant watch's: the move wrote that quant in
        # its own transaction, so the quant watch sees that write. Only a move tells of a
        # level whose quants Odoo deleted.
        as_of = {pair: when for pair, when in as_of.items() if pair not in levels}
    products = _by_id(
        _read(odoo, "product.product", {p for p, _ in as_of}, "default_code", "uom_id")
    )
    codes = _warehouse_codes(odoo, (ref_id(locations[loc]["warehouse_id"]) for _, loc in as_of))
    return _made(
        (
            mapping.stock_level_ref(product, location),
            partial(mapping.stock_level, source, stock),
        )
        for (product, location), when in as_of.items()
        if product in products
        for stock in [
            mapping.StockAt(
                products[product],
                locations[location],
                codes.get(ref_id(locations[location]["warehouse_id"])),
                levels.get((product, location), []),
                when,
            )
        ]
    )


_PICKING_FIELDS = (
    "name",
    "picking_type_code",
    "picking_type_id",
    "sale_id",
    "return_id",
    "carrier_id",
    "carrier_tracking_ref",
    "carrier_tracking_url",
)


def _moves_of(
    odoo: OdooClient, pickings: Sequence[Record], states: Sequence[str], *fields: str
) -> dict[int, list[Record]]:
    """The moves of ``pickings`` in ``states``, by picking id."""
    moves: dict[int, list[Record]] = defaultdict(list)
    for move in odoo.search_read(
        "stock.move",
        [("picking_id", "in", [p["id"] for p in pickings]), ("state", "in", list(states))],
        ["picking_id", "product_id", "quantity", *fields],
        order="id",
    ):
        moves[move["picking_id"][0]].append(move)
    return moves


def _skus(odoo: OdooClient, moves: Iterable[Record]) -> dict[int, str]:
    """The SKU of each product of ``moves`` that has one, by product id."""
    return {
        row["id"]: row["default_code"]
        for row in _read(odoo, "product.product", _ids(moves, "product_id"), "default_code")
        if row["default_code"]
    }


def _warehouse_of(odoo: OdooClient, pickings: Sequence[Record]) -> dict[int, str]:
    """The code of the warehouse of each picking's operation type, by picking id."""
    types = _by_id(
        _read(odoo, "stock.picking.type", _ids(pickings, "picking_type_id"), "warehouse_id")
    )
    codes = _warehouse_codes(odoo, (ref_id(t["warehouse_id"]) for t in types.values()))
    return {
        p["id"]: codes.get(
            ref_id(types.get(ref_id(p["picking_type_id"]) or 0, {}).get("warehouse_id"))
        )
        or ""
        for p in pickings
    }


def _transfers(
    odoo: OdooClient, source: Source, _model: str, pickings: Sequence[Record]
) -> list[Event]:
    wanted = [
        p
        for p in pickings
        if p["picking_type_code"] == "outgoing"
        or (p["picking_type_code"] == "incoming" and p["return_id"])
    ]
    if not wanted:
        return []
    moves = _moves_of(odoo, wanted, ["done"], "sale_line_id", "location_dest_id")
    every_move = [move for group in moves.values() for move in group]
    skus = _skus(odoo, every_move)
    # A return without an order of its own belongs to the order of the delivery it returns.
    originals = _by_id(_read(odoo, "stock.picking", _ids(wanted, "return_id"), "sale_id"))
    order_of = {
        p["id"]: ref_id(p["sale_id"])
        or ref_id(originals.get(ref_id(p["return_id"]) or 0, {}).get("sale_id"))
        for p in wanted
    }
    order_ids = {id_ for id_ in order_of.values() if id_ is not None}
    orders = _by_id(_read(odoo, "sale.order", order_ids, "client_order_ref", "currency_id"))
    warehouses = _warehouse_of(odoo, wanted)
    line_ids = _ids(every_move, "sale_line_id")
    lines = _by_id(_read(odoo, "sale.order.line", line_ids, "price_unit", "discount", "order_id"))
    channel_refs = _channel_line_refs(odoo, lines.values(), orders)
    internal = {
        row["id"]
        for row in _read(odoo, "stock.location", _ids(every_move, "location_dest_id"), "usage")
        if row["usage"] == "internal"
    }

    def event(picking: Record) -> Event | None:
        transfer = mapping.Transfer(
            picking=picking,
            order=orders.get(order_of[picking["id"]] or 0),
            warehouse_code=warehouses[picking["id"]],
            moves=moves.get(picking["id"], []),
            skus=skus,
            sale_lines=lines,
            restocking=internal,
            channel_line_refs=channel_refs,
        )
        if picking["picking_type_code"] == "outgoing":
            return mapping.shipment(source, transfer)
        return mapping.returned(source, transfer)

    return _made((f"stock.picking/{p['id']}", partial(event, p)) for p in wanted)


def _allocations(
    odoo: OdooClient, source: Source, _model: str, pickings: Sequence[Record]
) -> list[Event]:
    # A Ready delivery's open moves hold what is reserved (``quantity``): all of the demand
    # when assigned, part of it when partially available.
    moves = _moves_of(odoo, pickings, ["assigned", "partially_available"])
    skus = _skus(odoo, (move for group in moves.values() for move in group))
    orders = _by_id(_read(odoo, "sale.order", _ids(pickings, "sale_id"), "client_order_ref"))
    warehouses = _warehouse_of(odoo, pickings)
    return _made(
        (
            f"stock.picking/{p['id']}",
            partial(
                mapping.allocated,
                source,
                mapping.Transfer(
                    picking=p,
                    order=orders.get(ref_id(p["sale_id"]) or 0),
                    warehouse_code=warehouses[p["id"]],
                    moves=moves.get(p["id"], []),
                    skus=skus,
                    sale_lines={},
                    restocking=(),
                    channel_line_refs={},
                ),
            ),
        )
        for p in pickings
    )


def _invoices(
    odoo: OdooClient, source: Source, _model: str, invoices: Sequence[Record]
) -> list[Event]:
    names = sorted({name for invoice in invoices for name in _origins(invoice)})
    if not names:
        return []  # invoices made by hand, of no order
    order_ref = {
        row["name"]: row["client_order_ref"]
        for row in odoo.search_read(
            "sale.order",
            [("name", "in", names), ("client_order_ref", "!=", False)],
            ["name", "client_order_ref"],
        )
    }

    def event(invoice: Record) -> Event | None:
        refs = {order_ref[name] for name in _origins(invoice) if name in order_ref}
        if len(refs) > 1:
            log.warning("account.move/%s: skipped, it invoices %d orders", invoice["id"], len(refs))
            return None
        return mapping.invoiced(source, invoice, refs.pop()) if refs else None

    return _made((f"account.move/{i['id']}", partial(event, i)) for i in invoices)


def _origins(invoice: Record) -> list[str]:
    """The orders an invoice names as its origin: Odoo joins several with ", "."""
    return [name for name in (invoice.get("invoice_origin") or "").split(", ") if name]


def _channel_line_refs(
    odoo: OdooClient, lines: Iterable[Record], orders: Mapping[int, Record]
) -> dict[int, str]:
    """The channel's line ref of each sale order line the order applier made, by line id:
    kept in the line's external id (``ir.model.data``), which names the line's order ref."""
    order_ref: dict[int, str] = {
        line["id"]: ref
        for line in lines
        if (ref := orders.get(ref_id(line["order_id"]) or 0, {}).get("client_order_ref"))
    }
    if not order_ref:
        return {}
    found = {}
    for row in odoo.search_read(
        "ir.model.data",
        [
            ("model", "=", "sale.order.line"),
            ("res_id", "in", sorted(order_ref)),
            ("module", "=", MODULE),
        ],
        ["module", "name", "res_id"],
    ):
        ref = channel_line_ref(order_ref[row["res_id"]], row["module"], row["name"])
        if ref is not None:
            found[row["res_id"]] = ref
    return found


def _cancellations(
    odoo: OdooClient, source: Source, _model: str, orders: Sequence[Record]
) -> list[Event]:
    # An order the order applier is holding for review is a quotation again next, not a
    # cancellation to tell its channel (``retailsync.odoo.tags``).
    tagged = sorted({tag for order in orders for tag in order["tag_ids"]})
    domain = [("id", "in", tagged), ("name", "=", REVIEW_PENDING)]
    held = {row["id"] for row in odoo.search_read("crm.tag", domain, ["id"])} if tagged else set()
    return _made(
        (f"sale.order/{order['id']}", partial(mapping.cancelled, source, order))
        for order in orders
        if held.isdisjoint(order["tag_ids"])
    )


_PRODUCT_FIELDS = (
    "type",
    "default_code",
    "barcode",
    "active",
    "product_tmpl_id",
    "name",
    "description_sale",
    "uom_id",
    "weight",
    "currency_id",
    "list_price",
    "write_date",
)


def product_events(
    odoo: OdooClient, source: Source, model: str, changed: Sequence[Record]
) -> list[Event]:
    """product_upserted for each variant ``changed`` names (as variants or templates)."""
    ids = [row["id"] for row in changed]
    if model == "product.template":
        ids = [
            row["id"]
            for row in odoo.search_read(
                "product.product", [("product_tmpl_id", "in", ids)], ["id"], context=_ALL
            )
        ]
    variants = _read(odoo, "product.product", ids, *_PRODUCT_FIELDS)
    templates = _by_id(
        _read(odoo, "product.template", _ids(variants, "product_tmpl_id"), "write_date")
    )
    return _made(
        (
            f"product.product/{variant['id']}",
            partial(
                mapping.product,
                source,
                variant,
                templates[variant["product_tmpl_id"][0]]["write_date"],
            ),
        )
        for variant in variants
        if ref_id(variant["product_tmpl_id"]) in templates
    )


# Rules scoped to one product or variant; any other scope can change any product's price.
_ONE_PRODUCT = ("0_product_variant", "1_product")


def _prices(odoo: OdooClient, source: Source, model: str, changed: Sequence[Record]) -> list[Event]:
    if model == "product.template":
        domain: Domain = [("product_tmpl_id", "in", [row["id"] for row in changed])]
    elif all(row["applied_on"] in _ONE_PRODUCT and row["base"] != "pricelist" for row in changed):
        domain = [("product_tmpl_id", "in", sorted(_ids(changed, "product_tmpl_id")))]
    else:
        domain = []
    return price_events(odoo, source, domain, max(row["write_date"] for row in changed))


def price_events(odoo: OdooClient, source: Source, domain: Domain, floor: str) -> list[Event]:
    """price_changed for each variant of ``domain``: its list price and its price on every
    active pricelist. Each version is the latest ``write_date`` of the variant, its template,
    the rule that prices it and ``floor`` (the change that made the feed look)."""
    fields = ["default_code", "type", "write_date", *pricing.VARIANT_FIELDS]
    variants = odoo.search_read("product.product", domain, fields, order="id")
    if not variants:
        return []
    templates = _by_id(
        _read(odoo, "product.template", _ids(variants, "product_tmpl_id"), "write_date")
    )
    pricelists = odoo.search_read("product.pricelist", [], ["name", "currency_id"], order="id")
    rules = pricing_rules(odoo, pricelists)
    currency_ids = _ids(pricelists, "currency_id") | _ids(variants, "currency_id")
    currencies = _by_id(_read(odoo, "res.currency", currency_ids, "name", "rounding"))
    now = datetime.now(UTC).strftime(_NOW_FORMAT)

    def priced(variant: Record, pricelist: Record | None) -> Event | None:
        template_date = templates.get(ref_id(variant["product_tmpl_id"]) or 0, {})
        as_of = max(floor, variant["write_date"], template_date.get("write_date") or "")
        if pricelist is None:
            currency = currencies[variant["currency_id"][0]]
            price = pricing.Price(pricing.dec(variant["list_price"]), None, None)
        else:
            currency = currencies[pricelist["currency_id"][0]]
            found = rules.price(variant, pricelist["id"], now)
            if found is None:
                log.debug(
                    "product.product/%s: no price on pricelist %s without a currency rate",
                    variant["id"],
                    pricelist["id"],
                )
                return None
            price = found
            if price.rule is not None:
                as_of = max(as_of, price.rule["write_date"])
        return mapping.price_changed(
            source,
            mapping.PriceOf(
                variant=variant,
                pricelist=pricelist,
                currency=currency["name"],
                price=pricing.round_to(price.price, currency["rounding"]),
                compare_at=pricing.round_to(price.compare_at, currency["rounding"])
                if price.compare_at is not None
                else None,
                rule=price.rule,
                as_of=as_of,
            ),
        )

    return _made(
        (
            mapping.price_ref(variant["id"], pricelist["id"] if pricelist else None),
            partial(priced, variant, pricelist),
        )
        for variant in variants
        if ref_name(variant.get("currency_id"))
        for pricelist in (None, *pricelists)
    )


def pricing_rules(odoo: OdooClient, pricelists: Sequence[Record]) -> pricing.Rules:
    """Every rule of ``pricelists`` (read with ``currency_id``), in the order Odoo tries
    them (the model's own), and the category tree: two calls."""
    rules: dict[int, list[Record]] = defaultdict(list)
    for rule in odoo.search_read(
        "product.pricelist.item",
        [("pricelist_id", "in", [p["id"] for p in pricelists])],
        pricing.ITEM_FIELDS,
    ):
        rules[rule["pricelist_id"][0]].append(rule)
    return pricing.Rules(
        by_pricelist=rules,
        currency_of={p["id"]: p["currency_id"][0] for p in pricelists},
        category_parent={
            row["id"]: ref_id(row["parent_id"])
            for row in odoo.search_read("product.category", [], ["parent_id"])
        },
    )


FEEDS: dict[str, Feed] = {
    feed.name: feed
    for feed in (
        Feed(
            "stock.quant",
            (
                Watch(
                    "stock.quant",
                    ("product_id", "location_id"),
                    (("location_id.usage", "in", _STOCKED),),
                ),
                Watch(
                    "stock.move",
                    ("product_id", "location_id", "location_dest_id"),
                    (
                        ("state", "=", "done"),
                        "|",
                        ("location_id.usage", "in", _STOCKED),
                        ("location_dest_id.usage", "in", _STOCKED),
                    ),
                    # The quants read first give every level that has stock; the moves
                    # matter from then on.
                    starts_with="stock.quant",
                ),
            ),
            _stock_levels,
        ),
        Feed(
            "stock.picking",
            (
                Watch(
                    "stock.picking",
                    _PICKING_FIELDS,
                    (("state", "=", "done"), ("picking_type_code", "in", ["outgoing", "incoming"])),
                ),
            ),
            _transfers,
        ),
        Feed(
            "stock.picking.assigned",
            (
                Watch(
                    "stock.picking",
                    ("name", "picking_type_id", "sale_id"),
                    (
                        ("state", "=", "assigned"),
                        ("picking_type_code", "=", "outgoing"),
                        ("sale_id.client_order_ref", "!=", False),
                    ),
                ),
            ),
            _allocations,
        ),
        Feed(
            "account.move",
            (
                Watch(
                    "account.move",
                    ("name", "invoice_origin", "currency_id", *mapping.INVOICE_AMOUNTS),
                    (("move_type", "=", "out_invoice"), ("state", "=", "posted")),
                ),
            ),
            _invoices,
        ),
        Feed(
            "sale.order",
            (
                Watch(
                    "sale.order",
                    ("client_order_ref", "delivery_status", "tag_ids"),
                    (("state", "=", "cancel"),),
                ),
            ),
            _cancellations,
        ),
        Feed(
            "product.product",
            (
                Watch("product.product", ("product_tmpl_id",), context=_ALL),
                Watch("product.template", (), context=_ALL),
            ),
            product_events,
        ),
        Feed(
            "product.pricelist",
            (
                Watch(
                    "product.pricelist.item",
                    ("applied_on", "product_tmpl_id", "base"),
                ),
                Watch("product.template", ()),
            ),
            _prices,
        ),
    )
}


def _made(builds: Iterable[tuple[str, Callable[[], Event | None]]]) -> list[Event]:
    """The events built; a record Odoo holds but no event model accepts is logged, skipped.

    Skipping keeps the feed moving: the record is published again once it changes.
    """
    events = []
    for ref, build in builds:
        try:
            event = build()
        except ValidationError as exc:
            # Field locations only: the input may hold personal data.
            where = ", ".join(".".join(map(str, e["loc"])) for e in exc.errors())
            log.warning("%s: skipped, not a valid event (%s)", ref, where)
            continue
        if event is not None:
            events.append(event)
    return events


def _read(odoo: OdooClient, model: str, ids: Collection[int], *fields: str) -> list[Record]:
    return odoo.read(model, sorted(ids), fields, context=_ALL) if ids else []


def _ids(records: Iterable[Record], field: str) -> set[int]:
    return {id_ for record in records if (id_ := ref_id(record.get(field))) is not None}


def _by_id(records: Iterable[Record]) -> dict[int, Record]:
    return {record["id"]: record for record in records}


def _warehouse_codes(odoo: OdooClient, ids: Iterable[int | None]) -> dict[int | None, str]:
    wanted = {id_ for id_ in ids if id_ is not None}
    return {row["id"]: row["code"] for row in _read(odoo, "stock.warehouse", wanted, "code")}


def selected(models: Sequence[str] | None) -> tuple[Feed, ...]:
    """The feeds named (all of them for None); ConfigError names an unknown one."""
    if models is None:
        return tuple(FEEDS.values())
    for name in models:
        if name not in FEEDS:
            known = ", ".join(FEEDS)
            raise ConfigError(
                "environment", "RETAILSYNC_ODOO_MODELS", f"{name!r} is not one of {known}"
            )
    return tuple(FEEDS[name] for name in models)
