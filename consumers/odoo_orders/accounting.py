"""Payments and refunds as Odoo accounting: invoices, payments, credit notes.

payment_captured: the order is invoiced through Odoo's "Create Invoice" wizard
(``sale.advance.payment.inv``, what its product's invoicing policy makes due), the invoice
posted, and a payment registered with the "Register Payment" wizard
(``account.payment.register``) in the journal mapped from the gateway
(``OrdersSettings.odoo_orders_payment_journals``, else ``odoo_orders_payment_journal``),
which reconciles it with the invoice. The gateway's transaction id is the payment's
external id, ``retailsync.account_payment_<payment_ref>``: a re-delivered capture finds it
and creates nothing. The payment's memo is Odoo's own (the invoice number), as the wizard
gives it when it pays several invoices in one call. A capture whose invoice has nothing
left due is taken as applied already (a crash after the payment, before its external id).
A capture that pays part of its invoice is paid alone, with the memo ``retailsync payment
<payment_ref>`` (the gateway's transaction id): after a crash between that payment and its
external id, the re-delivered capture finds the payment by its memo and pays nothing twice.

Under a backlog the captures of a batch (handled with their orders, ``in_key_order``) cost
a fixed number of calls: one search each for the external ids, the orders and the journals,
two for the invoice wizard, a read of the orders' invoices and one of the invoices, one
``action_post``, two per journal for the payment wizard (every capture that pays its invoice
in full), one read of the payments and one ``create`` of their external ids. A partial
capture costs its own wizard and read (three calls); a batch, one search for the memos.

refund_issued: a credit note (``out_refund`` reversing the invoice, ``ref`` naming the
refund, ``invoice_origin`` the order) of the refunded lines (the invoice's lines for them,
at the refunded quantity), shipping (the delivery line, in proportion) and any amount left
(an adjustment line without tax), so that its total is the refund's; posted, which
reconciles it with what the invoice still owes, and what is left paid back with an
outbound payment in the journal of the refunded payment. A refund larger than what the
customer paid (paid less refunded so far) is a permanent error naming both amounts. A
re-delivered refund finds its credit note by ``ref`` (among the order's invoices and the
credit notes reversing them).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from consumers.odoo_orders.lifecycle import OrderNotYetError
from consumers.odoo_orders.money import cents
from consumers.odoo_orders.orders import ORDER, find_products
from consumers.odoo_orders.risk import OrderHeldError
from consumers.odoo_orders.settings import OrdersSettings
from retailsync.errors import PermanentError
from retailsync.events import PaymentCaptured, RefundIssued
from retailsync.odoo import OdooClient
from retailsync.odoo.external_ids import MODULE, external_id, sale_line_id

MOVE = "account.move"
MOVE_LINE = "account.move.line"
PAYMENT = "account.payment"
JOURNAL = "account.journal"
DATA = "ir.model.data"
INVOICE_WIZARD = "sale.advance.payment.inv"
PAYMENT_WIZARD = "account.payment.register"
PAYMENT_KIND = "account_payment"
MOVE_FIELDS = ["move_type", "state", "amount_total", "amount_residual", "currency_id", "ref"]
MOVE_FIELDS += ["invoice_origin"]
# A refund's credit note's ``ref`` is this and the channel's refund ref.
REFUND_REF = "retailsync refund"
LINE_FIELDS = ["product_id", "name", "quantity", "price_unit", "discount", "tax_ids"]
LINE_FIELDS += ["sale_line_ids", "price_total"]
_HALF_CENT = Decimal("0.005")

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Invoice:
    """A posted customer invoice and what it still owes."""

    id: int
    residual: Decimal
    currency: str


# A capture to book: its position, the event and the invoice it pays.
_Capture = tuple[int, PaymentCaptured, Invoice]


class Ledger:
    """Books storefront payments and refunds in Odoo's accounting."""

    def __init__(self, odoo: OdooClient, settings: OrdersSettings) -> None:
        self._odoo = odoo
        self._settings = settings

    def capture(self, events: Sequence[PaymentCaptured]) -> dict[int, BaseException]:
        """Invoice, post and pay the orders of ``events``; failures by position (a capture
        re-delivered within ``events`` shares its first delivery's outcome)."""
        first: dict[str, int] = {}
        for index, event in enumerate(events):
            first.setdefault(event.payment_ref, index)
        unique = sorted(first.values())
        failed = self._capture([events[index] for index in unique])
        by_ref = {events[unique[position]].payment_ref: e for position, e in failed.items()}
        return {
            index: by_ref[event.payment_ref]
            for index, event in enumerate(events)
            if event.payment_ref in by_ref
        }

    def _capture(self, events: Sequence[PaymentCaptured]) -> dict[int, BaseException]:
        names = {_xml_name(event.payment_ref) for event in events}
        done = {
            str(row["name"])
            for row in self._odoo.search_read(
                DATA, [("module", "=", MODULE), ("name", "in", sorted(names))], ["name"]
            )
        }
        todo = [
            (index, event)
            for index, event in enumerate(events)
            if _xml_name(event.payment_ref) not in done
        ]
        # A partial capture paid just before a crash, its id not kept yet: found by its memo.
        booked = self._payments_by_memo([_memo(event) for _, event in todo]) if todo else {}
        self._keep_ids({booked[_memo(e)]: e.payment_ref for _, e in todo if _memo(e) in booked})
        todo = [(index, event) for index, event in todo if _memo(event) not in booked]
        if not todo:
            return {}
        failures: dict[int, BaseException] = {}
        orders = self._orders({event.order_ref for _, event in todo})
        for index, event in todo:
            if event.order_ref not in orders:
                failures[index] = OrderNotYetError(event.order_ref)
            elif orders[event.order_ref]["quotation"]:
                failures[index] = OrderHeldError(event.order_ref)
        todo = [(index, event) for index, event in todo if index not in failures]
        if not todo:
            return failures
        invoices, refused = self._invoices(
            {orders[e.order_ref]["id"] for _, e in todo if orders[e.order_ref]["to_invoice"]},
            {orders[event.order_ref]["id"] for _, event in todo},
        )
        full, partial = self._plan(todo, orders, invoices, refused, failures)
        self._book(full, partial, failures)
        return failures

    def _plan(
        self,
        todo: Sequence[tuple[int, PaymentCaptured]],
        orders: Mapping[str, Mapping[str, Any]],
        invoices: Mapping[int, Invoice],
        refused: Mapping[int, PermanentError],
        failures: dict[int, BaseException],
    ) -> tuple[dict[int, list[_Capture]], list[tuple[_Capture, int]]]:
        """The captures that pay their invoice in full, by journal, and the others with
        their journal; a capture that cannot be booked goes to ``failures``."""
        journals = self._journals()
        full: dict[int, list[_Capture]] = defaultdict(list)
        partial: list[tuple[_Capture, int]] = []
        seen: set[int] = set()
        for index, event in todo:
            order = orders[event.order_ref]["id"]
            try:
                if order in refused:
                    raise refused[order]
                invoice = _invoice_for(event, invoices.get(order))
                journal = self._journal(journals, event.gateway)
            except PermanentError as error:
                failures[index] = error
                continue
            if not invoice.residual:
                # Paid already: this capture was applied before its id was kept (a crash
                # between the two), or pays more than the order's invoices ask.
                log.warning(
                    "order %s: the payment %s finds its invoice paid; not booked again",
                    event.order_ref,
                    event.payment_ref,
                )
                continue
            if invoice.residual == event.amount and invoice.id not in seen:
                full[journal].append((index, event, invoice))
            else:
                partial.append(((index, event, invoice), journal))
            seen.add(invoice.id)
        return full, partial

    def _book(
        self,
        full: Mapping[int, list[_Capture]],
        partial: list[tuple[_Capture, int]],
        failures: dict[int, BaseException],
    ) -> None:
        """Pay the invoices (all of a journal's in one call) and keep each payment's
        external id."""
        paid: dict[int, int] = {}  # payment id by invoice id
        for journal, group in full.items():
            try:
                paid.update(self._pay([invoice.id for _, _, invoice in group], journal))
            except PermanentError:  # one invoice Odoo will not pay: each alone, to find it
                partial.extend((capture, journal) for capture in group)
        keys = {
            paid[invoice.id]: event.payment_ref
            for group in full.values()
            for _, event, invoice in group
            if invoice.id in paid
        }
        for (index, event, invoice), journal in partial:
            try:
                payment = self._pay([invoice.id], journal, event.amount, _memo(event))
                keys[payment[invoice.id]] = event.payment_ref
            except PermanentError as error:
                failures[index] = error
        self._keep_ids(keys)

    def _keep_ids(self, refs: Mapping[int, str]) -> None:
        """The external id of each payment, named by its capture's payment ref."""
        if refs:
            self._odoo.create(
                DATA,
                [
                    {"module": MODULE, "name": _xml_name(ref), "model": PAYMENT, "res_id": payment}
                    for payment, ref in refs.items()
                ],
            )

    def refund(self, event: RefundIssued) -> None:
        """A credit note for the refund and the money paid back, once."""
        order = self._orders({event.order_ref}).get(event.order_ref)
        if order is None:
            raise OrderNotYetError(event.order_ref)
        self.refund_order(
            int(order["id"]),
            event.order_ref,
            f"{REFUND_REF} {event.refund_ref}",
            event.amount,
            lines={line.line_ref: line.quantity for line in event.lines},
            shipping=event.shipping_amount,
            payment_ref=event.payment_ref,
        )

    def refund_order(
        self,
        order_id: int,
        order_ref: str,
        ref: str,
        amount: Decimal | None,
        *,
        lines: Mapping[str, Decimal] | None = None,
        shipping: Decimal = Decimal(0),
        payment_ref: str | None = None,
    ) -> None:
        """Credit ``amount`` of the order (``None``: all it paid; ``lines``: the refunded
        quantity by the channel's line ref, ``None`` for every line in full) and pay it back."""
        [row] = self._odoo.read(ORDER, [order_id], ["invoice_ids"])
        invoices = list(row["invoice_ids"])
        # A credit note with no line of the order (an amount refunded) is not among the
        # order's invoices: it is found by the invoice it reverses.
        moves = self._odoo.search_read(
            MOVE, ["|", ("id", "in", invoices), ("reversed_entry_id", "in", invoices)], MOVE_FIELDS
        )
        posted = [move for move in moves if move["state"] == "posted"]
        note = next((move for move in posted if move["ref"] == ref), None)
        if note is None:
            paid = _paid(posted)
            currency = posted[0]["currency_id"][1] if posted else ""
            wanted = paid if amount is None else amount
            if wanted > paid + _HALF_CENT:
                raise PermanentError(
                    f"order {order_ref}: the refund ({ref}) of {wanted} {currency} is more than "
                    f"the customer paid and was not refunded yet: {paid} {currency}"
                )
            paid_invoices = [move for move in posted if move["move_type"] == "out_invoice"]
            if not wanted or not paid_invoices:
                return  # nothing was paid: nothing to credit
            latest = max(paid_invoices, key=lambda move: int(move["id"]))
            note = self._credit_note(order_ref, latest, ref, wanted, lines=lines, shipping=shipping)
        if Decimal(str(note["amount_residual"])):
            journal = self._refund_journal(payment_ref)
            self._pay([int(note["id"])], journal, Decimal(str(note["amount_residual"])))

    def _credit_note(
        self,
        order_ref: str,
        invoice: Mapping[str, Any],
        ref: str,
        amount: Decimal,
        *,
        lines: Mapping[str, Decimal] | None,
        shipping: Decimal,
    ) -> dict[str, Any]:
        rows = self._odoo.search_read(
            MOVE_LINE,
            [("move_id", "=", invoice["id"]), ("display_type", "=", "product")],
            LINE_FIELDS,
        )
        credited = self._credited_lines(order_ref, rows, lines, shipping)
        left = amount - sum((price for _, price in credited), Decimal(0))
        commands: list[Any] = [[0, 0, vals] for vals, _ in credited]
        if abs(left) >= _HALF_CENT:
            adjustment = find_products(self._odoo, {self._settings.odoo_orders_adjustment_sku})
            commands.append(
                [
                    0,
                    0,
                    {
                        "product_id": adjustment.get(self._settings.odoo_orders_adjustment_sku),
                        "name": "Refund not tied to a line",
                        "quantity": 1,
                        "price_unit": float(left),
                        "tax_ids": [[6, 0, []]],
                    },
                ]
            )
        [head] = self._odoo.read(MOVE, [int(invoice["id"])], ["partner_id"])
        [note] = self._odoo.create(
            MOVE,
            [
                {
                    "move_type": "out_refund",
                    "partner_id": head["partner_id"][0],
                    "currency_id": invoice["currency_id"][0],
                    "reversed_entry_id": invoice["id"],
                    "invoice_origin": invoice["invoice_origin"],
                    "ref": ref,
                    "invoice_line_ids": commands,
                }
            ],
        )
        self._odoo.call(MOVE, "action_post", [note])
        [found] = self._odoo.read(MOVE, [note], MOVE_FIELDS)
        return found

    def _credited_lines(
        self,
        order_ref: str,
        rows: Sequence[Mapping[str, Any]],
        lines: Mapping[str, Decimal] | None,
        shipping: Decimal,
    ) -> list[tuple[dict[str, Any], Decimal]]:
        """The invoice's lines to credit, as new line values and their total."""
        if lines is None:
            return [(_line_vals(row, Decimal(str(row["quantity"]))), _total(row)) for row in rows]
        sale_lines = self._sale_lines(order_ref, lines)
        credited = []
        for row in rows:
            quantity = sum(
                (qty for ref, qty in lines.items() if sale_lines.get(ref) in row["sale_line_ids"]),
                Decimal(0),
            )
            if quantity:
                share = quantity / Decimal(str(row["quantity"]))
                credited.append((_line_vals(row, quantity), cents(_total(row) * share)))
        delivery = self._delivery_line(rows) if shipping else None
        if delivery is not None and _total(delivery):
            share = shipping / _total(delivery)
            quantity = Decimal(str(delivery["quantity"])) * share
            credited.append((_line_vals(delivery, quantity), cents(shipping)))
        return credited

    def _delivery_line(self, rows: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
        ids = [line for row in rows for line in row["sale_line_ids"]]
        deliveries = {
            int(row["id"])
            for row in self._odoo.search_read(
                "sale.order.line", [("id", "in", ids), ("is_delivery", "=", True)], ["id"]
            )
        }
        return next((row for row in rows if set(row["sale_line_ids"]) & deliveries), None)

    def _sale_lines(self, order_ref: str, lines: Iterable[str]) -> dict[str, int]:
        """The Odoo sale order line of each channel line ref."""
        names = {sale_line_id(order_ref, ref).removeprefix(f"{MODULE}."): ref for ref in lines}
        rows = self._odoo.search_read(
            DATA, [("module", "=", MODULE), ("name", "in", sorted(names))], ["name", "res_id"]
        )
        return {names[str(row["name"])]: int(row["res_id"]) for row in rows}

    def _orders(self, refs: Iterable[str]) -> dict[str, dict[str, Any]]:
        rows = self._odoo.search_read(
            ORDER,
            [("client_order_ref", "in", sorted(set(refs)))],
            ["client_order_ref", "invoice_status", "state"],
        )
        return {
            str(row["client_order_ref"]): {
                "id": int(row["id"]),
                "to_invoice": row["invoice_status"] == "to invoice",
                "quotation": row["state"] in ("draft", "sent"),
            }
            for row in rows
        }

    def _invoices(
        self, to_invoice: set[int], order_ids: set[int]
    ) -> tuple[dict[int, Invoice], dict[int, PermanentError]]:
        """Each order's latest posted invoice, invoicing and posting what is due first; and
        why Odoo would not invoice or post one, by order."""
        refused = _each_alone(sorted(to_invoice), self._invoice)
        rows = self._odoo.read(ORDER, sorted(order_ids), ["invoice_ids"])
        moves = self._odoo.search_read(
            MOVE,
            [
                ("id", "in", [move for row in rows for move in row["invoice_ids"]]),
                ("move_type", "=", "out_invoice"),
                ("state", "!=", "cancel"),
            ],
            ["state", "amount_total", "amount_residual", "currency_id"],
        )
        drafts = [int(move["id"]) for move in moves if move["state"] == "draft"]
        unposted = _each_alone(drafts, lambda ids: self._odoo.call(MOVE, "action_post", ids))
        by_id = {
            int(move["id"]): Invoice(
                int(move["id"]),
                # A draft's amount due is its total, once posted too.
                Decimal(str(move["amount_residual"])),
                str(move["currency_id"][1]),
            )
            for move in moves
            if int(move["id"]) not in unposted
        }
        found: dict[int, Invoice] = {}
        for row in rows:
            order = int(row["id"])
            mine = [by_id[move] for move in row["invoice_ids"] if move in by_id]
            if mine:
                found[order] = max(mine, key=lambda invoice: invoice.id)
            elif order not in refused:
                errors = [unposted[move] for move in row["invoice_ids"] if move in unposted]
                if errors:
                    refused[order] = errors[0]
        return found, refused

    def _invoice(self, order_ids: Sequence[int]) -> None:
        [wizard] = self._odoo.create(
            INVOICE_WIZARD,
            [{"advance_payment_method": "delivered", "sale_order_ids": [[6, 0, list(order_ids)]]}],
        )
        self._odoo.call(INVOICE_WIZARD, "create_invoices", [wizard])

    def journal(self, gateway: str) -> int:
        """The bank or cash journal ``gateway``'s money lands in; PermanentError naming the
        settings when Odoo has none of that name."""
        return self._journal(self._journals(), gateway)

    def _journals(self) -> list[dict[str, Any]]:
        return self._odoo.search_read(
            JOURNAL, [("type", "in", ["bank", "cash"])], ["name", "code"], order="sequence, id"
        )

    def _journal(self, journals: Sequence[Mapping[str, Any]], gateway: str) -> int:
        settings = self._settings
        wanted = settings.odoo_orders_payment_journals.get(
            gateway, settings.odoo_orders_payment_journal
        )
        for row in journals:
            if wanted in (row["name"], row["code"]):
                return int(row["id"])
        raise PermanentError(
            f"no Odoo bank or cash journal is named {wanted!r} for the gateway {gateway!r} "
            "(RETAILSYNC_ODOO_ORDERS_PAYMENT_JOURNALS, RETAILSYNC_ODOO_ORDERS_PAYMENT_JOURNAL)"
        )

    def _refund_journal(self, payment_ref: str | None) -> int:
        """The journal of the refunded payment, else the default one."""
        if payment_ref is not None:
            rows = self._odoo.search_read(
                DATA,
                [("module", "=", MODULE), ("name", "=", _xml_name(payment_ref))],
                ["res_id"],
            )
            if rows:
                [payment] = self._odoo.read(PAYMENT, [int(rows[0]["res_id"])], ["journal_id"])
                return int(payment["journal_id"][0])
        return self.journal("")

    def _payments_by_memo(self, memos: Iterable[str]) -> dict[str, int]:
        """The payments with these memos, by memo: partial captures booked already."""
        rows = self._odoo.search_read(PAYMENT, [("memo", "in", sorted(set(memos)))], ["memo"])
        return {str(row["memo"]): int(row["id"]) for row in rows}

    def _pay(
        self,
        moves: Sequence[int],
        journal: int,
        amount: Decimal | None = None,
        memo: str | None = None,
    ) -> dict[int, int]:
        """Register a payment of each move (``amount`` and ``memo`` for a single one; else
        what it owes, under Odoo's memo) in ``journal``; the payment ids by move."""
        vals: dict[str, Any] = {"journal_id": journal, "group_payment": False}
        if amount is not None:
            vals["amount"] = float(amount)
        if memo is not None:
            vals["communication"] = memo
        context = {"active_model": MOVE, "active_ids": list(moves)}
        [wizard] = self._odoo.create(PAYMENT_WIZARD, [vals], context=context)
        action = self._odoo.call(PAYMENT_WIZARD, "action_create_payments", [wizard])
        ids = [action["res_id"]] if "res_id" in action else list(action["domain"][0][2])
        rows = self._odoo.read(PAYMENT, ids, ["reconciled_invoice_ids"])
        return {move: int(row["id"]) for row in rows for move in row["reconciled_invoice_ids"]}


def _each_alone(
    targets: Sequence[int], action: Callable[[list[int]], object]
) -> dict[int, PermanentError]:
    """``action`` on every target at once; if Odoo refuses, on each alone: who it refused."""
    if not targets:
        return {}
    try:
        action(list(targets))
        return {}
    except PermanentError:
        pass  # one transaction: one refusal undid them all; find which
    refused: dict[int, PermanentError] = {}
    for target in targets:
        try:
            action([target])
        except PermanentError as error:
            refused[target] = error
    return refused


def _invoice_for(event: PaymentCaptured, invoice: Invoice | None) -> Invoice:
    if invoice is None:
        raise PermanentError(
            f"order {event.order_ref}: nothing to invoice for the payment {event.payment_ref} "
            "(check the products' invoicing policy)"
        )
    if invoice.currency != event.currency:
        raise PermanentError(
            f"order {event.order_ref}: the payment {event.payment_ref} is in {event.currency}, "
            f"its invoice in {invoice.currency}"
        )
    return invoice


def _paid(moves: Sequence[Mapping[str, Any]]) -> Decimal:
    """What the customer paid for these posted moves, less what was refunded."""
    paid = Decimal(0)
    for move in moves:
        settled = Decimal(str(move["amount_total"])) - Decimal(str(move["amount_residual"]))
        paid += settled if move["move_type"] == "out_invoice" else -settled
    return cents(paid)


def _total(row: Mapping[str, Any]) -> Decimal:
    return Decimal(str(row["price_total"]))


def _line_vals(row: Mapping[str, Any], quantity: Decimal) -> dict[str, Any]:
    return {
        "product_id": row["product_id"][0] if row["product_id"] else False,
        "name": row["name"],
        "quantity": float(quantity),
        "price_unit": row["price_unit"],
        "discount": row["discount"],
        "tax_ids": [[6, 0, list(row["tax_ids"])]],
        "sale_line_ids": [[6, 0, list(row["sale_line_ids"])]],
    }


def _memo(event: PaymentCaptured) -> str:
    """The memo of a capture that pays part of its invoice: how its re-delivery finds it."""
    return f"retailsync payment {event.payment_ref}"


def _xml_name(payment_ref: str) -> str:
    return external_id(PAYMENT_KIND, payment_ref).removeprefix(f"{MODULE}.")
