"""odoo-orders: storefront orders, payments, refunds and cancellations applied to Odoo.

``service`` is what ``retailsync consume odoo-orders`` runs; its Odoo client is built from
the settings on first use, never at import.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import cache

from consumers.odoo_orders.lifecycle import cancel, post_money_note
from consumers.odoo_orders.orders import OrderBook
from retailsync.consumer import ConsumerService, HandlerContext, Item
from retailsync.events import OrderCancelled, PaymentAuthorized, PaymentCaptured, RefundIssued
from retailsync.odoo import OdooClient, OdooSettings

NAME = "odoo-orders"


def make_service(odoo: Callable[[], OdooClient], name: str = NAME) -> ConsumerService:
    """The service, with ``odoo`` giving the client to use (called on every event)."""
    service = ConsumerService(name)

    @service.batch_handler("order_created", target="odoo", max_items=200, overtakes=True)
    def create_orders(items: Sequence[Item]) -> Mapping[int, BaseException]:
        return OrderBook(odoo()).create([item.event for item in items])

    @service.handler("payment_authorized", "payment_captured", "refund_issued", target="odoo")
    def note_money(
        event: PaymentAuthorized | PaymentCaptured | RefundIssued, _: HandlerContext
    ) -> None:
        post_money_note(odoo(), event)

    @service.handler("order_cancelled", target="odoo")
    def cancel_order(event: OrderCancelled, _: HandlerContext) -> None:
        cancel(odoo(), event)

    return service


@cache
def _odoo_from_settings() -> OdooClient:
    return OdooClient.from_settings(OdooSettings.load())


service = make_service(_odoo_from_settings)
