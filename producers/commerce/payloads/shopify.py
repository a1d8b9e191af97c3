"""Shopify's webhook payloads (REST Admin API resources): orders/create, orders/updated,
orders/paid and orders/cancelled carry an Order, orders/edited an OrderEdit, refunds/create
a Refund, orders/risk_assessment_changed a risk assessment, customers/create and
customers/update a Customer, customers/redact a redaction request."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import AwareDatetime, Field

from producers.commerce.payloads.base import (
    Amount,
    Code,
    Count,
    Payload,
    PlatformId,
    Rate,
    RefundCount,
    SignedAmount,
)


class ShopifyAddress(Payload):
    name: str | None = Field(None, repr=False)
    company: str | None = None
    address1: str | None = Field(None, repr=False)
    address2: str | None = Field(None, repr=False)
    city: str | None = None
    province_code: str | None = None
    zip: str | None = None
    country_code: str | None = None
    phone: str | None = Field(None, repr=False)


class TaxLine(Payload):
    """A tax on a line item or a shipping line: ``rate`` is a fraction (0.19 for 19 %)."""

    price: Amount
    rate: Rate = Decimal(0)
    title: str = ""


class DiscountAllocation(Payload):
    amount: Amount


class LineItem(Payload):
    id: PlatformId
    variant_id: PlatformId | None = None
    sku: Code | None = None
    title: str
    quantity: Count
    # What is left of the line after order edits removed units; absent in older payloads.
    current_quantity: RefundCount | None = None
    price: Amount
    total_discount: Amount = Decimal(0)
    discount_allocations: tuple[DiscountAllocation, ...] = ()
    tax_lines: tuple[TaxLine, ...] = ()


class ShippingLine(Payload):
    title: Code | None = None
    code: Code | None = None
    price: Amount
    # After shipping discounts: "0.00" with free shipping (not absent, and not the price).
    discounted_price: Amount | None = None
    tax_lines: tuple[TaxLine, ...] = ()


class CustomerId(Payload):
    id: PlatformId


class Money(Payload):
    amount: Amount
    currency_code: Code


class MoneySet(Payload):
    shop_money: Money


class RefundLineItem(Payload):
    line_item_id: PlatformId
    quantity: RefundCount
    restock_type: Code | None = None
    subtotal: Amount
    subtotal_set: MoneySet | None = None
    total_tax: Amount
    line_item: LineItem | None = None


class Transaction(Payload):
    id: PlatformId
    kind: Code
    status: Code | None = None
    amount: Amount
    currency: Code | None = None
    gateway: Code | None = None
    parent_id: PlatformId | None = None


class OrderAdjustment(Payload):
    amount: SignedAmount  # negative: money taken back, e.g. a shipping refund
    tax_amount: SignedAmount = Decimal(0)
    kind: Code | None = None


class ShopifyRefund(Payload):
    id: PlatformId
    order_id: PlatformId
    created_at: AwareDatetime
    processed_at: AwareDatetime | None = None
    refund_line_items: tuple[RefundLineItem, ...] = ()
    transactions: tuple[Transaction, ...] = ()
    order_adjustments: tuple[OrderAdjustment, ...] = ()
    # The return this refund settles, if any; only its presence is read.
    return_: dict[str, object] | None = Field(None, alias="return")


class ShopifyOrder(Payload):
    id: PlatformId
    name: Code | None = None
    created_at: AwareDatetime
    updated_at: AwareDatetime | None = None
    cancelled_at: AwareDatetime | None = None
    cancel_reason: Code | None = None
    currency: Code
    total_price: Amount
    subtotal_price: Amount
    total_tax: Amount
    total_discounts: Amount = Decimal(0)
    # After order edits; absent in older payloads, where the amounts above still hold.
    current_subtotal_price: Amount | None = None
    current_total_price: Amount | None = None
    current_total_tax: Amount | None = None
    current_total_discounts: Amount | None = None
    taxes_included: bool
    financial_status: Code | None = None
    payment_gateway_names: tuple[Code, ...] = ()
    line_items: tuple[LineItem, ...]
    shipping_lines: tuple[ShippingLine, ...] = ()
    shipping_address: ShopifyAddress | None = Field(None, repr=False)
    customer: CustomerId | None = None
    refunds: tuple[ShopifyRefund, ...] = ()
    # A test order: placed in test mode or through a test gateway.
    test: bool = False


class OrderEditBody(Payload):
    order_id: PlatformId


class ShopifyOrderEdit(Payload):
    """orders/edited: what an order edit added and removed, as deltas of line items."""

    order_edit: OrderEditBody


class MarketingConsent(Payload):
    state: Code | None = None


class ShopifyCustomer(Payload):
    id: PlatformId
    email: str | None = Field(None, repr=False)
    phone: str | None = Field(None, repr=False)
    first_name: str | None = Field(None, repr=False)
    last_name: str | None = Field(None, repr=False)
    created_at: AwareDatetime
    updated_at: AwareDatetime
    accepts_marketing: bool | None = None
    email_marketing_consent: MarketingConsent | None = None
    default_address: ShopifyAddress | None = Field(None, repr=False)


class RedactedCustomer(Payload):
    id: PlatformId


class ShopifyRedaction(Payload):
    """customers/redact (a GDPR compliance webhook): erase the customer's personal data.
    Its email, phone and ``orders_to_redact`` are not read."""

    customer: RedactedCustomer


class ShopifyRiskAssessment(Payload):
    """orders/risk_assessment_changed: Shopify's or a fraud app's assessment of an order
    (the Risk Assessments API, 2024-04 on). Its ``facts`` are read by the API, not sent."""

    order_id: PlatformId
    risk_level: Literal["none", "low", "medium", "high", "pending"]
    provider_title: Code | None = None
    created_at: AwareDatetime | None = None
