"""The SCAPI Orders API as the SFCC change poll uses it: exported orders by when they last
changed (``lastModifiedDateFrom``/``To``, sorted by ``last_modified_date``), the
``lastModified`` stamp a status or payment status change moves, and the listing's filters
and bounds."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from retailsync.sfcc import SfccClient
from retailsync.sfcc.client import ORDERS_PATH
from sandbox.sfcc import Item, SandboxSfcc, StoredOrder, order_document
from tests.contract.sfcc.conftest import Target

pytestmark = pytest.mark.contract


def _exported(sandbox: SandboxSfcc, client: SfccClient, count: int) -> list[StoredOrder]:
    prefix = uuid.uuid4().hex[:6]
    orders = []
    for n in range(count):
        stored = sandbox.add_order(
            order_document(
                f"{prefix}{n}", (Item("MUG", 1, Decimal("9.50")),), payment_status="not_paid"
            )
        )
        client.set_export_status(stored.order_no, "exported")
        orders.append(stored)
    return orders


def _put(target: Target, client: SfccClient, order_no: str, what: str, status: str) -> int:
    """Set the order's ``status`` or ``payment-status`` through the API; its HTTP status."""
    path = ORDERS_PATH.format(organization_id=target.organization_id)
    reply = httpx.put(
        f"{target.url}{path}/{order_no}/{what}",
        params={"siteId": target.site_id},
        json={"status": status},
        headers={"Authorization": f"Bearer {client.tokens.token()}"},
    )
    return reply.status_code


def _changed(client: SfccClient, since: datetime, until: datetime) -> list[dict[str, Any]]:
    page = client.changed_orders(since, until, limit=200)
    return [json.loads(order.body) for order in page.orders]


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _past(moment: datetime) -> None:
    """Return once the clock is past ``moment``'s millisecond: a write now stamps a later one."""
    while datetime.now(UTC) < moment + _MS:
        pass


_MS = timedelta(milliseconds=1)


def test_changed_orders_come_least_recently_modified_first_within_the_window(
    client: SfccClient, sfcc_target: Target
) -> None:
    """Read only: runs against a real instance too."""
    until = datetime.now(UTC)
    since = until - timedelta(days=30)
    orders = _changed(client, since, until)
    stamps = [_moment(order["lastModified"]) for order in orders]
    assert stamps == sorted(stamps)
    assert all(since <= stamp < until for stamp in stamps)
    assert all(order["exportStatus"] == "exported" for order in orders)


def test_nothing_was_modified_in_the_future(client: SfccClient) -> None:
    far = datetime(2999, 1, 1, tzinfo=UTC)
    assert client.changed_orders(far, far + timedelta(days=1)).orders == ()


def test_a_cancellation_moves_last_modified_into_the_next_window(
    client: SfccClient, sandbox: SandboxSfcc, sfcc_target: Target
) -> None:
    first, second = _exported(sandbox, client, 2)
    marked = max(first.last_modified, second.last_modified)
    _past(marked)
    assert _put(sfcc_target, client, second.order_no, "status", "cancelled") == 204
    changed = _changed(client, marked + _MS, datetime.now(UTC) + _MS)
    numbers = [order["orderNo"] for order in changed]
    assert second.order_no in numbers
    assert first.order_no not in numbers, "an order not written since stays out of the window"
    (cancelled,) = (order for order in changed if order["orderNo"] == second.order_no)
    assert cancelled["status"] == "cancelled"
    assert _moment(cancelled["lastModified"]) > marked


def test_a_payment_status_change_moves_last_modified(
    client: SfccClient, sandbox: SandboxSfcc, sfcc_target: Target
) -> None:
    (order,) = _exported(sandbox, client, 1)
    exported_at = order.last_modified
    _past(exported_at)
    assert _put(sfcc_target, client, order.order_no, "payment-status", "paid") == 204
    assert order.document["paymentStatus"] == "paid"
    assert order.last_modified > exported_at
    window = _changed(client, order.last_modified, order.last_modified + _MS)
    assert order.order_no in [o["orderNo"] for o in window]
    assert _put(sfcc_target, client, order.order_no, "payment-status", "refunded") == 400


def test_the_upper_bound_excludes_its_own_millisecond(
    client: SfccClient, sandbox: SandboxSfcc
) -> None:
    (order,) = _exported(sandbox, client, 1)
    stamp = order.last_modified
    before = _changed(client, stamp - timedelta(seconds=1), stamp)
    assert order.order_no not in [o["orderNo"] for o in before]
    assert order.order_no in [o["orderNo"] for o in _changed(client, stamp, stamp + _MS)]


