"""One example of every event type, with clearly fake data: for tests, benchmarks, the
sandbox's traffic, and as a reference for how each event is built."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from retailsync.events.address import Address
from retailsync.events.customers import CustomerUpserted
from retailsync.events.envelope import Envelope, Event, Source, SourceSystem
from retailsync.events.inventory import AdjustmentReason, InventoryAdjusted
from retailsync.events.invoices import OrderInvoiced
from retailsync.events.orders import (
    CancelReason,
    OrderCancelled,
    OrderCreated,
    OrderEdited,
    OrderLine,
    OrderRiskAssessed,
    PaymentState,
    RiskLevel,
    TaxLine,
)
from retailsync.events.payments import (
    PaymentAuthorized,
    PaymentCaptured,
    RefundIssued,
    RefundLine,
    RefundReason,
)
from retailsync.events.payouts import PayoutPaid, PayoutTransaction, PayoutTransactionKind
from retailsync.events.products import PriceChanged, ProductUpserted
from retailsync.events.returns import ItemCondition, ReturnLine, ReturnReason, ReturnReceived
from retailsync.events.shipments import (
    AllocatedLine,
    OrderAllocated,
    ShipmentDispatched,
    ShippedLine,
)

SHOP = Source(system=SourceSystem.SHOPIFY, instance="example-shop.example.com")
ODOO = Source(system=SourceSystem.ODOO, instance="example-db")
CHANNEL = "shop-eu"
ORDER_REF = f"{CHANNEL}:1001"
AT = datetime(2025, 3, 14, 9, 26, 53, 589793, tzinfo=UTC)
VERSION = 1_741_944_413_589_793  # AT in microseconds, as a source_version would be

_ADDRESS = Address(
    name="Example Customer",
    line1="1 Example Street",
    city="Köln",
    postal_code="50667",
    country_code="DE",
    phone="+15555550100",
)


def _from_shop(event: type[Event], source_ref: str) -> Envelope:
    return event.new_envelope(
        source=SHOP, source_ref=source_ref, occurred_at=AT, source_version=VERSION, channel=CHANNEL
    )


def _from_odoo(event: type[Event], source_ref: str) -> Envelope:
    return event.new_envelope(
        source=ODOO, source_ref=source_ref, occurred_at=AT, source_version=VERSION
    )


def _vat(amount: Decimal) -> TaxLine:
    return TaxLine(title="MwSt. 19%", rate=Decimal(19), amount=amount)


def example_events() -> tuple[Event, ...]:
    """One valid event of each type, in catalogue order."""
    return (
        OrderCreated(
            envelope=_from_shop(OrderCreated, "gid://shopify/Order/1001"),
            order_ref=ORDER_REF,
            order_number="#1001",
            customer_ref=f"{CHANNEL}:501",
            currency="EUR",
            prices_include_tax=True,
            lines=(
                OrderLine(
                    line_ref="9001",
                    sku="MUG-GREEN",
                    title="Grüne Tasse ☕",
                    quantity=Decimal(2),
                    unit_price=Decimal("12.90"),
                    discount=Decimal("2.58"),
                    tax=Decimal("3.71"),
                    total=Decimal("23.22"),
                    tax_lines=(_vat(Decimal("3.71")),),
                ),
            ),
            subtotal=Decimal("23.22"),
            shipping_total=Decimal("4.90"),
            discount_total=Decimal("2.58"),
            tax_total=Decimal("4.49"),
            total=Decimal("28.12"),
            shipping_address=_ADDRESS,
            shipping_method="standard",
            payment_state=PaymentState.AUTHORIZED,
            shipping_tax=Decimal("0.78"),
            shipping_tax_lines=(_vat(Decimal("0.78")),),
            order_discount=Decimal(0),
            mapping_difference=Decimal(0),
        ),
        OrderEdited(
            envelope=_from_shop(OrderEdited, "gid://shopify/Order/1001"),
            order_ref=ORDER_REF,
            currency="EUR",
            prices_include_tax=True,
            lines=(
                OrderLine(
                    line_ref="9001",
                    sku="MUG-GREEN",
                    title="Grüne Tasse ☕",
                    quantity=Decimal(3),
                    unit_price=Decimal("12.90"),
                    discount=Decimal("3.87"),
                    tax=Decimal("5.56"),
                    total=Decimal("34.83"),
                    tax_lines=(_vat(Decimal("5.56")),),
                ),
            ),
            subtotal=Decimal("34.83"),
            shipping_total=Decimal("4.90"),
            discount_total=Decimal("3.87"),
            tax_total=Decimal("6.34"),
            total=Decimal("39.73"),
        ),
        OrderCancelled(
            envelope=_from_shop(OrderCancelled, "gid://shopify/Order/1002"),
            order_ref=f"{CHANNEL}:1002",
            reason=CancelReason.CUSTOMER,
            restock=True,
        ),
        OrderRiskAssessed(
            envelope=_from_shop(OrderRiskAssessed, "gid://shopify/Order/1001"),
            order_ref=ORDER_REF,
            risk_level=RiskLevel.HIGH,
            provider="Example Fraud Filter",
            facts=("The billing address is far from the IP address's location",),
        ),
        OrderAllocated(
            envelope=_from_odoo(OrderAllocated, "stock.picking/77"),
            order_ref=ORDER_REF,
            delivery_ref="WH/OUT/00042",
            warehouse="WH",
            lines=(AllocatedLine(sku="MUG-GREEN", quantity=Decimal(2)),),
        ),
        OrderInvoiced(
            envelope=_from_odoo(OrderInvoiced, "account.move/31"),
            order_ref=ORDER_REF,
            invoice_ref="INV/2025/00031",
            currency="EUR",
            amount_untaxed=Decimal("23.63"),
            amount_tax=Decimal("4.49"),
            amount_total=Decimal("28.12"),
        ),
        PaymentAuthorized(
            envelope=_from_shop(PaymentAuthorized, "gid://shopify/Order/1001"),
            order_ref=ORDER_REF,
            payment_ref="auth-7001",
            gateway="example_gateway",
            currency="EUR",
            amount=Decimal("28.12"),
            expires_at=datetime(2025, 3, 21, 9, 26, 53, tzinfo=UTC),
        ),
        PaymentCaptured(
            envelope=_from_shop(PaymentCaptured, "gid://shopify/Order/1001"),
            order_ref=ORDER_REF,
            payment_ref="capture-7002",
            authorization_ref="auth-7001",
            gateway="example_gateway",
            currency="EUR",
            amount=Decimal("28.12"),
        ),
        RefundIssued(
            envelope=_from_shop(RefundIssued, "gid://shopify/Refund/3001"),
            order_ref=ORDER_REF,
            refund_ref="3001",
            payment_ref="capture-7002",
            currency="EUR",
            amount=Decimal("11.61"),
            shipping_amount=Decimal(0),
            lines=(
                RefundLine(
                    line_ref="9001", sku="MUG-GREEN", quantity=Decimal(1), amount=Decimal("11.61")
                ),
            ),
            reason=RefundReason.RETURN,
            restock=True,
        ),
        PayoutPaid(
            envelope=_from_shop(PayoutPaid, "gid://shopify/ShopifyPaymentsPayout/5001"),
            payout_ref="example-shop:5001",
            gateway="shopify_payments",
            currency="EUR",
            issued_at=AT,
            amount=Decimal("15.34"),
            transactions=(
                PayoutTransaction(
                    transaction_ref="6001",
                    kind=PayoutTransactionKind.CHARGE,
                    order_ref=ORDER_REF,
                    payment_ref="capture-7002",
                    amount=Decimal("28.12"),
                    fee=Decimal("1.17"),
                    net=Decimal("26.95"),
                ),
                PayoutTransaction(
                    transaction_ref="6002",
                    kind=PayoutTransactionKind.REFUND,
                    order_ref=ORDER_REF,
                    payment_ref="3001",
                    amount=Decimal("-11.61"),
                    fee=Decimal(0),
                    net=Decimal("-11.61"),
                ),
            ),
        ),
        InventoryAdjusted(
            envelope=_from_odoo(InventoryAdjusted, "stock.quant/42"),
            sku="MUG-GREEN",
            location="WH/Stock",
            warehouse="WH",
            on_hand=Decimal(120),
            reserved=Decimal(7),
            available=Decimal(113),
            unit_of_measure="Units",
            reason=AdjustmentReason.DELIVERY,
        ),
        ShipmentDispatched(
            envelope=_from_odoo(ShipmentDispatched, "stock.picking/77"),
            order_ref=ORDER_REF,
            shipment_ref="WH/OUT/00042",
            warehouse="WH",
            carrier="Example Parcel",
            service="Express",
            tracking_number="EX123456789DE",
            tracking_url="https://tracking.example.com/EX123456789DE",
            lines=(
                ShippedLine(
                    line_ref="9001",
                    sku="MUG-GREEN",
                    quantity=Decimal(2),
                    odoo_line_ref="sale.order.line/42",
                ),
            ),
        ),
        ReturnReceived(
            envelope=_from_odoo(ReturnReceived, "stock.picking/78"),
            order_ref=ORDER_REF,
            return_ref="WH/IN/00007",
            warehouse="WH",
            currency="EUR",
            lines=(
                ReturnLine(
                    line_ref="9001",
                    sku="MUG-GREEN",
                    quantity=Decimal(1),
                    reason=ReturnReason.DAMAGED,
                    condition=ItemCondition.DAMAGED,
                    restock=False,
                    amount=Decimal("11.61"),
                    odoo_line_ref="sale.order.line/42",
                ),
            ),
            refund_total=Decimal("11.61"),
        ),
        ProductUpserted(
            envelope=_from_odoo(ProductUpserted, "product.product/12"),
            sku="MUG-GREEN",
            template_ref="product.template/5",
            name="Grüne Tasse",
            description="Stoneware mug, 300 ml.",
            barcode="4006381333931",
            category="All / Kitchen / Mugs",
            attributes={"colour": "green"},
            unit_of_measure="Units",
            weight_kg=Decimal("0.35"),
            currency="EUR",
            list_price=Decimal("12.90"),
            active=True,
        ),
        PriceChanged(
            envelope=_from_odoo(PriceChanged, "product.pricelist.item/3"),
            sku="MUG-GREEN",
            pricelist="Spring Sale",
            currency="EUR",
            price=Decimal("9.90"),
            compare_at_price=Decimal("12.90"),
            valid_from=datetime(2025, 3, 20, tzinfo=UTC),
            valid_until=datetime(2025, 4, 1, tzinfo=UTC),
        ),
        CustomerUpserted(
            envelope=_from_shop(CustomerUpserted, "gid://shopify/Customer/501"),
            customer_ref=f"{CHANNEL}:501",
            email="customer@example.com",
            phone="+15555550100",
            first_name="Example",
            last_name="Customer",
            locale="de-DE",
            accepts_marketing=False,
            default_address=_ADDRESS,
        ),
    )
