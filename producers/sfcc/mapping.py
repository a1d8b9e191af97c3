"""An SFCC order to events: order_created, with the same fields and the same add-up check
as the webhook channels (``producers.commerce.mapping.common``); then, as the order's state
says when it is exported, its payment events and order_cancelled for a cancelled order (its
goods were never shipped: restocked).

Payments: SCAPI Orders (spec 1.5.2) gives the order's ``paymentStatus`` (``not_paid``,
``part_paid``, ``paid``) and, per payment instrument, a ``paymentTransaction`` with its
``amount``, ``transactionId`` and ``authorizationStatus`` (``status`` 0 is OK). A paid order
becomes payment_captured per instrument (the transaction's amount; authorized: its
transaction id as the capture's authorization). An order not (fully) paid becomes
payment_authorized per instrument whose authorization is OK (the transaction's amount; its
transaction id as the payment ref, the instrument's without one). ``part_paid`` becomes no
capture: the API says neither which instrument was captured nor how much, so none is
guessed; the captures follow once the order is ``paid``. A transaction without an amount is
the order's total when it is the order's one instrument; with several, the order is refused
naming the field.

Amounts: B2C Commerce spreads order-level promotions over the lines
(``priceAfterOrderDiscount``) and taxes each line on what is left (``adjustedTax``), so the
event does too, as for Shopify: a line's total is its price after every promotion, its
discount everything taken off its price, its tax ``adjustedTax``; ``order_discount`` is 0.
A target that taxes the lines the event states then computes SFCC's tax to the cent (taxing
the lines before the order promotion and the promotion apart rounds differently). With
``taxation: gross`` the prices include tax.

Identity: each envelope's id is derived from the site, the order number and the event's
type alone (and a payment event's payment instrument), so an order published again (after a
crash before it was marked exported) keeps its ids, and consumers drop it.

Changes after the export (``change_events``): an exported order read again because it
changed becomes what its state says now, under the same ids as the export would give it:
order_cancelled when cancelled, the payment events above. The cancellation of an order and
the authorization or capture of an instrument are one change each, however often the order
is read again: its ``lastModified`` moves with every write to it (the export's own mark, a
shipping status, a note), so it cannot name the change. An order read again republishes
what the export published, with the same ids.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from producers.commerce.mapping.common import (
    Amounts,
    Delivery,
    mapping_difference,
    merged_taxes,
    percent,
    total,
)
from producers.commerce.mapping.rules import checked
from producers.sfcc.payloads import (
    ChangedOrder,
    PaymentInstrument,
    PaymentTransaction,
    ProductItem,
    SfccAddress,
    SfccOrder,
    ShippingItem,
)
from retailsync.errors import InvalidInputError
from retailsync.events import (
    Address,
    CancelReason,
    Event,
    OrderCancelled,
    OrderCreated,
    OrderLine,
    PaymentAuthorized,
    PaymentCaptured,
    PaymentState,
    Source,
    SourceSystem,
    TaxLine,
)

_PAYMENT_STATES = {
    "not_paid": PaymentState.PENDING,
    "part_paid": PaymentState.PARTIALLY_PAID,
    "paid": PaymentState.PAID,
}
_TAX_TITLE = "Tax"  # SCAPI orders carry a rate per item, not a tax's name


def site_source(organization_id: str, site_id: str) -> Source:
    """The source of a site's events: the site within its organization (f_ecom_…)."""
    return Source(system=SourceSystem.SFCC, instance=f"{organization_id}/{site_id}")


def order_events(body: bytes, *, source: Source, channel: str) -> tuple[Event, ...]:
    """``body`` (one SCAPI Order) as its events, in publishing order; pydantic's
    ValidationError or ``UnfitEventError`` name the field an order cannot be taken with."""
    order = SfccOrder.model_validate_json(body)
    delivery = _delivery(order, source, channel)
    return _checked(_created(order, delivery), *_state_events(order, delivery, order.creation_date))


def change_events(body: bytes, *, source: Source, channel: str) -> tuple[Event, ...]:
    """``body`` (an exported SCAPI Order that changed) as the events of its state: none when
    it is not cancelled and has neither a capture nor an authorization. Errors as
    ``order_events``."""
    order = ChangedOrder.model_validate_json(body)
    delivery = _delivery(order, source, channel)
    return _checked(*_state_events(order, delivery, order.last_modified))


def _delivery(order: SfccOrder, source: Source, channel: str) -> Delivery:
    # The envelope's ids are named after the site and the order, not after what it says.
    return Delivery(
        delivery_id=f"{source.instance}/{order.order_no}",
        topic="orders/export",
        source=source,
        channel=channel,
    )


def _state_events(order: SfccOrder, delivery: Delivery, at: datetime) -> list[Event]:
    """As of ``at``: payment_captured per payment instrument of a paid order, or else
    payment_authorized per authorized one; order_cancelled for a cancelled order."""
    events: list[Event] = []
    if order.payment_status == "paid":
        events += [
            _captured(order, delivery, index, payment, at)
            for index, payment in enumerate(order.payment_instruments)
        ]
    else:
        events += [
            _authorized(order, delivery, index, payment, at)
            for index, payment in enumerate(order.payment_instruments)
            if payment.payment_transaction is not None and payment.payment_transaction.authorized
        ]
    if order.status == "cancelled":
        events.append(
            OrderCancelled(
                envelope=delivery.envelope(OrderCancelled, f"order/{order.order_no}", at),
                order_ref=delivery.ref(order.order_no),
                reason=CancelReason.UNKNOWN,
                restock=True,
            )
        )
    return events


