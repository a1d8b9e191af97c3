"""odoo-payouts: a payment gateway's payouts booked as bank statement lines in Odoo.

payout_paid becomes statement lines in the journal odoo-orders maps the gateway to, the
charges and refunds matched to the payments odoo-orders booked for their orders, the fees
booked to ``RETAILSYNC_ODOO_PAYOUTS_FEE_ACCOUNT`` (``statements``). A group of its own, not a
handler of odoo-orders: payouts have their own topic and key (the payout, not the order),
arrive days after the orders they settle, and a payout waiting for a capture must retry
on its own timeline without holding back any order.

``service`` is what ``retailsync consume odoo-payouts`` runs; its Odoo client is built from
the settings on first use, never at import.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from consumers.odoo_orders.settings import OrdersSettings
from consumers.odoo_payouts.settings import PayoutsSettings
from consumers.odoo_payouts.statements import PayoutBook
from retailsync.consumer import ConsumerService, HandlerContext
from retailsync.events import PayoutPaid
from retailsync.odoo import OdooClient, OdooSettings

NAME = "odoo-payouts"


def make_service(
    odoo: Callable[[], OdooClient],
    name: str = NAME,
    orders: Callable[[], OrdersSettings] = OrdersSettings.load,
    settings: Callable[[], PayoutsSettings] = PayoutsSettings.load,
) -> ConsumerService:
    """The service, with ``odoo`` giving the client to use (called on every event), and
    the journal mapping (``orders``) and its own settings, each read on first use."""
    service = ConsumerService(name)
    journals, own = cache(orders), cache(settings)

    @service.handler("payout_paid", target="odoo")
    def book_payout(event: PayoutPaid, _: HandlerContext) -> None:
        PayoutBook(odoo(), journals(), own()).book(event)

    return service


@cache
def _odoo_from_settings() -> OdooClient:
    return OdooClient.from_settings(OdooSettings.load())


service = make_service(_odoo_from_settings)