def test_only_orders_of_the_export_status_asked_for_are_listed(
    client: SfccClient, sandbox: SandboxSfcc
) -> None:
    since = datetime.now(UTC) - timedelta(seconds=1)
    (exported,) = _exported(sandbox, client, 1)
    ready = sandbox.add_order(
        order_document(uuid.uuid4().hex[:8], (Item("MUG", 1, Decimal("9.50")),))
    )
    sandbox.store.set_payment_status(ready, "paid")  # modified, but never exported
    until = datetime.now(UTC) + timedelta(seconds=1)
    numbers = [o["orderNo"] for o in _changed(client, since, until)]
    assert exported.order_no in numbers
    assert ready.order_no not in numbers


def test_the_listing_filters_by_status_and_payment_status(
    client: SfccClient, sandbox: SandboxSfcc, sfcc_target: Target
) -> None:
    since = datetime.now(UTC) - timedelta(seconds=1)
    cancelled, paid, untouched = _exported(sandbox, client, 3)
    sandbox.store.set_order_status(cancelled, "cancelled")
    sandbox.store.set_payment_status(paid, "paid")
    mine = {cancelled.order_no, paid.order_no, untouched.order_no}

    def listed(**filters: str) -> set[str]:
        path = ORDERS_PATH.format(organization_id=sfcc_target.organization_id)
        reply = httpx.get(
            f"{sfcc_target.url}{path}",
            params={
                "siteId": sfcc_target.site_id,
                "lastModifiedDateFrom": since.isoformat(),
                "limit": 200,
                **filters,
            },
            headers={"Authorization": f"Bearer {client.tokens.token()}"},
        )
        assert reply.status_code == 200, reply.text
        return {order["orderNo"] for order in reply.json()["data"]} & mine

    assert listed(status="cancelled") == {cancelled.order_no}
    assert listed(status="new,cancelled") == mine
    assert listed(paymentStatus="paid") == {paid.order_no}
    assert listed(paymentStatus="not_paid,part_paid") == {cancelled.order_no, untouched.order_no}


@pytest.mark.parametrize(
    "query",
    [
        {"status": "new,completed,cancelled"},  # up to two
        {"status": "failed"},
        {"paymentStatus": "refunded"},
        {"lastModifiedDateFrom": "yesterday"},
        {"sortBy": "order_no"},
        {"sortOrder": "up"},
        {"offset": "9900", "limit": "101"},  # offset + limit over 10,000
    ],
)
def test_an_impossible_filter_is_a_bad_request(
    client: SfccClient, sfcc_target: Target, query: dict[str, str]
) -> None:
    path = ORDERS_PATH.format(organization_id=sfcc_target.organization_id)
    reply = httpx.get(
        f"{sfcc_target.url}{path}",
        params={"siteId": sfcc_target.site_id, **query},
        headers={"Authorization": f"Bearer {client.tokens.token()}"},
    )
    assert reply.status_code == 400


def test_without_a_sort_the_newest_order_comes_first(
    client: SfccClient, sandbox: SandboxSfcc, sfcc_target: Target
) -> None:
    since = datetime(2040, 1, 1, tzinfo=UTC) + timedelta(days=uuid.uuid4().int % 1000)
    prefix = uuid.uuid4().hex[:6]
    for n in range(3):
        sandbox.add_order(
            order_document(
                f"{prefix}{n}",
                (Item("MUG", 1, Decimal("9.50")),),
                created=since + timedelta(hours=n),
            )
        )
    path = ORDERS_PATH.format(organization_id=sfcc_target.organization_id)
    reply = httpx.get(
        f"{sfcc_target.url}{path}",
        params={"siteId": sfcc_target.site_id, "creationDateFrom": since.isoformat()},
        headers={"Authorization": f"Bearer {client.tokens.token()}"},
    )
    assert reply.status_code == 200
    numbers = [o["orderNo"] for o in reply.json()["data"] if o["orderNo"].startswith(prefix)]
    assert numbers == [f"{prefix}2", f"{prefix}1", f"{prefix}0"]
    # What the client asks for instead: oldest first.
    oldest_first = client.orders(None, created_from=since).orders
    assert [o.order_no for o in oldest_first if o.order_no.startswith(prefix)] == numbers[::-1]
