"""Shopify webhooks to events, by the ``X-Shopify-Topic`` header.

Order edits: orders/updated carries the order's whole state after any change, with each
line's ``current_quantity`` (what an edit left of it), and maps to order_edited, versioned
by the order's ``updated_at``; odoo-orders changes the Odoo order only where its lines
differ. orders/edited carries only the edit's deltas (units added and removed per line),
which cannot be applied idempotently, and Shopify sends an orders/updated with the new state
for the same edit: orders/edited is answered ``deferred``. A test order (``test: true``)
keeps its mark on order_created and order_edited.

customers/redact (GDPR) maps to customer_erased, a tombstone of the customer's key on the
compacted customers topic.

orders/risk_assessment_changed maps to order_risk_assessed. It comes after orders/create
(an assessment takes seconds), so odoo-orders may already have confirmed the order when a
high risk arrives; it then puts the order back to a quotation for a person to decide.

Money: Shopify's plain amounts (``price``, ``total_price``…) and the order's ``currency`` are
the shop's (its ``shop_money``), even when the customer paid in another currency (the
``presentment_money`` of the ``*_set`` fields). Every event carries shop money and the shop's
currency, which is what the shop books; a refund's transactions are in the presentment
currency, so a refund of lines in another currency is summed from its lines' shop money.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal

from producers.commerce.mapping.common import (
    Amounts,
    DeferredError,
    Delivery,
    mapping_difference,
    merged_taxes,
    micros,
    money,
    percent,
    total,
)
from producers.commerce.payloads.shopify import (
    LineItem,
    ShippingLine,
    ShopifyAddress,
    ShopifyCustomer,
    ShopifyOrder,
    ShopifyOrderEdit,
    ShopifyRedaction,
    ShopifyRefund,
    ShopifyRiskAssessment,
)
from producers.commerce.payloads.shopify import TaxLine as ShopifyTaxLine
from retailsync.events import (
    Address,
    CancelReason,
    CustomerErased,
    CustomerUpserted,
    Event,
    OrderCancelled,
    OrderCreated,
    OrderEdited,
    OrderLine,
    OrderRiskAssessed,
    PaymentCaptured,
    PaymentState,
    RefundIssued,
    RefundLine,
    RefundReason,
    RiskLevel,
    TaxLine,
)

_PAYMENT_STATES = {state.value.lower(): state for state in PaymentState}
_CANCEL_REASONS = {
    "customer": CancelReason.CUSTOMER,
    "fraud": CancelReason.FRAUD,
    "inventory": CancelReason.INVENTORY,
    "declined": CancelReason.PAYMENT_DECLINED,
    "staff": CancelReason.STAFF,
    "other": CancelReason.OTHER,
}
# Refund line restock types that put the goods back on the shelf.
_RESTOCKING = frozenset({"return", "cancel", "legacy_restock"})


def order_created(delivery: Delivery, body: bytes) -> Event:
    order = ShopifyOrder.model_validate_json(body)
    shipping = order.shipping_lines[0] if order.shipping_lines else None
    lines = tuple(_line(item) for item in order.line_items)
    shipping_total = _shipping_total(order.shipping_lines)
    # Shopify allocates every discount to the lines or the shipping it applies to.
    amounts = Amounts(
        lines, shipping_total, (), Decimal(0), order.total_tax, order.taxes_included,
        order.total_price,
    )  # fmt: skip
    return OrderCreated(
        envelope=delivery.envelope(OrderCreated, _order_gid(order.id), order.created_at),
        order_ref=delivery.ref(order.id),
        order_number=order.name,
        customer_ref=delivery.ref(order.customer.id) if order.customer else None,
        currency=order.currency,
        prices_include_tax=order.taxes_included,
        lines=lines,
        subtotal=order.subtotal_price,
        shipping_total=shipping_total,
        discount_total=order.total_discounts,
        tax_total=order.total_tax,
        total=order.total_price,
        shipping_address=_address(order.shipping_address),
        shipping_method=(shipping.code or shipping.title) if shipping else None,
        payment_state=_PAYMENT_STATES.get(order.financial_status or "", PaymentState.UNKNOWN),
        test=order.test,
        shipping_tax=total(tax.price for line in order.shipping_lines for tax in line.tax_lines),
        shipping_tax_lines=merged_taxes(
            _tax(tax) for line in order.shipping_lines for tax in line.tax_lines
        ),
        order_discount=amounts.order_discount,
        mapping_difference=mapping_difference(amounts, delivery),
    )


def order_edited(delivery: Delivery, body: bytes) -> Event:
    order = ShopifyOrder.model_validate_json(body)
    changed_at = order.updated_at or order.created_at
    lines = tuple(
        _line(item, item.current_quantity)
        for item in order.line_items
        if item.current_quantity != 0  # removed by an edit
    )
    return OrderEdited(
        envelope=delivery.envelope(
            OrderEdited, _order_gid(order.id), changed_at, source_version=micros(changed_at)
        ),
        order_ref=delivery.ref(order.id),
        currency=order.currency,
        prices_include_tax=order.taxes_included,
        lines=lines,
        subtotal=_current(order.current_subtotal_price, order.subtotal_price),
        shipping_total=_shipping_total(order.shipping_lines),
        discount_total=_current(order.current_total_discounts, order.total_discounts),
        tax_total=_current(order.current_total_tax, order.total_tax),
        total=_current(order.current_total_price, order.total_price),
        test=order.test,
    )


def order_edit_deltas(_: Delivery, body: bytes) -> Event:
    ShopifyOrderEdit.model_validate_json(body)
    raise DeferredError(
        "orders/edited carries only the edit's deltas: the orders/updated of the same edit "
        "carries the order's new lines"
    )


def payment_captured(delivery: Delivery, body: bytes) -> Event:
    order = ShopifyOrder.model_validate_json(body)
    # orders/paid carries the order, not its transactions: the capture is named after it.
    return PaymentCaptured(
        envelope=delivery.envelope(
            PaymentCaptured, _order_gid(order.id), order.updated_at or order.created_at
        ),
        order_ref=delivery.ref(order.id),
        payment_ref=f"order/{order.id}/payment",
        gateway=order.payment_gateway_names[0] if order.payment_gateway_names else "unknown",
        currency=order.currency,
        amount=order.total_price,
    )


def order_cancelled(delivery: Delivery, body: bytes) -> Event:
    order = ShopifyOrder.model_validate_json(body)
    restock = any(
        line.restock_type in _RESTOCKING
        for refund in order.refunds
        for line in refund.refund_line_items
    )
    return OrderCancelled(
        envelope=delivery.envelope(
            OrderCancelled, _order_gid(order.id), order.cancelled_at or order.created_at
        ),
        order_ref=delivery.ref(order.id),
        reason=_CANCEL_REASONS.get(order.cancel_reason or "", CancelReason.UNKNOWN),
        restock=restock,
    )


def order_risk_assessed(delivery: Delivery, body: bytes) -> Event:
    assessment = ShopifyRiskAssessment.model_validate_json(body)
    return OrderRiskAssessed(
        envelope=delivery.envelope(
            OrderRiskAssessed,
            _order_gid(assessment.order_id),
            assessment.created_at or datetime.now(UTC),
        ),
        order_ref=delivery.ref(assessment.order_id),
        risk_level=RiskLevel(assessment.risk_level.upper()),
        provider=assessment.provider_title,
    )


def refund_issued(delivery: Delivery, body: bytes) -> Event:
    refund = ShopifyRefund.model_validate_json(body)
    lines = tuple(
        RefundLine(
            line_ref=str(line.line_item_id),
            sku=_sku(line.line_item) if line.line_item else f"shopify-line:{line.line_item_id}",
            quantity=line.quantity,
            amount=line.subtotal + line.total_tax,
        )
        for line in refund.refund_line_items
    )
    shipping = -total(
        a.amount + a.tax_amount for a in refund.order_adjustments if a.kind == "shipping_refund"
    )
    refunds = [t for t in refund.transactions if t.kind == "refund" and t.status != "failure"]
    shop_currency = next(
        (
            line.subtotal_set.shop_money.currency_code
            for line in refund.refund_line_items
            if line.subtotal_set
        ),
        None,
    )
    paid_in = next((t.currency for t in refund.transactions if t.currency), None)
    # Transactions are in the presentment currency, lines in the shop's: one set, not both.
    in_shop_money = not refunds or (
        shop_currency is not None and paid_in is not None and paid_in != shop_currency
    )
    amount = (
        total(line.amount for line in lines) + shipping
        if in_shop_money
        else total(t.amount for t in refunds)
    )
    currency = (shop_currency or paid_in) if in_shop_money else (paid_in or shop_currency)
    parent = next((t.parent_id for t in refunds if t.parent_id is not None), None)
    return RefundIssued(
        envelope=delivery.envelope(
            RefundIssued,
            f"gid://shopify/Refund/{refund.id}",
            refund.processed_at or refund.created_at,
        ),
        order_ref=delivery.ref(refund.order_id),
        refund_ref=str(refund.id),
        payment_ref=str(parent) if parent is not None else None,
        currency=currency,
        amount=amount,
        shipping_amount=shipping,
        lines=lines,
        reason=RefundReason.RETURN if refund.return_ is not None else RefundReason.UNKNOWN,
        restock=any(line.restock_type in _RESTOCKING for line in refund.refund_line_items),
    )


def customer_upserted(delivery: Delivery, body: bytes) -> Event:
    customer = ShopifyCustomer.model_validate_json(body)
    consent = customer.email_marketing_consent
    accepts = consent.state == "subscribed" if consent else bool(customer.accepts_marketing)
    address = customer.default_address
    return CustomerUpserted(
        envelope=delivery.envelope(
            CustomerUpserted,
            f"gid://shopify/Customer/{customer.id}",
            customer.updated_at,
            source_version=micros(customer.updated_at),
        ),
        customer_ref=delivery.ref(customer.id),
        email=customer.email,
        phone=customer.phone,
        first_name=customer.first_name,
        last_name=customer.last_name,
        company=address.company if address else None,
        accepts_marketing=accepts,
        default_address=_address(address),
    )


def customer_erased(delivery: Delivery, body: bytes) -> Event:
    redaction = ShopifyRedaction.model_validate_json(body)
    customer = redaction.customer.id
    # No version: the delivery id names the request, and a re-delivery keeps it. No time
    # either: Shopify's trigger time, when sent, is used before the time of receipt.
    return CustomerErased(
        envelope=delivery.envelope(
            CustomerErased, f"gid://shopify/Customer/{customer}", datetime.now(UTC)
        ),
        customer_ref=delivery.ref(customer),
    )


TOPICS: dict[str, Callable[[Delivery, bytes], Event]] = {
    "orders/create": order_created,
    "orders/updated": order_edited,
    "orders/edited": order_edit_deltas,
    "orders/paid": payment_captured,
    "orders/cancelled": order_cancelled,
    "orders/risk_assessment_changed": order_risk_assessed,
    "refunds/create": refund_issued,
    "customers/create": customer_upserted,
    "customers/update": customer_upserted,
    "customers/redact": customer_erased,
}
"""The Shopify topics the receiver maps, each to the function that makes its event."""


def _order_gid(order_id: int) -> str:
    return f"gid://shopify/Order/{order_id}"


def _sku(item: LineItem) -> str:
    # A custom line or a product without an SKU still needs an identity downstream.
    return item.sku or (
        f"shopify-variant:{item.variant_id}" if item.variant_id else f"shopify-line:{item.id}"
    )


def _line(item: LineItem, quantity: int | None = None) -> OrderLine:
    """The order line of ``item``; with ``quantity``, of what an edit left of it, its
    discount and tax in proportion."""
    discount = item.total_discount or total(a.amount for a in item.discount_allocations)
    taxes = tuple(_tax(tax) for tax in item.tax_lines)
    units = item.quantity if quantity is None else quantity
    if units != item.quantity:
        discount = money(discount * units / item.quantity)
        taxes = tuple(
            tax.model_copy(update={"amount": money(tax.amount * units / item.quantity)})
            for tax in taxes
        )
    return OrderLine(
        line_ref=str(item.id),
        sku=_sku(item),
        title=item.title,
        quantity=units,
        unit_price=item.price,
        discount=discount,
        tax=total(tax.amount for tax in taxes),
        total=money(item.price * units - discount),
        tax_lines=taxes,
    )


def _tax(tax: ShopifyTaxLine) -> TaxLine:
    return TaxLine(title=tax.title, rate=percent(tax.rate), amount=tax.price)


def _shipping_total(lines: tuple[ShippingLine, ...]) -> Decimal:
    # "0.00" after a free-shipping discount is a price, not a missing one.
    return total(
        line.price if line.discounted_price is None else line.discounted_price for line in lines
    )


def _current(after_edits: Decimal | None, as_placed: Decimal) -> Decimal:
    return as_placed if after_edits is None else after_edits


def _address(address: ShopifyAddress | None) -> Address | None:
    if address is None or not (address.address1 and address.city and address.country_code):
        return None
    return Address(
        name=address.name,
        company=address.company,
        line1=address.address1,
        line2=address.address2 or None,
        city=address.city,
        region=address.province_code,
        postal_code=address.zip,
        country_code=address.country_code,
        phone=address.phone,
    )
