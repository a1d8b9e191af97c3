"""SFCC orders as the SCAPI Orders API (v1) returns them: the fields the mapping reads, in
the API's camelCase, bounded as the events can carry them (``producers.commerce.payloads``)."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import AwareDatetime, ConfigDict, Field
from pydantic.alias_generators import to_camel

from producers.commerce.payloads.base import Amount, Code, Count, Payload, Rate, SignedAmount
from retailsync.events.fields import Currency


class SfccPayload(Payload):
    """A SCAPI object: its fields are written in camelCase; errors name them so."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class SfccAddress(SfccPayload):
    full_name: str | None = Field(None, repr=False)
    first_name: str | None = Field(None, repr=False)
    last_name: str | None = Field(None, repr=False)
    company_name: str | None = None
    address1: str | None = Field(None, repr=False)
    address2: str | None = Field(None, repr=False)
    city: str | None = None
    postal_code: str | None = None
    state_code: str | None = None
    country_code: str | None = None
    phone: str | None = Field(None, repr=False)


class PriceAdjustment(SfccPayload):
    """A promotion's effect: ``price`` is negative for a discount."""

    price: SignedAmount
    promotion_id: Code | None = None


class ProductItem(SfccPayload):
    """``price`` is ``base_price * quantity``; ``price_after_item_discount`` after the
    line's own promotions, ``price_after_order_discount`` after its share of the order's;
    ``adjusted_tax`` is the tax after every discount."""

    item_id: Code
    product_id: Code
    product_name: str = ""
    quantity: Count
    base_price: Amount
    price: Amount
    price_after_item_discount: Amount
    # After its share of the order's promotions too; what its adjusted_tax is taxed on.
    price_after_order_discount: Amount | None = None
    adjusted_tax: Amount = Decimal(0)
    tax_rate: Rate = Decimal(0)


class ShippingItem(SfccPayload):
    item_id: Code
    price: Amount
    price_after_item_discount: Amount | None = None
    adjusted_tax: Amount = Decimal(0)
    tax_rate: Rate = Decimal(0)


class ShippingMethod(SfccPayload):
    id: Code


class Shipment(SfccPayload):
    shipping_address: SfccAddress | None = None
    shipping_method: ShippingMethod | None = None


class CustomerInfo(SfccPayload):
    customer_no: Code | None = None


class Status(SfccPayload):
    """A SCAPI status: ``status`` 0 is OK, 1 ERROR, 2 WARN."""

    status: Literal[0, 1, 2] | None = None


class PaymentTransaction(SfccPayload):
    """An instrument's transaction at the payment service. The spec documents no capture
    state or captured amount: ``amount`` is what the transaction is for."""

    amount: Amount | None = None
    authorization_status: Status | None = None
    transaction_id: Code | None = Field(None, min_length=1)

    @property
    def authorized(self) -> bool:
        """The payment service authorized it (its authorization status is OK)."""
        return self.authorization_status is not None and self.authorization_status.status == 0


class PaymentInstrument(SfccPayload):
    """An order's payment instrument; its amount is its transaction's (the spec's
    PaymentInstrument has no amount of its own)."""

    payment_instrument_id: Code = Field(min_length=1)
    payment_method_id: Code = "unknown"
    payment_transaction: PaymentTransaction | None = None


class SfccOrder(SfccPayload):
    """An order as ``getOrders`` lists it. ``taxation`` ``gross``: prices include tax."""

    order_no: Code = Field(min_length=1)
    currency: Currency
    creation_date: AwareDatetime
    status: str
    payment_status: Literal["not_paid", "part_paid", "paid"] | None = None
    taxation: Literal["net", "gross"] = "net"
    customer_info: CustomerInfo | None = None
    shipments: tuple[Shipment, ...] = ()
    product_items: tuple[ProductItem, ...] = Field(min_length=1)
    shipping_items: tuple[ShippingItem, ...] = ()
    order_price_adjustments: tuple[PriceAdjustment, ...] = ()
    payment_instruments: tuple[PaymentInstrument, ...] = ()
    shipping_total: Amount
    shipping_total_tax: Amount = Decimal(0)
    tax_total: Amount
    order_total: Amount


class OrderStamp(SfccPayload):
    """When an order last changed: what pages the change poll's listing."""

    order_no: Code = Field(min_length=1)
    last_modified: AwareDatetime


class ChangedOrder(SfccOrder):
    """An exported order as the change poll lists it: with when it last changed."""

    last_modified: AwareDatetime
