"""Cancellations as storefront-fulfillment makes them: the order's cancellation state and
fulfilments (``ORDER_CANCELLATION``), ``orderCancel`` (``CANCEL_ORDER``) answering with its
background job (``CANCEL_JOB``), and its refusals: an order cancelled already, one with a
fulfilment, an unknown one."""

from __future__ import annotations

from typing import Any

import pytest

from consumers.storefront_fulfillment.cancellations import (
    CANCEL_JOB,
    CANCEL_ORDER,
    ORDER_CANCELLATION,
)
from retailsync.storefront import StorefrontClient
from sandbox.storefront import SandboxStorefront

pytestmark = pytest.mark.contract


def _cancel(client: StorefrontClient, order_id: str, reason: str = "OTHER") -> dict[str, Any]:
    variables = {"orderId": order_id, "reason": reason, "notifyCustomer": False,
                 "staffNote": "contract test"}  # fmt: skip
    return dict(client.execute(CANCEL_ORDER, variables)["orderCancel"])


def _state(client: StorefrontClient, order_id: str) -> dict[str, Any]:
    order = client.execute(ORDER_CANCELLATION, {"id": order_id})["order"]
    assert order is not None
    return dict(order)


def test_an_order_is_cancelled_by_a_job_without_refund(
    client: StorefrontClient, sandbox: SandboxStorefront
) -> None:
    order = sandbox.store.place_order([("MUG-GREEN", 2, "12.90")])
    assert _state(client, order.gid)["cancelledAt"] is None
    answer = _cancel(client, order.gid, "CUSTOMER")
    assert answer["orderCancelUserErrors"] == []
    job = client.execute(CANCEL_JOB, {"id": answer["job"]["id"]})["job"]
    assert job == {"id": answer["job"]["id"], "done": True}
    state = _state(client, order.gid)
    assert state["cancelledAt"] is not None and state["cancelReason"] == "CUSTOMER"
    assert order.refunds == []  # refund: false
    assert [fo.status for fo in order.fulfilment_orders] == ["CLOSED"]


def test_an_order_cancelled_already_is_refused(
    client: StorefrontClient, sandbox: SandboxStorefront
) -> None:
    order = sandbox.store.place_order([("MUG-GREEN", 1, "12.90")])
    assert _cancel(client, order.gid, "STAFF")["orderCancelUserErrors"] == []
    again = _cancel(client, order.gid, "CUSTOMER")
    (error,) = again["orderCancelUserErrors"]
    assert error["code"] == "INVALID" and again["job"] is None
    assert _state(client, order.gid)["cancelReason"] == "STAFF"  # the first one stands


def test_an_order_with_a_fulfilment_is_refused_and_stays_open(
    client: StorefrontClient, sandbox: SandboxStorefront
) -> None:
    order = sandbox.store.place_order([("TEE-BLUE", 1, "5.00")])
    fulfilment_order = order.fulfilment_orders[0]
    client.execute(
        "mutation F($f: FulfillmentInput!) { fulfillmentCreate(fulfillment: $f) "
        "{ fulfillment { id } userErrors { message } } }",
        {"f": {"lineItemsByFulfillmentOrder": [{"fulfillmentOrderId": fulfilment_order.id}]}},
    )
    assert [f["status"] for f in _state(client, order.gid)["fulfillments"]] == ["SUCCESS"]
    answer = _cancel(client, order.gid)
    (error,) = answer["orderCancelUserErrors"]
    assert error["code"] == "INVALID" and answer["job"] is None
    assert _state(client, order.gid)["cancelledAt"] is None


def test_an_unknown_order_is_not_found(client: StorefrontClient) -> None:
    (error,) = _cancel(client, "gid://shopify/Order/987654321987")["orderCancelUserErrors"]
    assert error["code"] == "NOT_FOUND"
