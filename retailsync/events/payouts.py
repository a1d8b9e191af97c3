"""A payment gateway's payout: the money it transferred to the bank, and what it carried."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

from retailsync.events.envelope import Event, Record
from retailsync.events.fields import Currency, Money, Ref, Timestamp


class PayoutTransactionKind(StrEnum):
    """What moved the gateway's balance; ``OTHER`` is what older readers see for newer kinds."""

    OTHER = "OTHER"
    CHARGE = "CHARGE"
    REFUND = "REFUND"
    ADJUSTMENT = "ADJUSTMENT"


class PayoutTransaction(Record):
    """One balance transaction a payout carried: its gross amount, the gateway's fee on it,
    and what reached the payout (``net = amount - fee``)."""

    transaction_ref: Ref
    kind: PayoutTransactionKind
    order_ref: Ref | None = None
    payment_ref: Ref | None = None
    amount: Money
    fee: Money
    net: Money


class PayoutPaid(Event):
    """A payment gateway paid a payout into the merchant's bank; the transactions' nets add
    up to ``amount`` (checked where the payout enters, ``producers.payouts.mapping``)."""

    EVENT_TYPE = "payout_paid"

    payout_ref: Ref
    gateway: str
    currency: Currency
    issued_at: Timestamp
    amount: Money
    transactions: tuple[PayoutTransaction, ...]

    @property
    def fees(self) -> Decimal:
        """The gateway's fees on every transaction of the payout."""
        return sum((t.fee for t in self.transactions), Decimal(0))
