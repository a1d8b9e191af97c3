"""Shopify's webhook payloads (REST Admin API resources): orders/create, orders/paid and
orders/cancelled carry an Order, refunds/create a Refund, customers/create and
customers/update a Customer."""

from __future__ import annotations

from decimal import Decimal

from pydantic import AwareDatetime, Field

from producers.commerce.payloads.base import Payload


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
    price: Decimal


class DiscountAllocation(Payload):
    amount: Decimal


class LineItem(Payload):
    id: int
    variant_id: int | None = None
    sku: str | None = None
    title: str
    quantity: int
    price: Decimal
    total_discount: Decimal = Decimal(0)
    discount_allocations: tuple[DiscountAllocation, ...] = ()
    tax_lines: tuple[TaxLine, ...] = ()


class ShippingLine(Payload):
    title: str | None = None
    code: str | None = None
    price: Decimal
    discounted_price: Decimal | None = None


class CustomerId(Payload):
    id: int


class Money(Payload):
    amount: Decimal
    currency_code: str


class MoneySet(Payload):
    shop_money: Money


class RefundLineItem(Payload):
    line_item_id: int
    quantity: int
    restock_type: str | None = None
    subtotal: Decimal
    subtotal_set: MoneySet | None = None
    total_tax: Decimal
    line_item: LineItem | None = None


class Transaction(Payload):
    id: int
    kind: str
    status: str | None = None
    amount: Decimal
    currency: str | None = None
    gateway: str | None = None
    parent_id: int | None = None


class OrderAdjustment(Payload):
    amount: Decimal
    tax_amount: Decimal = Decimal(0)
    kind: str | None = None


class ShopifyRefund(Payload):
    id: int
    order_id: int
    created_at: AwareDatetime
    processed_at: AwareDatetime | None = None
    refund_line_items: tuple[RefundLineItem, ...] = ()
    transactions: tuple[Transaction, ...] = ()
    order_adjustments: tuple[OrderAdjustment, ...] = ()
    # The return this refund settles, if any; only its presence is read.
    return_: dict[str, object] | None = Field(None, alias="return")


class ShopifyOrder(Payload):
    id: int
    name: str | None = None
    created_at: AwareDatetime
    updated_at: AwareDatetime | None = None
    cancelled_at: AwareDatetime | None = None
    cancel_reason: str | None = None
    currency: str
    total_price: Decimal
    subtotal_price: Decimal
    total_tax: Decimal
    total_discounts: Decimal = Decimal(0)
    taxes_included: bool
    financial_status: str | None = None
    payment_gateway_names: tuple[str, ...] = ()
    line_items: tuple[LineItem, ...]
    shipping_lines: tuple[ShippingLine, ...] = ()
    shipping_address: ShopifyAddress | None = Field(None, repr=False)
    customer: CustomerId | None = None
    refunds: tuple[ShopifyRefund, ...] = ()


class MarketingConsent(Payload):
    state: str | None = None


class ShopifyCustomer(Payload):
    id: int
    email: str | None = Field(None, repr=False)
    phone: str | None = Field(None, repr=False)
    first_name: str | None = Field(None, repr=False)
    last_name: str | None = Field(None, repr=False)
    created_at: AwareDatetime
    updated_at: AwareDatetime
    accepts_marketing: bool | None = None
    email_marketing_consent: MarketingConsent | None = None
    default_address: ShopifyAddress | None = Field(None, repr=False)
