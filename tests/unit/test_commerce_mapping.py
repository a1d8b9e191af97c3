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
from retailsync.events import (
    CancelReason,
    CustomerErased,
    CustomerUpserted,
    OrderCancelled,
    OrderCreated,
    OrderEdited,
    PaymentCaptured,
    PaymentState,
    RefundIssued,
    RefundReason,
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
