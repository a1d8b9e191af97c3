"""Refund leakage and mismatches for finance, read from Odoo (not from our topics).

``reconcile_finance`` lists:

- customer payments posted but matched to no invoice (``account.payment`` with no
  ``invoice_ids``): money in the bank that no invoice accounts for;
- orders whose Odoo totals are not the channel's: the ones odoo-orders tagged
  ``FLAG_TAG`` when it made them (the tag's chatter note says what differs);
- refunds of physical goods without a received return: retailsync's posted credit notes
  with a storable product's line whose order has no done return receipt (a picking that is
  the ``return_id`` of a delivery, ``sale_id`` the order);
- returns received but not refunded: done return receipts older than the grace period
  whose order has no posted credit note in Odoo and, asked of the order's channel
  (``channel_refunded``), no refund there either; valued at what the customer paid for the
  goods received (tax included).

Each list costs a few searches, whatever the number of orders; the channel is asked once
per return that Odoo has no credit note for.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from consumers.odoo_orders.accounting import MOVE, MOVE_LINE, PAYMENT, REFUND_REF
from consumers.odoo_orders.orders import FLAG_TAG, ORDER
from retailsync.odoo import OdooClient

PICKING = "stock.picking"
MOVE_STOCK = "stock.move"
ORDER_LINE = "sale.order.line"


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing finance should look at: the Odoo document, its order and amount, and why."""

    document: str
    order: str
    amount: Decimal
    currency: str
    reason: str


@dataclass(frozen=True, slots=True)
class FinanceReport:
    """What ``reconcile_finance`` found, by kind."""

    unmatched_payments: list[Finding] = field(default_factory=list)
    totals_differ: list[Finding] = field(default_factory=list)
    refunds_without_return: list[Finding] = field(default_factory=list)
    returns_not_refunded: list[Finding] = field(default_factory=list)

    def findings(self) -> list[Finding]:
        return (
            self.unmatched_payments
            + self.totals_differ
            + self.refunds_without_return
            + self.returns_not_refunded
        )


def reconcile_finance(
    odoo: OdooClient,
    since: date,
    *,
    returned_before: datetime | None = None,
    channel_refunded: Callable[[str], bool] = lambda _order_ref: False,
) -> FinanceReport:
    """The mismatches of documents dated ``since`` or later; returns count as not refunded
    when received before ``returned_before`` (not looked for without one) and neither Odoo
    nor ``channel_refunded(order_ref)`` knows a refund of their order."""
    return FinanceReport(
        unmatched_payments=_unmatched_payments(odoo, since),
        totals_differ=_totals_differ(odoo, since),
        refunds_without_return=_refunds_without_return(odoo, since),
        returns_not_refunded=(
            _returns_not_refunded(odoo, since, returned_before, channel_refunded)
            if returned_before is not None
            else []
        ),
    )


def _unmatched_payments(odoo: OdooClient, since: date) -> list[Finding]:
    rows = odoo.search_read(
        PAYMENT,
        [
            ("partner_type", "=", "customer"),
            ("state", "in", ["in_process", "paid"]),
            ("invoice_ids", "=", False),
            ("date", ">=", since.isoformat()),
        ],
        ["name", "amount", "currency_id", "memo", "payment_type"],
        order="date, id",
    )
    return [
        Finding(
            str(row["name"]),
            "",
            _signed(row["amount"], row["payment_type"] == "outbound"),
            _name(row["currency_id"]),
            f"a {'refund' if row['payment_type'] == 'outbound' else 'payment'} matched to no "
            f"invoice (memo {row['memo'] or '-'})",
        )
        for row in rows
    ]


def _totals_differ(odoo: OdooClient, since: date) -> list[Finding]:
    rows = odoo.search_read(
        ORDER,
        [("tag_ids.name", "=", FLAG_TAG), ("date_order", ">=", since.isoformat())],
        ["name", "client_order_ref", "amount_total", "currency_id"],
        order="date_order, id",
    )
    return [
        Finding(
            str(row["name"]),
            str(row["client_order_ref"] or ""),
            _signed(row["amount_total"]),
            _name(row["currency_id"]),
            "Odoo's totals are not the channel's (see the order's note)",
        )
        for row in rows
    ]


def _refunds_without_return(odoo: OdooClient, since: date) -> list[Finding]:
    notes = odoo.search_read(
        MOVE,
        [
            ("move_type", "=", "out_refund"),
            ("state", "=", "posted"),
            ("ref", "=like", f"{REFUND_REF}%"),
            ("date", ">=", since.isoformat()),
        ],
        ["name", "ref", "invoice_origin", "amount_total", "currency_id"],
        order="date, id",
    )
    if not notes:
        return []
    goods = {
        int(row["move_id"][0])
        for row in odoo.search_read(
            MOVE_LINE,
            [
                ("move_id", "in", [int(note["id"]) for note in notes]),
                ("product_id.is_storable", "=", True),
            ],
            ["move_id"],
        )
    }
    physical = [note for note in notes if int(note["id"]) in goods]
    returned = _orders_with_a_return(odoo, {str(note["invoice_origin"]) for note in physical})
    return [
        Finding(
            str(note["name"]),
            returned.get(str(note["invoice_origin"]), (str(note["invoice_origin"]), False))[0],
            _signed(note["amount_total"], True),
            _name(note["currency_id"]),
            f"goods refunded ({note['ref']}) but no return received",
        )
        for note in physical
        if not returned.get(str(note["invoice_origin"]), ("", False))[1]
    ]