def _checked(*events: Event) -> tuple[Event, ...]:
    for event in events:
        checked(event)
    return events


def _payment_ref(order: SfccOrder, payment: PaymentInstrument) -> str:
    """The source ref of an instrument's payment events: one per instrument and type."""
    return f"order/{order.order_no}/payment/{payment.payment_instrument_id}"


def _captured(
    order: SfccOrder, delivery: Delivery, index: int, payment: PaymentInstrument, at: datetime
) -> Event:
    transaction = payment.payment_transaction or PaymentTransaction()
    return PaymentCaptured(
        envelope=delivery.envelope(PaymentCaptured, _payment_ref(order, payment), at),
        order_ref=delivery.ref(order.order_no),
        payment_ref=payment.payment_instrument_id,
        authorization_ref=transaction.transaction_id if transaction.authorized else None,
        gateway=payment.payment_method_id,
        currency=order.currency,
        amount=_amount(order, index, transaction),
    )


def _authorized(
    order: SfccOrder, delivery: Delivery, index: int, payment: PaymentInstrument, at: datetime
) -> Event:
    transaction = payment.payment_transaction or PaymentTransaction()
    return PaymentAuthorized(
        envelope=delivery.envelope(PaymentAuthorized, _payment_ref(order, payment), at),
        order_ref=delivery.ref(order.order_no),
        # The gateway's transaction id, which a capture names; the instrument's without one.
        payment_ref=transaction.transaction_id or payment.payment_instrument_id,
        gateway=payment.payment_method_id,
        currency=order.currency,
        amount=_amount(order, index, transaction),
    )


def _amount(order: SfccOrder, index: int, transaction: PaymentTransaction) -> Decimal:
    """The transaction's amount; the order's total when it is the order's one instrument."""
    if transaction.amount is not None:
        return transaction.amount
    if len(order.payment_instruments) > 1:  # which share of the total would it be?
        raise InvalidInputError(
            "required when the order has several payment instruments",
            f"paymentInstruments.{index}.paymentTransaction.amount",
        )
    return order.order_total


def _created(order: SfccOrder, delivery: Delivery) -> OrderCreated:
    gross = order.taxation == "gross"
    lines = tuple(_line(item) for item in order.product_items)
    amounts = Amounts(
        lines, order.shipping_total, (), Decimal(0), order.tax_total, gross, order.order_total
    )
    shipment = order.shipments[0] if order.shipments else None
    customer = order.customer_info.customer_no if order.customer_info else None
    return OrderCreated(
        envelope=delivery.envelope(OrderCreated, f"order/{order.order_no}", order.creation_date),
        order_ref=delivery.ref(order.order_no),
        order_number=order.order_no,
        customer_ref=delivery.ref(customer) if customer else None,
        currency=order.currency,
        prices_include_tax=gross,
        lines=lines,
        subtotal=total(line.total for line in lines),
        shipping_total=order.shipping_total,
        discount_total=total(line.discount for line in lines),
        tax_total=order.tax_total,
        total=order.order_total,
        shipping_address=_address(shipment.shipping_address if shipment else None),
        shipping_method=(
            shipment.shipping_method.id if shipment and shipment.shipping_method else None
        ),
        payment_state=_PAYMENT_STATES.get(order.payment_status or "", PaymentState.UNKNOWN),
        shipping_tax=order.shipping_total_tax,
        shipping_tax_lines=merged_taxes(_tax(item) for item in order.shipping_items),
        order_discount=Decimal(0),
        mapping_difference=mapping_difference(amounts, delivery),
    )


def _line(item: ProductItem) -> OrderLine:
    after = item.price_after_order_discount
    if after is None:  # no order promotion shared out (older documents)
        after = item.price_after_item_discount
    return OrderLine(
        line_ref=item.item_id,
        sku=item.product_id,
        title=item.product_name or item.product_id,
        quantity=item.quantity,
        unit_price=item.base_price,
        discount=item.price - after,
        tax=item.adjusted_tax,
        total=after,
        tax_lines=(_tax(item),) if item.adjusted_tax else (),
    )


def _tax(item: ProductItem | ShippingItem) -> TaxLine:
    return TaxLine(title=_TAX_TITLE, rate=percent(item.tax_rate), amount=item.adjusted_tax)


def _address(address: SfccAddress | None) -> Address | None:
    if address is None or not (address.address1 and address.city and address.country_code):
        return None
    name = address.full_name or " ".join(
        part for part in (address.first_name, address.last_name) if part
    )
    return Address(
        name=name or None,
        company=address.company_name,
        line1=address.address1,
        line2=address.address2 or None,
        city=address.city,
        region=address.state_code,
        postal_code=address.postal_code,
        country_code=address.country_code.upper(),
        phone=address.phone,
    )
