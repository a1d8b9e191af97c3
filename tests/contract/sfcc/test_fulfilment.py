"""What an order management system reports back to an SFCC order through SCAPI Orders v1:
the order's shipping status, OMS fulfilment events with tracking, and the order's status.
Against a real instance only the read-only tests run."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import httpx
import pytest

from retailsync.errors import PermanentError
from retailsync.sfcc import SfccClient
from retailsync.sfcc.client import ORDERS_PATH
from sandbox.sfcc import Item, SandboxSfcc, order_document
from tests.contract.sfcc.conftest import Target

pytestmark = pytest.mark.contract


def _order(sandbox: SandboxSfcc) -> str:
    number = f"F{uuid.uuid4().hex[:7]}"
    items = (Item("MUG", 2, Decimal("9.50")), Item("CAP", 1, Decimal("12.00")))
    sandbox.add_order(order_document(number, items))
    return number


def _event(number: str, **fields: Any) -> dict[str, Any]:
    return {
        "id": f"WH/OUT/{number}",
        "occurredAt": "2026-06-03T10:15:00.000Z",
        "type": "shipped",
        "lineItems": [{"id": f"{number}-item-1", "quantity": 2}],
        "trackingNumber": "1Z999AA10123456784",
        "trackingUrl": "https://www.ups.com/track?tracknum=1Z999AA10123456784",
        "carrier": "UPS",
        **fields,
    }


def test_an_unknown_order_reads_as_none(client: SfccClient) -> None:
    assert client.order(f"no-such-{uuid.uuid4().hex[:6]}") is None


def test_an_order_reads_with_its_product_items(client: SfccClient, sandbox: SandboxSfcc) -> None:
    number = _order(sandbox)
    order = client.order(number)
    assert order is not None
    assert order["shippingStatus"] == "not_shipped"
    assert [(item["itemId"], item["productId"], item["quantity"])
            for item in order["productItems"]] == [
        (f"{number}-item-1", "MUG", 2), (f"{number}-item-2", "CAP", 1),
    ]  # fmt: skip


def test_the_shipping_status_is_set_and_read_back(client: SfccClient, sandbox: SandboxSfcc) -> None:
    number = _order(sandbox)
    client.set_shipping_status(number, "part_shipped")
    client.set_shipping_status(number, "shipped")
    order = client.order(number)
    assert order is not None
    assert order["shippingStatus"] == "shipped"


def test_a_shipping_status_outside_the_three_is_refused(
    sfcc_target: Target, sandbox: SandboxSfcc, client: SfccClient
) -> None:
    number = _order(sandbox)
    reply = _put(sfcc_target, client, f"{number}/shipping-status", {"status": "delivered"})
    assert reply.status_code == 400
    assert reply.json()["type"].endswith("/bad-request")


def test_a_fulfilment_event_with_tracking_is_accepted(
    client: SfccClient, sandbox: SandboxSfcc
) -> None:
    number = _order(sandbox)
    client.report_fulfilment(number, _event(number))
    stored = sandbox.store.order(sandbox.site_id, number)
    assert stored is not None
    assert stored.fulfilment_events == [_event(number)]
    # Forwarded to subscribers, not applied: the order document is as it was.
    assert "trackingNumber" not in stored.document["shipments"][0]


@pytest.mark.parametrize("missing", ["trackingNumber", "trackingUrl", "id", "lineItems"])
def test_a_shipped_event_without_a_required_field_is_refused(
    client: SfccClient, sandbox: SandboxSfcc, missing: str
) -> None:
    number = _order(sandbox)
    event = _event(number)
    del event[missing]
    with pytest.raises(PermanentError, match="HTTP 400"):
        client.report_fulfilment(number, event)


def test_a_processing_event_needs_no_tracking(client: SfccClient, sandbox: SandboxSfcc) -> None:
    number = _order(sandbox)
    event = _event(number, type="processing")
    del event["trackingNumber"], event["trackingUrl"]
    client.report_fulfilment(number, event)


def test_an_event_naming_a_line_item_the_order_lacks_is_refused(
    client: SfccClient, sandbox: SandboxSfcc
) -> None:
    number = _order(sandbox)
    with pytest.raises(PermanentError, match="no line item of the order"):
        client.report_fulfilment(number, _event(number, lineItems=[{"id": "MUG", "quantity": 1}]))


def test_reports_for_an_unknown_order_are_not_found(
    client: SfccClient, sandbox: SandboxSfcc
) -> None:
    with pytest.raises(PermanentError, match="HTTP 404"):
        client.set_shipping_status("no-such-order", "shipped")
    with pytest.raises(PermanentError, match="order-not-found"):
        client.report_fulfilment("no-such-order", _event("no-such-order"))


def test_a_throttled_status_update_is_waited_out(
    client: SfccClient, sandbox: SandboxSfcc, sleeps: list[float]
) -> None:
    number = _order(sandbox)
    client.order(number)  # a token first
    sandbox.store.throttle(1, retry_after_s=2)
    client.set_shipping_status(number, "shipped")
    assert sleeps == [2.0]
    stored = sandbox.store.order(sandbox.site_id, number)
    assert stored is not None
    assert stored.shipping_updates == ["shipped"]


def test_an_order_is_cancelled_and_a_cancelled_order_cannot_fail(
    sfcc_target: Target, sandbox: SandboxSfcc, client: SfccClient
) -> None:
    number = _order(sandbox)
    assert _put(sfcc_target, client, f"{number}/status", {"status": "cancelled"}).status_code == 204
    refused = _put(sfcc_target, client, f"{number}/status", {"status": "failed"})
    assert refused.status_code == 409
    assert refused.headers["content-type"].startswith("application/problem+json")
    order = client.order(number)
    assert order is not None
    assert order["status"] == "cancelled"


def _put(target: Target, client: SfccClient, path: str, body: dict[str, Any]) -> httpx.Response:
    orders = ORDERS_PATH.format(organization_id=target.organization_id)
    return httpx.put(
        f"{target.url}{orders}/{path}",
        params={"siteId": target.site_id},
        json=body,
        headers={"Authorization": f"Bearer {client.tokens.token()}"},
    )


def test_a_cancellation_is_set_once_and_a_failed_order_refuses_it(
    client: SfccClient, sandbox: SandboxSfcc
) -> None:
    number = _order(sandbox)
    assert client.set_order_status(number, "cancelled") is None
    assert client.set_order_status(number, "cancelled") is None  # the status it has: 204
    order = client.order(number)
    assert order is not None and order["status"] == "cancelled"
    failed = _order(sandbox)
    stored = sandbox.store.order(sandbox.site_id, failed)
    assert stored is not None
    stored.document["status"] = "failed"  # its payment failed at checkout
    refusal = client.set_order_status(failed, "cancelled")
    assert refusal is not None and "failed" in refusal
    failed_order = client.order(failed)
    assert failed_order is not None and failed_order["status"] == "failed"
