import json
from decimal import Decimal

import pydantic
import pytest

from producers.sfcc.mapping import change_events, order_events, site_source
from producers.sfcc.published import PublishedIds
from retailsync.errors import InvalidInputError
from retailsync.events import (
    OrderCancelled,
    OrderCreated,
    PaymentAuthorized,
    PaymentCaptured,
    PaymentState,
    Source,
)
from retailsync.events.parse import describe_problems
from sandbox.sfcc import Item, order_document
from sandbox.sfcc.orders import AUTHORIZED

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


def _paid_by_two(payment_status: str, *, authorized: tuple[bool, bool]) -> bytes:
    """The order paid with a card (30.00) and a gift certificate (the rest)."""
    document = order_document("00005", ITEMS, payment_status=payment_status)
    total = Decimal(str(document["orderTotal"]))
    document["paymentInstruments"] = [
        {
            "paymentInstrumentId": f"pi-{n}",
            "paymentMethodId": method,
            "paymentTransaction": {
                "amount": float(amount),
                "transactionId": f"txn-{n}",
                **({"authorizationStatus": AUTHORIZED} if ok else {}),
            },
        }
        for n, (method, amount, ok) in enumerate(
            zip(
                ("CREDIT_CARD", "GIFT_CERTIFICATE"),
                (Decimal(30), total - 30),
                authorized,
                strict=True,
            )
        )
    ]
    return json.dumps(document).encode()


def test_an_unpaid_order_is_an_authorization_per_authorized_instrument() -> None:
    body = _paid_by_two("not_paid", authorized=(True, False))
    created, authorized = order_events(body, source=SOURCE, channel="us")
    assert isinstance(created, OrderCreated)
    assert isinstance(authorized, PaymentAuthorized)
    assert (authorized.order_ref, authorized.payment_ref, authorized.gateway) == (
        "us:00005", "txn-0", "CREDIT_CARD",
    )  # fmt: skip
    assert (authorized.currency, authorized.amount) == ("USD", Decimal("30.00"))
    again = order_events(body, source=SOURCE, channel="us")
    assert [e.envelope.event_id for e in again] == [
        created.envelope.event_id,
        authorized.envelope.event_id,
    ]


def test_a_paid_order_captures_each_transaction_naming_its_authorization() -> None:
    unpaid = order_events(
        _paid_by_two("not_paid", authorized=(True, True)), source=SOURCE, channel="us"
    )
    paid = order_events(_paid_by_two("paid", authorized=(True, False)), source=SOURCE, channel="us")
    assert [type(e) for e in paid] == [OrderCreated, PaymentCaptured, PaymentCaptured]
    card, gift = paid[1:]
    assert isinstance(card, PaymentCaptured) and isinstance(gift, PaymentCaptured)
    assert (card.payment_ref, card.authorization_ref, card.amount) == ("pi-0", "txn-0", Decimal(30))
    assert (gift.payment_ref, gift.authorization_ref) == ("pi-1", None)
    assert isinstance(paid[0], OrderCreated)
    assert card.amount + gift.amount == paid[0].total
    ids = {e.envelope.event_id for e in unpaid[1:]} | {e.envelope.event_id for e in paid[1:]}
    assert len(ids) == 4, "an authorization and a capture of one instrument are two changes"


def test_a_part_paid_order_invents_no_capture() -> None:
    # SCAPI says the order is part paid, not which instrument was captured nor how much.
    events = order_events(
        _paid_by_two("part_paid", authorized=(True, True)), source=SOURCE, channel="us"
    )
    assert [type(e) for e in events] == [OrderCreated, PaymentAuthorized, PaymentAuthorized]


def test_an_instrument_without_an_amount_among_several_names_the_field() -> None:
    document = json.loads(_paid_by_two("paid", authorized=(True, True)))
    del document["paymentInstruments"][1]["paymentTransaction"]["amount"]
    with pytest.raises(InvalidInputError) as caught:
        order_events(json.dumps(document).encode(), source=SOURCE, channel="us")
    assert caught.value.field == "paymentInstruments.1.paymentTransaction.amount"
    alone = order_document("00006", ITEMS)
    del alone["paymentInstruments"][0]["paymentTransaction"]["amount"]
    _, captured = order_events(json.dumps(alone).encode(), source=SOURCE, channel="us")
    assert isinstance(captured, PaymentCaptured)
    assert captured.amount == Decimal(str(alone["orderTotal"]))


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


def test_a_change_to_an_authorized_transaction_is_its_authorization_under_the_export_id() -> None:
    document = json.loads(_changed())
    document["paymentInstruments"][0]["paymentTransaction"]["authorizationStatus"] = AUTHORIZED
    (authorized,) = change_events(json.dumps(document).encode(), source=SOURCE, channel="us")
    assert isinstance(authorized, PaymentAuthorized)
    assert authorized.payment_ref == "00004-txn"
    exported = order_events(json.dumps(document).encode(), source=SOURCE, channel="us")[1]
    assert authorized.envelope.event_id == exported.envelope.event_id


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
