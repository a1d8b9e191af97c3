"""A payout as bank statement lines in Odoo, its charges and refunds matched to the payments
odoo-orders booked.

Odoo community has no reconciliation widget; over the external API it offers a statement
line created against a counterpart account (``counterpart_account_id``) and
``account.move.line.reconcile``. So each payout becomes, in the journal mapped for its
gateway (odoo-orders' ``odoo_orders_payment_journals``):

- one line per charge or refund, its counterpart the outstanding account of the order's
  payment of that amount (found through the order's invoices and the credit notes reversing
  them), then that counterpart reconciled with the payment's open item: the payment is
  ``is_matched``. A charge whose order has no payment in Odoo yet is a TransientError
  (retried: the capture may still be on its way); one whose order's payments are all
  matched, or of other amounts, and any adjustment, lands on the journal's suspense account
  for a person (``is_reconciled`` false);
- one line for the gateway's fees, against the fee account (``odoo_payouts_fee_account``).

The lines add up to the payout's amount. Each line's label names the payout and the
transaction, and each gets the external id ``retailsync.bank_statement_line_<payout
ref>/<transaction ref>`` (``/fees``): a re-delivered payout finds them (by external id, or
by label when a crash came between the line and its id) and creates nothing twice; the
reconciliation a crash left undone is done then.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from consumers.odoo_orders.accounting import DATA, MOVE, MOVE_LINE, PAYMENT, Ledger
from consumers.odoo_orders.orders import ORDER
from consumers.odoo_orders.settings import OrdersSettings
from consumers.odoo_payouts.settings import PayoutsSettings
from retailsync.errors import PermanentError, TransientError
from retailsync.events import PayoutPaid, PayoutTransaction, PayoutTransactionKind
from retailsync.odoo import OdooClient
from retailsync.odoo.external_ids import MODULE, external_id

STATEMENT_LINE = "account.bank.statement.line"
ACCOUNT = "account.account"
LINE_KIND = "bank_statement_line"
FEES = "fees"
_MATCHED = (PayoutTransactionKind.CHARGE, PayoutTransactionKind.REFUND)

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class _Line:
    """A statement line to have: its key within the payout, label and transaction."""

    key: str
    label: str
    transaction: PayoutTransaction | None  # None: the fees


@dataclass(frozen=True, slots=True)
class _OpenItem:
    """A payment's journal item on its outstanding account, not reconciled yet."""

    id: int
    account: int
    partner: int | None
    balance: float