def _orders_with_a_return(odoo: OdooClient, names: set[str]) -> dict[str, tuple[str, bool]]:
    """By order name: its channel ref and whether a return of it was received."""
    if not names:
        return {}
    orders = odoo.search_read(ORDER, [("name", "in", sorted(names))], ["name", "client_order_ref"])
    received = {
        int(row["sale_id"][0])
        for row in odoo.search_read(
            PICKING,
            [
                ("sale_id", "in", [int(order["id"]) for order in orders]),
                ("return_id", "!=", False),
                ("state", "=", "done"),
            ],
            ["sale_id"],
        )
    }
    return {
        str(order["name"]): (str(order["client_order_ref"] or ""), int(order["id"]) in received)
        for order in orders
    }


def _returns_not_refunded(
    odoo: OdooClient, since: date, before: datetime, channel_refunded: Callable[[str], bool]
) -> list[Finding]:
    receipts = odoo.search_read(
        PICKING,
        [
            ("picking_type_code", "=", "incoming"),
            ("return_id", "!=", False),
            ("state", "=", "done"),
            ("date_done", ">=", since.isoformat()),
            ("date_done", "<", before.strftime("%Y-%m-%d %H:%M:%S")),
        ],
        ["name", "sale_id", "return_id", "date_done"],
        order="date_done, id",
    )
    if not receipts:
        return []
    # A return without an order of its own belongs to the order of the delivery it returns.
    deliveries = {
        int(row["id"]): _id(row["sale_id"])
        for row in _read(odoo, PICKING, {_id(r["return_id"]) for r in receipts}, "sale_id")
    }
    order_of = {
        int(r["id"]): _id(r["sale_id"]) or deliveries.get(_id(r["return_id"]), 0) for r in receipts
    }
    orders = {
        int(row["id"]): row
        for row in _read(
            odoo, ORDER, set(order_of.values()), "name", "client_order_ref", "currency_id"
        )
    }
    credited = {
        str(row["invoice_origin"])
        for row in odoo.search_read(
            MOVE,
            [
                ("move_type", "=", "out_refund"),
                ("state", "=", "posted"),
                ("invoice_origin", "in", sorted(str(o["name"]) for o in orders.values())),
            ],
            ["invoice_origin"],
        )
    }
    worth = _received_worth(odoo, [int(r["id"]) for r in receipts])
    found = []
    for receipt in receipts:
        order = orders.get(order_of[int(receipt["id"])])
        if order is None or str(order["name"]) in credited:
            continue
        order_ref = str(order["client_order_ref"] or "")
        if order_ref and channel_refunded(order_ref):
            continue
        found.append(
            Finding(
                str(receipt["name"]),
                order_ref or str(order["name"]),
                _signed(worth.get(int(receipt["id"]), 0)),
                _name(order["currency_id"]),
                f"goods returned {str(receipt['date_done'])[:10]} but not refunded "
                "(no credit note, no refund on the channel)",
            )
        )
    return found


def _received_worth(odoo: OdooClient, receipts: list[int]) -> dict[int, Decimal]:
    """By receipt: what the customer paid for the goods it received, tax included."""
    moves = odoo.search_read(
        MOVE_STOCK,
        [("picking_id", "in", receipts), ("state", "=", "done")],
        ["picking_id", "quantity", "sale_line_id"],
    )
    lines = {
        int(row["id"]): row
        for row in _read(
            odoo,
            ORDER_LINE,
            {_id(m["sale_line_id"]) for m in moves},
            "price_total",
            "product_uom_qty",
        )
    }
    worth: dict[int, Decimal] = {}
    for move in moves:
        line = lines.get(_id(move["sale_line_id"]))
        if line and line["product_uom_qty"]:
            unit = Decimal(str(line["price_total"])) / Decimal(str(line["product_uom_qty"]))
            picking = _id(move["picking_id"])
            worth[picking] = worth.get(picking, Decimal(0)) + unit * Decimal(str(move["quantity"]))
    return worth


def _read(odoo: OdooClient, model: str, ids: set[int], *fields: str) -> list[dict[str, Any]]:
    wanted = sorted(ids - {0})
    return odoo.read(model, wanted, list(fields)) if wanted else []


def _id(many2one: Any) -> int:
    # Odoo answers a many2one as [id, "display name"], or False when empty.
    return int(many2one[0]) if isinstance(many2one, list) and many2one else 0


def _signed(amount: Any, negative: bool = False) -> Decimal:
    value = Decimal(str(amount)).quantize(Decimal("0.01"))
    return -value if negative else value


def _name(many2one: Sequence[Any] | Mapping[str, Any] | bool) -> str:
    # Odoo answers a many2one as [id, "display name"].
    return str(many2one[1]) if isinstance(many2one, list) and many2one else ""
