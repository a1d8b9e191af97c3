"""WooCommerce webhooks to events, by the ``X-WC-Webhook-Topic`` header.

order.updated carries the order's whole state, not what changed: it maps to the order's
creation and its lines as they are now (order_created, then order_edited, when it has
lines) followed by the most specific event the state shows (cancelled, then the newest
refund, then the payment), if any. Consumers key on the natural refs (order_ref,
payment_ref, refund_ref), so the same state seen again in a later update changes nothing
downstream. One body cannot tell whether the lines changed since the last one: every
order_edited is versioned by the order's ``date_modified_gmt`` and odoo-orders changes the
Odoo order only where its lines differ.

An order.created without line items is deferred (answered 200, nothing published):
WooCommerce fires its new-order hook before it saves the lines, so such a body really
arrives, and refusing it would count towards the five failures after which WooCommerce
disables the webhook. The order is created by the first order.updated that carries its
lines, which WooCommerce sends when it saves them or when the payment or status changes.

Taxes: each line's, fee's and shipping line's ``taxes`` name a rate of the order's
``tax_lines`` (label and percent). Fees (``fee_lines``) are kept, a negative fee too (a
discount some shops give as a fee): without them lines + shipping + tax would not make
the total.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal
from typing import Any

from producers.commerce.mapping.common import (
    Amounts,
    DeferredError,
    Delivery,
    Mapped,
    mapping_difference,
    merged_taxes,
    micros,
    money,
    total,
)
from producers.commerce.payloads.woocommerce import (
    WooAddress,
    WooCustomer,
    WooFeeLine,
    WooItemTax,
    WooLineItem,
    WooOrder,
    WooTaxLine,
)
from retailsync.errors import InvalidInputError
from retailsync.events import (
    Address,
    CancelReason,
    CustomerUpserted,
    Envelope,
    Event,
    FeeLine,
    OrderCancelled,
    OrderCreated,
    OrderEdited,
    OrderLine,
    PaymentCaptured,
    PaymentState,
    RefundIssued,
    RefundReason,
    TaxLine,
)

_HUNDREDTH = Decimal("0.01")
_PAYMENT_STATES = {
    "pending": PaymentState.PENDING,
    "on-hold": PaymentState.PENDING,
    "refunded": PaymentState.REFUNDED,
    "cancelled": PaymentState.VOIDED,
    "failed": PaymentState.VOIDED,
}


def order_created(delivery: Delivery, body: bytes) -> Event:
    order = WooOrder.model_validate_json(body)
    if not order.line_items:
        raise DeferredError(
            "an order.created without line items: the order.updated that carries them "
            "creates the order"
        )
    return _created(delivery, order)


def order_updated(delivery: Delivery, body: bytes) -> Mapped:
    order = WooOrder.model_validate_json(body)
    placed = (_created(delivery, order), _edited(delivery, order)) if order.line_items else ()
    change = _change(delivery, order)
    return (*placed, change) if change is not None else placed


def _created(delivery: Delivery, order: WooOrder) -> OrderCreated:
    # Named after the order's creation, not the delivery: the same order seen again in a
    # later order.updated keeps its id, and is answered from memory or dropped downstream.
    creation = replace(delivery, delivery_id=f"{_source_ref(order)}/created")
    contents = _contents(delivery, order)
    gross = order.prices_include_tax
    rates = _rates(order)
    fees = tuple(_fee(fee, rates, gross=gross) for fee in order.fee_lines)
    # WooCommerce allocates coupons to the lines; what is left of a discount is a fee.
    amounts = Amounts(
        contents["lines"], contents["shipping_total"], fees, Decimal(0), order.total_tax,
        gross, order.total,
    )  # fmt: skip
    return OrderCreated(
        envelope=creation.envelope(OrderCreated, _source_ref(order), order.date_created_gmt),
        order_number=order.number,
        customer_ref=delivery.ref(order.customer_id) if order.customer_id else None,
        shipping_address=_address(order.shipping),
        shipping_method=order.shipping_lines[0].method_id if order.shipping_lines else None,
        payment_state=_payment_state(order),
        shipping_tax=total(line.total_tax for line in order.shipping_lines),
        shipping_tax_lines=merged_taxes(
            tax
            for line in order.shipping_lines
            for tax in _taxes(line.taxes, rates, "shipping_lines[].taxes[].id", line.total)
        ),
        fee_lines=fees,
        order_discount=amounts.order_discount,
        mapping_difference=mapping_difference(amounts, delivery),
        **contents,
    )


def _edited(delivery: Delivery, order: WooOrder) -> OrderEdited:
    changed_at = order.date_modified_gmt or order.date_created_gmt
    return OrderEdited(
        envelope=delivery.envelope(
            OrderEdited, _source_ref(order), changed_at, source_version=micros(changed_at)
        ),
        **_contents(delivery, order),
    )


def _contents(delivery: Delivery, order: WooOrder) -> dict[str, Any]:
    """What order_created and order_edited both say: the order's lines and totals."""
    gross = order.prices_include_tax
    # WooCommerce keeps line amounts net of tax; with gross pricing the event says gross.
    shipping = total(line.total + (line.total_tax if gross else 0) for line in order.shipping_lines)
    rates = _rates(order)
    lines = tuple(_line(item, rates, gross=gross) for item in order.line_items)
    return {
        "order_ref": delivery.ref(order.id),
        "currency": order.currency,
        "prices_include_tax": gross,
        "lines": lines,
        "subtotal": total(line.total for line in lines),
        "shipping_total": shipping,
        "discount_total": order.discount_total + (order.discount_tax if gross else 0),
        "tax_total": order.total_tax,
        "total": order.total,
    }


