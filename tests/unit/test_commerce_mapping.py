"""Each platform's documented sample payloads become the events of the design."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pydantic
import pytest

from producers.commerce.mapping import (
    DeferredError,
    Delivery,
    events_of,
    generic_event,
    micros,
    shopify,
    woocommerce,
)
from producers.commerce.payloads import GenericPayload
from retailsync.errors import InvalidInputError
from retailsync.events import (
    CancelReason,
    CustomerErased,
    CustomerUpserted,
    OrderCancelled,
    OrderCreated,
    OrderEdited,
    OrderRiskAssessed,
    PaymentCaptured,
    PaymentState,
    RefundIssued,
    RefundReason,
    RiskLevel,
    Source,
    SourceSystem,
)
from tests.commerce import SHOPIFY_SAMPLES, WOO_SAMPLES, sample, sample_json

pytestmark = pytest.mark.unit

SHOPIFY = Delivery("e-1", "", Source(system=SourceSystem.SHOPIFY, instance="shop"), "shop-eu")
WOO = Delivery("d-1", "", Source(system=SourceSystem.WOOCOMMERCE, instance="woo"), "woo")


@pytest.mark.parametrize(("name", "topic", "event_type"), SHOPIFY_SAMPLES)
def test_every_shopify_sample_maps_to_its_event(name: str, topic: str, event_type: str) -> None:
    event = shopify.TOPICS[topic](SHOPIFY, sample("shopify", name))
    assert event.envelope.event_type == event_type
    assert event.envelope.channel == "shop-eu"


@pytest.mark.parametrize(("name", "topic", "event_type"), WOO_SAMPLES)
def test_every_woocommerce_sample_maps_to_its_event(name: str, topic: str, event_type: str) -> None:
    *_, event = events_of(woocommerce.TOPICS[topic](WOO, sample("woocommerce", name)))
    assert event.envelope.event_type == event_type


def test_a_shopify_order_keeps_its_lines_totals_and_address() -> None:
    event = shopify.order_created(SHOPIFY, sample("shopify", "orders_create"))
    assert isinstance(event, OrderCreated)
    assert event.order_ref == "shop-eu:820982911946154508"
    assert event.order_number == "#9999"
    assert event.customer_ref == "shop-eu:115310627314723954"
    (line,) = event.lines
    assert (line.sku, line.quantity, line.unit_price) == ("MUG-GREEN", Decimal(2), Decimal("12.90"))
    assert (line.discount, line.tax, line.total) == (
        Decimal("2.58"),
        Decimal("3.71"),
        Decimal("23.22"),
    )
    assert (event.subtotal, event.shipping_total, event.total) == (
        Decimal("23.22"), Decimal("4.90"), Decimal("28.12"),
    )  # fmt: skip
    assert event.prices_include_tax and event.payment_state is PaymentState.AUTHORIZED
    assert event.shipping_address is not None and event.shipping_address.country_code == "DE"
    assert event.shipping_method == "standard"


def test_a_shopify_risk_assessment_names_its_order_level_and_provider() -> None:
    event = shopify.order_risk_assessed(
        SHOPIFY, sample("shopify", "orders_risk_assessment_changed")
    )
    assert isinstance(event, OrderRiskAssessed)
    assert event.order_ref == "shop-eu:820982911946154508"
    assert (event.risk_level, event.provider) == (RiskLevel.HIGH, "Example Fraud Filter")


def test_a_risk_level_shopify_does_not_document_is_refused_naming_the_field() -> None:
    body = sample_json("shopify", "orders_risk_assessment_changed") | {"risk_level": "severe"}
    with pytest.raises(pydantic.ValidationError, match="risk_level"):
        shopify.order_risk_assessed(SHOPIFY, json.dumps(body).encode())


def test_the_event_id_comes_from_the_delivery_identity() -> None:
    body = sample("shopify", "orders_create")
    first = shopify.order_created(SHOPIFY, body)
    again = shopify.order_created(SHOPIFY, body)
    other = shopify.order_created(Delivery("e-2", "", SHOPIFY.source, SHOPIFY.channel), body)
    assert first.envelope.event_id == again.envelope.event_id != other.envelope.event_id


def test_the_trigger_time_is_when_the_event_occurred() -> None:
    at = datetime(2025, 3, 14, 9, 27, tzinfo=UTC)
    delivery = Delivery("e-1", "", SHOPIFY.source, "shop-eu", triggered_at=at)
    event = shopify.payment_captured(delivery, sample("shopify", "orders_paid"))
    assert isinstance(event, PaymentCaptured) and event.envelope.occurred_at == at
    assert event.gateway == "shopify_payments" and event.amount == Decimal("28.12")


def test_a_cancellation_restocks_what_its_refund_put_back() -> None:
    event = shopify.order_cancelled(SHOPIFY, sample("shopify", "orders_cancelled"))
    assert isinstance(event, OrderCancelled)
    assert (event.reason, event.restock) == (CancelReason.CUSTOMER, True)


def test_a_refund_carries_its_lines_transaction_and_currency() -> None:
    event = shopify.refund_issued(SHOPIFY, sample("shopify", "refunds_create"))
    assert isinstance(event, RefundIssued)
    assert (event.refund_ref, event.payment_ref, event.currency) == (
        "890088186047892319",
        "801038806",
        "EUR",
    )
    assert event.amount == Decimal("11.61") and event.shipping_amount == 0
    (line,) = event.lines
    assert (line.sku, line.quantity, line.amount) == ("MUG-GREEN", Decimal(1), Decimal("11.61"))
    assert (event.reason, event.restock) == (RefundReason.UNKNOWN, False)


def test_a_customer_is_versioned_by_its_update_time() -> None:
    created = shopify.customer_upserted(SHOPIFY, sample("shopify", "customers_create"))
    updated = shopify.customer_upserted(SHOPIFY, sample("shopify", "customers_update"))
    assert isinstance(created, CustomerUpserted) and isinstance(updated, CustomerUpserted)
    assert (created.envelope.source_version or 0) < (updated.envelope.source_version or 0)
    assert created.accepts_marketing and not updated.accepts_marketing
    assert created.company == "Example GmbH"
    assert "customer@example.com" not in repr(created)  # personal data stays out of logs


def test_woocommerce_amounts_are_net_as_the_shop_prices() -> None:
    event = woocommerce.order_created(WOO, sample("woocommerce", "order_created"))
    assert isinstance(event, OrderCreated)
    assert not event.prices_include_tax and event.payment_state is PaymentState.PAID
    first, second = event.lines
    assert (first.sku, first.unit_price, first.total) == ("WOO-SINGLE-1", Decimal(3), Decimal(6))
    assert second.sku == "woocommerce-product:22"  # a product without an SKU keeps an identity
    assert (event.subtotal, event.shipping_total, event.total) == (
        Decimal(18),
        Decimal(10),
        Decimal("29.35"),
    )
    assert event.envelope.source.instance == "woo"


def test_gross_woocommerce_prices_include_the_line_tax() -> None:
    body = dict(sample_json("woocommerce", "order_created"), prices_include_tax=True)
    event = woocommerce.order_created(WOO, json.dumps(body).encode())
    assert isinstance(event, OrderCreated)
    assert event.lines[0].unit_price == Decimal("3.225") and event.lines[0].total == Decimal("6.45")


@pytest.mark.parametrize(
    ("change", "event_type"),
    [
        ({"status": "cancelled"}, "order_cancelled"),
        ({"refunds": [{"id": 731, "reason": "damaged", "total": "-5.00"}]}, "refund_issued"),
        ({"status": "completed"}, "payment_captured"),
        ({"status": "on-hold", "date_paid_gmt": None}, None),
    ],
)
def test_a_woocommerce_update_maps_to_what_its_state_shows(
    change: dict[str, object], event_type: str | None
) -> None:
    body = json.dumps(sample_json("woocommerce", "order_updated") | change).encode()
    # The order itself first: it may be the first delivery that carries its lines; then
    # its lines as they are now, in case an edit changed them.
    created, edited, *changes = events_of(woocommerce.order_updated(WOO, body))
    assert isinstance(created, OrderCreated) and created.order_ref == "woo:727"
    assert isinstance(edited, OrderEdited) and edited.lines == created.lines
    event = changes[0] if changes else None
    assert (event.envelope.event_type if event else None) == event_type
    if isinstance(event, RefundIssued):
        assert event.amount == Decimal(5) and event.refund_ref == "731"


def test_a_woocommerce_customer_is_versioned_by_its_gmt_modification_time() -> None:
    event = woocommerce.customer_upserted(WOO, sample("woocommerce", "customer_updated"))
    assert isinstance(event, CustomerUpserted)
    assert event.envelope.source_version == micros(datetime(2025, 3, 15, 7, tzinfo=UTC))
    assert event.default_address is not None and event.default_address.country_code == "US"


def test_a_generic_payload_is_the_event_itself() -> None:
    payload = GenericPayload.model_validate_json(sample("generic", "order_created"))
    event = generic_event("msg_1", payload)
    assert isinstance(event, OrderCreated) and event.order_ref == "marketplace-eu:MP-5001"
    assert event.envelope.channel == "marketplace-eu"
    assert generic_event("msg_1", payload).envelope.event_id == event.envelope.event_id


def test_an_order_without_lines_is_invalid_and_says_where() -> None:
    body = json.dumps(sample_json("shopify", "orders_create") | {"line_items": []}).encode()
    with pytest.raises(pydantic.ValidationError) as caught:
        shopify.order_created(SHOPIFY, body)
    assert caught.value.errors()[0]["loc"] == ("lines",)


def test_a_shopify_order_update_is_the_order_edited_to_its_current_lines() -> None:
    event = shopify.order_edited(SHOPIFY, sample("shopify", "orders_updated"))
    assert isinstance(event, OrderEdited)
    assert event.order_ref == "shop-eu:820982911946154508"
    # The edit removed one of two mugs: the line's discount and tax follow in proportion.
    (line,) = event.lines
    assert (line.sku, line.quantity) == ("MUG-GREEN", Decimal(1))
    assert (line.discount, line.tax, line.total) == (
        Decimal("1.29"),
        Decimal("1.855"),
        Decimal("11.61"),
    )
    assert (event.subtotal, event.total) == (Decimal("11.61"), Decimal("16.51"))
    updated = datetime(2025, 3, 14, 10, 2, 10, tzinfo=UTC)
    assert event.envelope.source_version == micros(updated)
    assert event.test


def test_a_line_an_edit_removed_is_absent_from_the_edited_order() -> None:
    body = sample_json("shopify", "orders_updated")
    body["line_items"][0]["current_quantity"] = 0
    event = shopify.order_edited(SHOPIFY, json.dumps(body).encode())
    assert isinstance(event, OrderEdited) and event.lines == ()


def test_a_shopify_order_edit_of_deltas_is_deferred_to_its_order_update() -> None:
    with pytest.raises(DeferredError, match="orders/updated"):
        shopify.TOPICS["orders/edited"](SHOPIFY, sample("shopify", "orders_edited"))
    with pytest.raises(pydantic.ValidationError):
        shopify.TOPICS["orders/edited"](SHOPIFY, b'{"order_edit": {}}')


@pytest.mark.parametrize(("test", "marked"), [(True, True), (False, False), (None, False)])
def test_a_shopify_test_order_is_marked_as_one(test: bool | None, marked: bool) -> None:
    body = sample_json("shopify", "orders_create")
    if test is None:
        del body["test"]
    else:
        body["test"] = test
    event = shopify.order_created(SHOPIFY, json.dumps(body).encode())
    assert isinstance(event, OrderCreated) and event.test is marked


def test_a_shopify_redaction_is_the_customers_erasure_without_personal_data() -> None:
    event = shopify.TOPICS["customers/redact"](SHOPIFY, sample("shopify", "customers_redact"))
    assert isinstance(event, CustomerErased)
    assert event.customer_ref == "shop-eu:706405506930370084"
    assert event.TOMBSTONE_OF == "customer_upserted"
    said = event.model_dump_json()
    assert "customer@example.com" not in said and "+15555550100" not in said


# --- amounts that add up: tax lines, shipping, fees, currencies -----------------------------


def _shopify_order(**changes: object) -> OrderCreated:
    body = json.dumps(sample_json("shopify", "orders_create") | changes).encode()
    event = shopify.order_created(SHOPIFY, body)
    assert isinstance(event, OrderCreated)
    return event


def _woo_order(**changes: object) -> OrderCreated:
    body = json.dumps(sample_json("woocommerce", "order_created") | changes).encode()
    event = woocommerce.order_created(WOO, body)
    assert isinstance(event, OrderCreated)
    return event


def test_a_shopify_order_carries_the_tax_lines_of_its_lines_and_shipping() -> None:
    event = _shopify_order()
    [line] = event.lines
    assert [(t.title, t.rate, t.amount) for t in line.tax_lines] == [
        ("MwSt", Decimal(19), Decimal("3.71"))
    ]
    assert event.shipping_tax == Decimal("0.78")
    assert [(t.title, t.rate, t.amount) for t in event.shipping_tax_lines] == [
        ("MwSt", Decimal(19), Decimal("0.78"))
    ]
    assert (event.order_discount, event.mapping_difference) == (Decimal(0), Decimal(0))


def test_free_shipping_is_a_shipping_total_of_zero_not_the_full_price() -> None:
    order = sample_json("shopify", "orders_create")
    [shipping] = order["shipping_lines"]
    free = {**shipping, "discounted_price": "0.00", "tax_lines": [], "discount_allocations": [
        {"amount": "4.90", "discount_application_index": 1}
    ]}  # fmt: skip
    event = _shopify_order(
        shipping_lines=[free], total_price="23.22", total_tax="3.71", total_discounts="7.48"
    )
    assert (event.shipping_total, event.shipping_tax) == (Decimal(0), Decimal(0))
    assert event.total == Decimal("23.22")
    assert event.mapping_difference == 0


def test_two_rates_on_one_shopify_line_are_two_tax_lines() -> None:
    # A Canadian order: GST 5 % and British Columbia's PST 7 % on one net-priced line.
    order = sample_json("shopify", "orders_create")
    [item] = order["line_items"]
    taxed = {**item, "price": "50.00", "quantity": 1, "total_discount": "0.00",
             "discount_allocations": [], "tax_lines": [
                 {"title": "GST", "rate": 0.05, "price": "2.50"},
                 {"title": "BC PST", "rate": 0.07, "price": "3.50"},
             ]}  # fmt: skip
    event = _shopify_order(
        currency="CAD", taxes_included=False, line_items=[taxed], shipping_lines=[],
        subtotal_price="50.00", total_tax="6.00", total_discounts="0.00", total_price="56.00",
    )  # fmt: skip
    [line] = event.lines
    assert [(t.title, t.rate) for t in line.tax_lines] == [
        ("GST", Decimal(5)),
        ("BC PST", Decimal(7)),
    ]
    assert line.tax == Decimal("6.00") and event.mapping_difference == 0


def test_a_shopify_order_that_does_not_add_up_is_published_with_the_difference() -> None:
    # A tip is part of total_price and is nowhere else in the event.
    event = _shopify_order(total_price="30.12", total_tip_received="2.00")
    assert event.total == Decimal("30.12")
    assert event.mapping_difference == Decimal("-2.00")


def test_a_refund_in_another_currency_carries_the_shops_money() -> None:
    # The customer paid in CAD; the lines' plain amounts are the shop's EUR figures.
    refund = sample_json("shopify", "refunds_create")
    [transaction] = refund["transactions"]
    body = refund | {"transactions": [{**transaction, "amount": "17.40", "currency": "CAD"}]}
    event = shopify.refund_issued(SHOPIFY, json.dumps(body).encode())
    assert isinstance(event, RefundIssued)
    assert (event.currency, event.amount) == ("EUR", Decimal("11.61"))


WOO_VAT = {"id": 318, "rate_code": "DE-MWST-1", "rate_id": 75, "label": "MwSt",
           "compound": False, "tax_total": "1.35", "shipping_tax_total": "0.00",
           "rate_percent": 7.5}  # fmt: skip


def test_a_woocommerce_line_names_its_rate_from_the_orders_tax_lines() -> None:
    event = _woo_order(tax_lines=[WOO_VAT])
    assert [(t.title, t.rate, t.amount) for t in event.lines[0].tax_lines] == [
        ("MwSt", Decimal("7.5"), Decimal("0.45"))
    ]
    assert event.mapping_difference == 0


def test_a_woocommerce_rate_the_order_does_not_list_is_refused_naming_the_field() -> None:
    with pytest.raises(InvalidInputError) as caught:
        _woo_order(tax_lines=[{**WOO_VAT, "rate_id": 76}])
    assert caught.value.field == "line_items[].taxes[].id"


@pytest.mark.parametrize(
    ("fee", "total"),
    [
        ({"name": "Cash on delivery", "total": "2.00", "total_tax": "0.00"}, "31.35"),
        ({"name": "Loyalty discount", "total": "-5.00", "total_tax": "0.00"}, "24.35"),
    ],
)
def test_woocommerce_fees_count_towards_the_total(fee: dict[str, str], total: str) -> None:
    event = _woo_order(fee_lines=[{"id": 9, "taxes": [], **fee}], total=total)
    [mapped] = event.fee_lines
    assert (mapped.title, mapped.amount) == (fee["name"], Decimal(fee["total"]))
    assert event.mapping_difference == 0


def test_a_dropped_woocommerce_fee_would_show_as_a_difference() -> None:
    event = _woo_order(total="31.35")  # a 2.00 fee the body does not list
    assert event.mapping_difference == Decimal("-2.00")
