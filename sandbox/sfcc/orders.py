"""SFCC orders as the Salesforce Commerce API (SCAPI) Orders API returns them, built so that
their amounts add up the way B2C Commerce computes them.

Net taxation (US): ``orderTotal = productTotal + shippingTotal + taxTotal``; gross taxation
(EU): prices include tax and ``orderTotal = productTotal + shippingTotal``. A product item's
``price`` is ``basePrice * quantity``, ``priceAfterItemDiscount`` adds its own (negative)
price adjustments, ``priceAfterOrderDiscount`` its share of the order's adjustments;
``adjustedTax`` is the tax after every discount and the taxes sum to ``taxTotal``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

_CENT = Decimal("0.01")
Taxation = Literal["net", "gross"]
# A payment transaction's authorizationStatus when the payment service authorized it.
AUTHORIZED = {"code": "OK", "message": "Authorized", "status": 0}


def _cents(amount: Decimal) -> Decimal:
    # Commercial rounding, half a cent up, as B2C Commerce rounds money and taxes.
    return amount.quantize(_CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Item:
    """One product line: ``item_discount`` is the line's own promotion, in money."""

    product_id: str
    quantity: int
    base_price: Decimal
    item_discount: Decimal = Decimal(0)
    name: str = ""


def order_document(
    order_no: str,
    items: tuple[Item, ...],
    *,
    currency: str = "USD",
    taxation: Taxation = "net",
    tax_rate: Decimal = Decimal("0.08"),
    shipping: Decimal = Decimal("5.00"),
    order_discount: Decimal = Decimal(0),
    payment_status: str = "paid",
    authorized: bool = False,
    created: datetime | None = None,
) -> dict[str, Any]:
    """A SCAPI Order (``exportStatus: ready``, ``status: new``) with consistent amounts,
    paid with one payment instrument; ``authorized``: its transaction's authorization status
    is OK (the spec's one listed order shows none, only a custom attribute)."""
    created = created or datetime.now(UTC)
    after_item = [_cents(i.base_price * i.quantity - i.item_discount) for i in items]
    sub_total = sum(after_item, Decimal(0))
    # The order discount is spread over the lines in proportion; the last takes the rest.
    shares: list[Decimal] = []
    for index, amount in enumerate(after_item):
        if index == len(after_item) - 1:
            shares.append(order_discount - sum(shares, Decimal(0)))
        else:
            shares.append(_cents(order_discount * amount / sub_total) if sub_total else Decimal(0))
    product_items = []
    for index, (item, amount, share) in enumerate(zip(items, after_item, shares, strict=True)):
        after_order = amount - share
        product_items.append(
            {
                "itemId": f"{order_no}-item-{index + 1}",
                "productId": item.product_id,
                "productName": item.name or item.product_id,
                "quantity": item.quantity,
                "basePrice": float(item.base_price),
                "price": float(_cents(item.base_price * item.quantity)),
                "priceAfterItemDiscount": float(amount),
                "priceAfterOrderDiscount": float(after_order),
                "tax": float(_tax(_cents(item.base_price * item.quantity), tax_rate, taxation)),
                "adjustedTax": float(_tax(after_order, tax_rate, taxation)),
                "taxRate": float(tax_rate),
                "taxBasis": float(after_order),
                "priceAdjustments": (
                    [
                        {
                            "priceAdjustmentId": f"{order_no}-pa-{index + 1}",
                            "price": float(-item.item_discount),
                            "promotionId": "line-promo",
                        }
                    ]
                    if item.item_discount
                    else []
                ),
            }
        )
    shipping_tax = _tax(shipping, tax_rate, taxation)
    tax_total = sum((Decimal(str(p["adjustedTax"])) for p in product_items), shipping_tax)
    product_total = sub_total - order_discount
    order_total = product_total + shipping + (tax_total if taxation == "net" else 0)
    return {
        "orderNo": order_no,
        "currency": currency,
        "creationDate": created.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "lastModified": created.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "status": "new",
        "exportStatus": "ready",
        "paymentStatus": payment_status,
        "confirmationStatus": "confirmed",
        "shippingStatus": "not_shipped",
        "taxation": taxation,
        "customerInfo": {"customerNo": f"C{order_no}", "email": "shopper@example.com"},
        "shipments": [
            {
                "shipmentId": "me",
                "shippingAddress": {
                    "fullName": "Sam Shopper",
                    "address1": "1 Market St",
                    "city": "San Francisco",
                    "postalCode": "94105",
                    "stateCode": "CA",
                    "countryCode": "US",
                },
                "shippingMethod": {"id": "001", "name": "Ground"},
            }
        ],
        "productItems": product_items,
        "shippingItems": [
            {
                "itemId": f"{order_no}-shipping",
                "shipmentId": "me",
                "price": float(shipping),
                "priceAfterItemDiscount": float(shipping),
                "tax": float(shipping_tax),
                "adjustedTax": float(shipping_tax),
                "taxRate": float(tax_rate),
            }
        ],
        "orderPriceAdjustments": (
            [
                {
                    "priceAdjustmentId": f"{order_no}-order-pa",
                    "price": float(-order_discount),
                    "promotionId": "order-promo",
                    "itemText": "Order discount",
                }
            ]
            if order_discount
            else []
        ),
        "productSubTotal": float(sub_total),
        "productTotal": float(product_total),
        "shippingTotal": float(shipping),
        "shippingTotalTax": float(shipping_tax),
        "taxTotal": float(tax_total),
        "orderTotal": float(order_total),
        # The spec's PaymentInstrument has no amount: its transaction has.
        "paymentInstruments": [
            {
                "paymentInstrumentId": f"{order_no}-pi",
                "paymentMethodId": "CREDIT_CARD",
                "paymentTransaction": {
                    "amount": float(order_total),
                    "transactionId": f"{order_no}-txn",
                    **({"authorizationStatus": AUTHORIZED} if authorized else {}),
                },
            }
        ],
    }


def _tax(amount: Decimal, rate: Decimal, taxation: Taxation) -> Decimal:
    if taxation == "net":
        return _cents(amount * rate)
    return _cents(amount - amount / (1 + rate))  # the tax a gross price holds