def _change(delivery: Delivery, order: WooOrder) -> Event | None:
    if order.status == "cancelled":
        # WooCommerce puts the stock of a cancelled order back.
        return OrderCancelled(
            envelope=_changed(delivery, OrderCancelled, order),
            order_ref=delivery.ref(order.id),
            reason=CancelReason.UNKNOWN,
            restock=True,
        )
    if order.refunds:
        newest = order.refunds[0]  # WooCommerce lists refunds newest first
        return RefundIssued(
            envelope=_changed(delivery, RefundIssued, order),
            order_ref=delivery.ref(order.id),
            refund_ref=str(newest.id),
            payment_ref=order.transaction_id or None,
            currency=order.currency,
            amount=-newest.total,
            shipping_amount=0,
            reason=RefundReason.OTHER if newest.reason else RefundReason.UNKNOWN,
            restock=False,
        )
    if order.date_paid_gmt is not None:
        return PaymentCaptured(
            envelope=_changed(delivery, PaymentCaptured, order),
            order_ref=delivery.ref(order.id),
            payment_ref=order.transaction_id or f"order/{order.id}/payment",
            gateway=order.payment_method or "unknown",
            currency=order.currency,
            amount=order.total,
        )
    return None


def customer_upserted(delivery: Delivery, body: bytes) -> Event:
    customer = WooCustomer.model_validate_json(body)
    changed_at = customer.date_modified_gmt or customer.date_created_gmt
    return CustomerUpserted(
        envelope=delivery.envelope(
            CustomerUpserted,
            f"customer/{customer.id}",
            changed_at,
            source_version=micros(changed_at),
        ),
        customer_ref=delivery.ref(customer.id),
        email=customer.email or None,
        phone=customer.billing.phone or None,
        first_name=customer.first_name or None,
        last_name=customer.last_name or None,
        company=customer.billing.company or None,
        # WooCommerce core keeps no marketing consent.
        accepts_marketing=False,
        default_address=_address(customer.billing),
    )


TOPICS: dict[str, Callable[[Delivery, bytes], Mapped]] = {
    "order.created": order_created,
    "order.updated": order_updated,
    "customer.created": customer_upserted,
    "customer.updated": customer_upserted,
}
"""The WooCommerce topics the receiver maps, each to the function that makes its events."""


def _source_ref(order: WooOrder) -> str:
    return f"order/{order.id}"


def _changed(delivery: Delivery, model: type[Event], order: WooOrder) -> Envelope:
    return delivery.envelope(
        model, _source_ref(order), order.date_modified_gmt or order.date_created_gmt
    )


def _payment_state(order: WooOrder) -> PaymentState:
    if order.date_paid_gmt is not None and order.status != "refunded":
        return PaymentState.PAID
    return _PAYMENT_STATES.get(order.status, PaymentState.UNKNOWN)


def _line(item: WooLineItem, rates: dict[int, WooTaxLine], *, gross: bool) -> OrderLine:
    before_discount = item.subtotal + (item.subtotal_tax if gross else 0)
    after_discount = item.total + (item.total_tax if gross else 0)
    return OrderLine(
        line_ref=str(item.id),
        sku=item.sku or f"woocommerce-product:{item.product_id}",
        title=item.name,
        quantity=item.quantity,
        unit_price=money(before_discount / item.quantity),  # quantity is at least 1
        discount=before_discount - after_discount,
        tax=item.total_tax,
        total=after_discount,
        tax_lines=_taxes(item.taxes, rates, "line_items[].taxes[].id", item.total),
    )


def _fee(fee: WooFeeLine, rates: dict[int, WooTaxLine], *, gross: bool) -> FeeLine:
    return FeeLine(
        title=fee.name,
        amount=fee.total + (fee.total_tax if gross else 0),
        tax=fee.total_tax,
        tax_lines=_taxes(fee.taxes, rates, "fee_lines[].taxes[].id", fee.total),
    )


def _rates(order: WooOrder) -> dict[int, WooTaxLine]:
    return {rate.rate_id: rate for rate in order.tax_lines}


def _taxes(
    taxes: tuple[WooItemTax, ...], rates: dict[int, WooTaxLine], field: str, base: Decimal
) -> tuple[TaxLine, ...]:
    """The tax lines of one charge of net amount ``base``; a rate the order does not list is
    refused (422). Without ``rate_percent`` (older WooCommerce) the rate is the charge's
    tax over its base, to 0.01 %: a rounded tax can make it inexact, so map such taxes by
    title."""
    found = []
    for tax in taxes:
        rate = rates.get(tax.id)
        if rate is None:
            raise InvalidInputError("names a tax rate that the order's tax_lines lack", field)
        percent = rate.rate_percent
        if percent is None:
            percent = (tax.total * 100 / base).quantize(_HUNDREDTH) if base else Decimal(0)
        found.append(TaxLine(title=rate.label, rate=money(percent), amount=tax.total))
    return tuple(found)


def _address(address: WooAddress) -> Address | None:
    if not (address.address_1 and address.city and address.country):
        return None
    name = " ".join(part for part in (address.first_name, address.last_name) if part)
    return Address(
        name=name or None,
        company=address.company or None,
        line1=address.address_1,
        line2=address.address_2 or None,
        city=address.city,
        region=address.state or None,
        postal_code=address.postcode or None,
        country_code=address.country,
        phone=address.phone or None,
    )
