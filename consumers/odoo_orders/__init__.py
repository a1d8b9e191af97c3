"""odoo-orders: storefront orders, edits, payments, refunds and cancellations applied to Odoo.

Authorizations are chatter notes; captures, refunds and the cancellation of a paid order
are accounting (``accounting``): invoices, payments and credit notes. An order a fraud check
assesses at a level the rule names is held as a quotation for a person (``risk``).

Test orders (``test`` on order_created and order_edited) are skipped unless
``RETAILSYNC_ODOO_ORDERS_APPLY_TEST_ORDERS`` is set: a skipped order's later payments and
cancellation find no order and end in the dead-letter topic after the retry topics, with
the reason that the order is not in Odoo.

``service`` is what ``retailsync consume odoo-orders`` runs; its Odoo client is built from
the settings on first use, never at import.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import cache

from consumers.odoo_orders.accounting import Ledger
from consumers.odoo_orders.edits import apply_edit
from consumers.odoo_orders.lifecycle import OrderNotYetError, cancel, post_money_note
from consumers.odoo_orders.orders import OrderBook
from consumers.odoo_orders.risk import apply_assessment
from consumers.odoo_orders.settings import OrdersSettings
from retailsync.consumer import ConsumerService, HandlerContext, Item
from retailsync.errors import RetailsyncError
from retailsync.events import (
    OrderCancelled,
    OrderCreated,
    OrderEdited,
    OrderRiskAssessed,
    PaymentAuthorized,
    PaymentCaptured,
    RefundIssued,
)
from retailsync.odoo import OdooClient, OdooSettings

NAME = "odoo-orders"


def make_service(
    odoo: Callable[[], OdooClient],
    name: str = NAME,
    settings: Callable[[], OrdersSettings] = OrdersSettings.load,
) -> ConsumerService:
    """The service, with ``odoo`` giving the client to use (called on every event) and
    ``settings`` its own settings (read on first use)."""
    service = ConsumerService(name)
    own = cache(settings)

    def applies(event: OrderCreated | OrderEdited) -> bool:
        return not event.test or own().odoo_orders_apply_test_orders

    # Overtakes: the payments, edits and cancellation of an order that arrived before it
    # are parked until it exists, so it must not wait behind them; nor a risk assessment,
    # which must hold its order before a capture books it. A capture waits its turn: it
    # must not pass a parked edit of its order and invoice the lines as they were. In key
    # order: a shop sends each order's capture right behind it, so a backlog's batch holds
    # both. A risk assessment in the batch holds its order before the order is confirmed or
    # its capture booked, whichever came first.
    @service.batch_handler(
        "order_created",
        "order_risk_assessed",
        "payment_captured",
        target="odoo",
        max_items=200,
        overtakes=("order_created", "order_risk_assessed"),
        in_key_order=True,
    )
    def create_and_book(items: Sequence[Item]) -> Mapping[int, BaseException]:
        first: dict[str, int] = {}  # a re-delivered order in the same batch is made once
        for index, item in enumerate(items):
            if isinstance(item.event, OrderCreated) and applies(item.event):
                first.setdefault(item.event.order_ref, index)
        orders = sorted(first.values())
        hold_levels = own().odoo_orders_hold_risk
        assessments = [
            (index, item.event)
            for index, item in enumerate(items)
            if isinstance(item.event, OrderRiskAssessed)
        ]
        held = {event.order_ref for _, event in assessments if event.risk_level in hold_levels}
        made = OrderBook(odoo(), own()).create([items[index].event for index in orders], held)
        failed = {items[orders[position]].event.order_ref: e for position, e in made.items()}
        failures: dict[int, BaseException] = {
            index: failed[item.event.order_ref]
            for index, item in enumerate(items)
            if isinstance(item.event, OrderCreated) and item.event.order_ref in failed
        }
        for index, assessment in assessments:
            try:
                if assessment.order_ref in failed:
                    raise OrderNotYetError(assessment.order_ref)
                apply_assessment(odoo(), assessment, hold_levels)
            except RetailsyncError as error:
                failures[index] = error
        captures = [
            (index, item.event)
            for index, item in enumerate(items)
            if isinstance(item.event, PaymentCaptured)
        ]
        for index, capture in captures:
            if capture.order_ref in failed:  # its order failed: it follows it
                failures[index] = OrderNotYetError(capture.order_ref)
        booking = [(index, capture) for index, capture in captures if index not in failures]
        booked = Ledger(odoo(), own()).capture([capture for _, capture in booking])
        failures.update({booking[position][0]: error for position, error in booked.items()})
        return failures

    @service.handler("order_edited", target="odoo")
    def edit_order(event: OrderEdited, _: HandlerContext) -> None:
        if applies(event):
            apply_edit(odoo(), event, own())

    @service.handler("payment_authorized", target="odoo")
    def note_authorization(event: PaymentAuthorized, _: HandlerContext) -> None:
        post_money_note(odoo(), event)

    @service.handler("refund_issued", target="odoo")
    def book_refund(event: RefundIssued, _: HandlerContext) -> None:
        Ledger(odoo(), own()).refund(event)

    @service.handler("order_cancelled", target="odoo")
    def cancel_order(event: OrderCancelled, _: HandlerContext) -> None:
        cancel(odoo(), event, Ledger(odoo(), own()))

    return service


@cache
def _odoo_from_settings() -> OdooClient:
    return OdooClient.from_settings(OdooSettings.load())


service = make_service(_odoo_from_settings)