class PayoutBook:
    """Books payouts as bank statement lines."""

    def __init__(self, odoo: OdooClient, orders: OrdersSettings, settings: PayoutsSettings) -> None:
        self._odoo = odoo
        self._orders = orders
        self._settings = settings

    def book(self, event: PayoutPaid) -> None:
        """The payout's statement lines, once, and its payments matched."""
        lines = _lines(event)
        names = {_xml_name(event.payout_ref, line.key): line for line in lines}
        made = self._made(names)
        items, paid_orders = self._open_items(event)
        missing = [line for name, line in names.items() if name not in made]
        if missing:
            made.update(self._create(event, missing, items, paid_orders))
        self._reconcile(event.payout_ref, lines, made, items)

    def _made(self, names: Mapping[str, _Line]) -> dict[str, int]:
        """The statement lines made already, by external id name; a line whose id a crash
        kept from being written is found by its label, and gets its id now."""
        rows = self._odoo.search_read(
            DATA, [("module", "=", MODULE), ("name", "in", sorted(names))], ["name", "res_id"]
        )
        made = {str(row["name"]): int(row["res_id"]) for row in rows}
        labels = {line.label: name for name, line in names.items() if name not in made}
        if not labels:
            return made
        found = self._odoo.search_read(
            STATEMENT_LINE, [("payment_ref", "in", sorted(labels))], ["payment_ref"]
        )
        adopted = {labels[str(row["payment_ref"])]: int(row["id"]) for row in found}
        self._keep(adopted)
        return {**made, **adopted}

    def _open_items(self, event: PayoutPaid) -> tuple[dict[str, list[_OpenItem]], set[str]]:
        """The open outstanding items of the payments of the payout's orders, by order ref;
        and the orders that have any payment in Odoo."""
        refs = {t.order_ref for t in event.transactions if t.kind in _MATCHED and t.order_ref}
        if not refs:
            return {}, set()
        orders = self._odoo.search_read(
            ORDER, [("client_order_ref", "in", sorted(refs))], ["client_order_ref", "invoice_ids"]
        )
        order_of = {
            int(move): str(row["client_order_ref"]) for row in orders for move in row["invoice_ids"]
        }
        if not order_of:
            return {}, set()
        # A credit note of an amount (no line of the order) is not among the order's
        # invoices: found by the invoice it reverses.
        notes = self._odoo.search_read(
            MOVE, [("reversed_entry_id", "in", sorted(order_of))], ["reversed_entry_id"]
        )
        for note in notes:
            order_of[int(note["id"])] = order_of[int(note["reversed_entry_id"][0])]
        payments = self._odoo.search_read(
            PAYMENT,
            [("invoice_ids", "in", sorted(order_of)), ("state", "in", ["in_process", "paid"])],
            ["invoice_ids", "outstanding_account_id"],
        )
        payment_order = {
            int(p["id"]): next(order_of[m] for m in p["invoice_ids"] if m in order_of)
            for p in payments
        }
        accounts = {
            int(p["outstanding_account_id"][0]) for p in payments if p["outstanding_account_id"]
        }
        rows = (
            self._odoo.search_read(
                MOVE_LINE,
                [
                    ("payment_id", "in", sorted(payment_order)),
                    ("account_id", "in", sorted(accounts)),
                    ("reconciled", "=", False),
                ],
                ["payment_id", "account_id", "partner_id", "balance"],
                order="id",
            )
            if payment_order
            else []
        )
        items: dict[str, list[_OpenItem]] = {}
        for row in rows:
            items.setdefault(payment_order[int(row["payment_id"][0])], []).append(
                _OpenItem(
                    int(row["id"]),
                    int(row["account_id"][0]),
                    int(row["partner_id"][0]) if row["partner_id"] else None,
                    float(row["balance"]),
                )
            )
        return items, set(payment_order.values())

    def _create(
        self,
        event: PayoutPaid,
        missing: Sequence[_Line],
        items: Mapping[str, list[_OpenItem]],
        paid_orders: set[str],
    ) -> dict[str, int]:
        journal = Ledger(self._odoo, self._orders).journal(event.gateway)
        date = event.issued_at.date().isoformat()
        matches = _matches(missing, items)
        vals: list[dict[str, Any]] = []
        for line in missing:
            line_vals: dict[str, Any] = {
                "journal_id": journal,
                "date": date,
                "payment_ref": line.label,
            }
            transaction = line.transaction
            if transaction is None:
                line_vals |= {
                    "amount": -float(event.fees),
                    "counterpart_account_id": self._fee_account(),
                }
            else:
                line_vals["amount"] = float(transaction.amount)
                item = matches.get(line.key)
                if item is not None:
                    line_vals |= {
                        "counterpart_account_id": item.account,
                        "partner_id": item.partner or False,
                    }
                elif transaction.kind in _MATCHED and transaction.order_ref:
                    if transaction.order_ref not in paid_orders:
                        raise TransientError(
                            f"payout {event.payout_ref}: the order {transaction.order_ref} has no "
                            "payment in Odoo yet"
                        )
                    log.warning(
                        "payout %s: no open payment of %s for %s; left on the suspense account",
                        event.payout_ref, transaction.amount, transaction.order_ref,
                    )  # fmt: skip
            vals.append(line_vals)
        created = self._odoo.create(STATEMENT_LINE, vals)
        made = {
            _xml_name(event.payout_ref, line.key): int(id_)
            for line, id_ in zip(missing, created, strict=True)
        }
        self._keep(made)
        return made

    def _reconcile(
        self,
        payout_ref: str,
        lines: Sequence[_Line],
        made: Mapping[str, int],
        items: Mapping[str, list[_OpenItem]],
    ) -> None:
        """Reconcile each matched line's counterpart with its payment's open item."""
        matches = _matches(lines, items)
        by_line = {
            made[name]: matches[line.key]
            for line in lines
            if line.key in matches and (name := _xml_name(payout_ref, line.key)) in made
        }
        if not by_line:
            return
        counterparts = self._odoo.search_read(
            MOVE_LINE,
            [
                ("statement_line_id", "in", sorted(by_line)),
                ("account_id", "in", sorted({item.account for item in by_line.values()})),
                ("reconciled", "=", False),
            ],
            ["statement_line_id", "account_id"],
        )
        for row in counterparts:
            item = by_line[int(row["statement_line_id"][0])]
            if int(row["account_id"][0]) == item.account:
                self._odoo.call(MOVE_LINE, "reconcile", [int(row["id"]), item.id])

    def _fee_account(self) -> int:
        code = self._settings.odoo_payouts_fee_account
        rows = self._odoo.search_read(ACCOUNT, [("code", "=", code)], ["id"], limit=1)
        if not rows:
            raise PermanentError(
                f"no Odoo account has the code {code!r} for the payout fees "
                "(RETAILSYNC_ODOO_PAYOUTS_FEE_ACCOUNT)"
            )
        return int(rows[0]["id"])

    def _keep(self, made: Mapping[str, int]) -> None:
        if made:
            self._odoo.create(
                DATA,
                [
                    {"module": MODULE, "name": name, "model": STATEMENT_LINE, "res_id": id_}
                    for name, id_ in made.items()
                ],
            )


def _lines(event: PayoutPaid) -> list[_Line]:
    lines = [
        _Line(
            t.transaction_ref,
            f"Payout {event.payout_ref}: {t.kind.lower()} {t.transaction_ref}"
            + (f" (order {t.order_ref})" if t.order_ref else ""),
            t,
        )
        for t in event.transactions
    ]
    if event.fees:
        lines.append(_Line(FEES, f"Payout {event.payout_ref}: fees", None))
    return lines


def _matches(lines: Iterable[_Line], items: Mapping[str, list[_OpenItem]]) -> dict[str, _OpenItem]:
    """The open payment item each charge or refund settles: its order's, of its amount."""
    taken: set[int] = set()
    found: dict[str, _OpenItem] = {}
    for line in lines:
        transaction = line.transaction
        if transaction is None or transaction.kind not in _MATCHED or not transaction.order_ref:
            continue
        for item in items.get(transaction.order_ref, []):
            if item.id not in taken and abs(item.balance - float(transaction.amount)) < 0.005:
                found[line.key] = item
                taken.add(item.id)
                break
    return found


def _xml_name(payout_ref: str, key: str) -> str:
    return external_id(LINE_KIND, f"{payout_ref}/{key}").removeprefix(f"{MODULE}.")
