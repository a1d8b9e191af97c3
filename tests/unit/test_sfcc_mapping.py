import json
from decimal import Decimal

import pydantic
import pytest

from producers.sfcc.mapping import change_events, order_events, site_source
from producers.sfcc.published import PublishedIds
from retailsync.events import (
    OrderCancelled,
    OrderCreated,
    PaymentCaptured,
    PaymentState,
    Source,
)
from retailsync.events.parse import describe_problems
from sandbox.sfcc import Item, order_document

pytestmark = pytest.mark.unit

SOURCE = site_source("f_ecom_test_001", "RefArch")
ITEMS = (Item("MUG", 2, Decimal("9.50"), Decimal("1.00")), Item("TEE", 1, Decimal("20.00")))


def order_created(body: bytes, *, source: Source, channel: str) -> OrderCreated:
    created = order_events(body, source=source, channel=channel)[0]
    assert isinstance(created, OrderCreated)
    return created


def _body(**options: object) -> bytes:
    return json.dumps(order_document("00001", ITEMS, **options)).encode()  # type: ignore[arg-type]


@pytest.mark.parametrize("taxation", ["net", "gross"])
def test_an_order_maps_with_money_that_adds_up(taxation: str) -> None:
    options = {"taxation": taxation, "order_discount": Decimal("3.00"), "tax_rate": Decimal("0.19")}
    document = json.loads(_body(**options))
    event = order_created(_body(**options), source=SOURCE, channel="us-site")
    assert event.order_ref == "us-site:00001"
    assert event.envelope.channel == "us-site"
    assert event.prices_include_tax is (taxation == "gross")
    assert event.mapping_difference == 0
    assert [line.sku for line in event.lines] == ["MUG", "TEE"]
    mug = event.lines[0]
    # The order promotion (3.00) is spread over the lines as SFCC does: 1.42 of it on 18.00.
    assert (mug.unit_price, mug.discount, mug.total) == (
        Decimal("9.50"), Decimal("2.42"), Decimal("16.58"),
    )  # fmt: skip
    assert mug.tax == Decimal(str(document["productItems"][0]["adjustedTax"]))
    assert mug.tax_lines[0].rate == Decimal("19.00")
    assert (event.order_discount, event.discount_total) == (Decimal(0), Decimal("4.00"))
    assert event.subtotal == Decimal("35.00")
    assert event.tax_total == sum(line.tax for line in event.lines) + event.shipping_tax
    assert event.total == Decimal(str(document["orderTotal"]))
    assert event.payment_state is PaymentState.PAID
    assert event.shipping_method == "001"
    assert event.shipping_address is not None
    assert event.shipping_address.country_code == "US"


def test_the_event_id_is_the_site_and_order_number_whatever_the_order_says() -> None:
    first = order_created(_body(payment_status="not_paid"), source=SOURCE, channel="us")
    again = order_created(_body(payment_status="paid"), source=SOURCE, channel="us")
    other_site = order_created(_body(), source=site_source("f_ecom_test_001", "EU"), channel="eu")
    assert first.envelope.event_id == again.envelope.event_id
    assert first.envelope.event_id != other_site.envelope.event_id


def test_a_malformed_order_names_the_field() -> None:
    document = order_document("00002", ITEMS)
    document["productItems"][0]["quantity"] = 0
    with pytest.raises(pydantic.ValidationError) as caught:
        order_created(json.dumps(document).encode(), source=SOURCE, channel="us")
    assert describe_problems(caught.value, "order").startswith("productItems.0.quantity:")


def test_a_paid_order_is_also_a_capture_per_payment_instrument() -> None:
    events = order_events(_body(payment_status="paid"), source=SOURCE, channel="us")
    created, captured = events
    assert isinstance(captured, PaymentCaptured)
    assert isinstance(created, OrderCreated)
    assert (captured.order_ref, captured.payment_ref, captured.gateway) == (
        "us:00001", "00001-pi", "CREDIT_CARD",
    )  # fmt: skip
    assert captured.amount == created.total
    unpaid = order_events(_body(payment_status="not_paid"), source=SOURCE, channel="us")
    assert [type(e) for e in unpaid] == [OrderCreated]


def test_a_cancelled_order_is_created_then_cancelled_and_restocked() -> None:
    document = order_document("00003", ITEMS, payment_status="not_paid")
    document["status"] = "cancelled"
    events = order_events(json.dumps(document).encode(), source=SOURCE, channel="us")
    assert [type(e) for e in events] == [OrderCreated, OrderCancelled]
    cancelled = events[1]
    assert isinstance(cancelled, OrderCancelled)
    assert (cancelled.order_ref, cancelled.restock) == ("us:00003", True)
    again = order_events(json.dumps(document).encode(), source=SOURCE, channel="us")
    assert [e.envelope.event_id for e in events] == [e.envelope.event_id for e in again]


def _changed(**fields: object) -> bytes:
    document = order_document("00004", ITEMS, payment_status="not_paid")
    document.update({"exportStatus": "exported", "lastModified": "2026-11-30T10:00:00.123Z"})
    document.update(fields)
    return json.dumps(document).encode()


def test_a_change_maps_to_what_the_order_is_now_under_the_export_ids() -> None:
    cancelled_paid = _changed(status="cancelled", paymentStatus="paid")
    events = change_events(cancelled_paid, source=SOURCE, channel="us")
    assert [type(e) for e in events] == [PaymentCaptured, OrderCancelled]
    assert all(
        e.envelope.occurred_at.isoformat().startswith("2026-11-30T10:00:00.123") for e in events
    )
    # As the export would have published them, had the order been so then.
    exported = order_events(cancelled_paid, source=SOURCE, channel="us")[1:]
    assert [e.envelope.event_id for e in events] == [e.envelope.event_id for e in exported]
    later = _changed(status="cancelled", paymentStatus="paid", lastModified="2026-12-01T08:00:00Z")
    assert [e.envelope.event_id for e in change_events(later, source=SOURCE, channel="us")] == [
        e.envelope.event_id for e in events
    ], "a later write to the order is not another cancellation or capture"


def test_a_change_to_neither_cancelled_nor_paid_publishes_nothing() -> None:
    assert change_events(_changed(), source=SOURCE, channel="us") == ()
    assert change_events(_changed(paymentStatus="part_paid"), source=SOURCE, channel="us") == ()


def test_a_change_without_its_stamp_names_the_field() -> None:
    document = json.loads(_changed(status="cancelled"))
    del document["lastModified"]
    with pytest.raises(pydantic.ValidationError) as caught:
        change_events(json.dumps(document).encode(), source=SOURCE, channel="us")
    assert describe_problems(caught.value, "order").startswith("lastModified:")


def test_the_published_ids_forget_the_oldest_beyond_their_size() -> None:
    events = [
        change_events(
            _changed(orderNo=f"0010{n}", status="cancelled"), source=SOURCE, channel="us"
        )[0]
        for n in range(3)
    ]
    published = PublishedIds(size=2)
    published.add(events[:2])
    assert published.unpublished(events) == [events[2]]
    published.add(events[2:])
    assert published.unpublished(events) == [events[0]]
