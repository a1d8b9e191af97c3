"""Invoices of orders."""

from __future__ import annotations

from retailsync.events.envelope import Event
from retailsync.events.fields import Currency, Money, Ref


class OrderInvoiced(Event):
    """A customer invoice of an order was posted in Odoo; ``amount_untaxed + amount_tax =
    amount_total`` (checked where it enters, ``producers.odoo.mapping``)."""

    EVENT_TYPE = "order_invoiced"

    order_ref: Ref
    invoice_ref: Ref
    currency: Currency
    amount_untaxed: Money
    amount_tax: Money
    amount_total: Money
