"""storefront-fulfillment's SFCC applier against the SFCC sandbox over HTTP: a shipment
becomes a fulfilment event with tracking on the product items it shipped and the order's
shipping status; a re-delivery changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest

from consumers.storefront_fulfillment.sfcc import SfccFulfillmentApplier
from retailsync.errors import PermanentError
from retailsync.events import ShipmentDispatched
from retailsync.sfcc import SfccClient
from sandbox.sfcc import Item, SandboxSfcc, StoredOrder, order_document
from tests.commerce import sfcc_channel, shipment

pytestmark = pytest.mark.unit


@pytest.fixture
def sfcc() -> Iterator[SandboxSfcc]:
    with SandboxSfcc.running() as sandbox:
        yield sandbox


@pytest.fixture
def applier(sfcc: SandboxSfcc) -> Iterator[SfccFulfillmentApplier]:
    channel = sfcc_channel(sfcc)
    with SfccClient.from_channel(channel, sleep=lambda _s: None) as client:
        yield SfccFulfillmentApplier(client)


def _order(sfcc: SandboxSfcc, number: str = "00000101") -> StoredOrder:
    # Two MUG lines (a line promotion splits them) and a CAP.
    items = (
        Item("MUG", 2, Decimal("9.50")),
        Item("CAP", 1, Decimal("12.00")),
        Item("MUG", 1, Decimal("9.50"), item_discount=Decimal("1.00")),
    )
    return sfcc.add_order(order_document(number, items))


def _shipment(
    lines: dict[str, int], ref: str, line_refs: dict[str, str] | None = None, **update: object
) -> ShipmentDispatched:
    event = shipment("us-site:00000101", lines, line_refs=line_refs)
    return event.model_copy(update={"shipment_ref": ref, **update})


def test_a_shipment_reports_its_tracking_on_the_items_it_named(
    sfcc: SandboxSfcc, applier: SfccFulfillmentApplier
) -> None:
    order = _order(sfcc)
    sent = _shipment({"MUG": 1}, "WH/OUT/1", line_refs={"MUG": "00000101-item-3"})
    assert applier.fulfil(sent) == "part_shipped"
    (event,) = order.fulfilment_events
    assert event["id"] == "WH/OUT/1"
    assert event["lineItems"] == [{"id": "00000101-item-3", "quantity": 1}]
    assert (event["trackingNumber"], event["trackingUrl"], event["carrier"]) == (
        sent.tracking_number, sent.tracking_url, sent.carrier,
    )  # fmt: skip
    assert order.shipping_updates == ["part_shipped"]


def test_the_shipment_that_covers_the_rest_makes_the_order_shipped(
    sfcc: SandboxSfcc, applier: SfccFulfillmentApplier
) -> None:
    order = _order(sfcc)
    assert applier.fulfil(_shipment({"MUG": 2}, "WH/OUT/1")) == "part_shipped"
    assert applier.fulfil(_shipment({"MUG": 1, "CAP": 1}, "WH/OUT/2")) == "shipped"
    # Lines without a line ref take the open quantity of their SKU's items, in order.
    assert [event["lineItems"] for event in order.fulfilment_events] == [
        [{"id": "00000101-item-1", "quantity": 2}],
        [{"id": "00000101-item-3", "quantity": 1}, {"id": "00000101-item-2", "quantity": 1}],
    ]
    assert order.document["shippingStatus"] == "shipped"


def test_a_redelivered_shipment_sends_no_second_event(
    sfcc: SandboxSfcc, applier: SfccFulfillmentApplier
) -> None:
    order = _order(sfcc)
    first = _shipment({"MUG": 2}, "WH/OUT/1")
    applier.fulfil(first)
    applier.fulfil(first)  # the same shipment again: counted once, the status set again
    assert len(order.fulfilment_events) == 1
    assert order.shipping_updates == ["part_shipped", "part_shipped"]
    everything = _shipment({"MUG": 3, "CAP": 1}, "WH/OUT/9")
    sfcc.store.set_shipping_status(order, "shipped")  # SFCC says shipped: nothing more
    assert applier.fulfil(everything) is None
    assert len(order.fulfilment_events) == 1


def test_a_shipment_without_tracking_sets_the_shipping_status_only(
    sfcc: SandboxSfcc, applier: SfccFulfillmentApplier
) -> None:
    order = _order(sfcc)
    untracked = _shipment({"MUG": 3, "CAP": 1}, "WH/OUT/1", tracking_url=None)
    assert applier.fulfil(untracked) == "shipped"
    assert order.fulfilment_events == []


def test_a_shipment_of_an_order_sfcc_lacks_is_permanent(applier: SfccFulfillmentApplier) -> None:
    with pytest.raises(PermanentError, match="not on the SFCC site"):
        applier.fulfil(_shipment({"MUG": 1}, "WH/OUT/1"))


def test_a_throttled_site_is_waited_out(sfcc: SandboxSfcc, applier: SfccFulfillmentApplier) -> None:
    order = _order(sfcc)
    sfcc.store.throttle(2, retry_after_s=1)
    assert applier.fulfil(_shipment({"CAP": 1}, "WH/OUT/1")) == "part_shipped"
    assert len(order.fulfilment_events) == 1
