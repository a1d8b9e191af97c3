"""The SCAPI Orders API as the SFCC order export uses it: orders by export status, paged;
export status updates; the external status; and Account Manager's client-credentials token."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest

from retailsync.errors import ConfigError, PermanentError, TargetUnavailableError
from retailsync.sfcc import SfccClient
from retailsync.sfcc.client import ORDERS_PATH
from sandbox.sfcc import Item, SandboxSfcc, order_document
from tests.contract.sfcc.conftest import Target

pytestmark = pytest.mark.contract


def _seed(sandbox: SandboxSfcc, count: int) -> list[str]:
    prefix = uuid.uuid4().hex[:6]
    numbers = [f"{prefix}{n:04d}" for n in range(count)]
    for number in numbers:
        sandbox.add_order(order_document(number, (Item("MUG", 1, Decimal("9.50")),)))
    return numbers


def _token(sfcc_target: Target) -> httpx.Response:
    return httpx.post(
        sfcc_target.token_url,
        data={"grant_type": "client_credentials"},
        auth=(sfcc_target.client_id, sfcc_target.client_secret),
    )


def _get_orders(sfcc_target: Target, params: dict[str, str | int]) -> httpx.Response:
    """getOrders as any client calls it, with a token of its own."""
    token = _token(sfcc_target).json()["access_token"]
    path = ORDERS_PATH.format(organization_id=sfcc_target.organization_id)
    return httpx.get(
        f"{sfcc_target.url}{path}",
        params={"siteId": sfcc_target.site_id, **params},
        headers={"Authorization": f"Bearer {token}"},
    )


def test_account_manager_grants_a_bearer_token_that_expires(sfcc_target: Target) -> None:
    reply = _token(sfcc_target)
    assert reply.status_code == 200
    token = reply.json()
    assert token["token_type"] == "Bearer"
    assert token["access_token"]
    assert 0 < int(token["expires_in"]) <= 1800


def test_a_wrong_client_secret_is_a_configuration_error_naming_it(sfcc_target: Target) -> None:
    channel = sfcc_target.channel(client_secret="not-the-secret")
    with SfccClient.from_channel(channel) as sfcc, pytest.raises(ConfigError) as caught:
        sfcc.orders()
    assert caught.value.key == "channels.contract.client_secret"
    assert "not-the-secret" not in str(caught.value)


def test_the_orders_api_refuses_a_call_without_a_token(sfcc_target: Target) -> None:
    path = ORDERS_PATH.format(organization_id=sfcc_target.organization_id)
    reply = httpx.get(f"{sfcc_target.url}{path}", params={"siteId": sfcc_target.site_id})
    assert reply.status_code == 401
    assert reply.headers["content-type"].startswith("application/problem+json")
    assert reply.json()["title"] == "Unauthorized"


def test_orders_come_in_pages_until_a_short_one(client: SfccClient, sfcc_target: Target) -> None:
    if sfcc_target.sandbox is not None:
        _seed(sfcc_target.sandbox, 5)
    seen: list[str] = []
    while len(seen) < 10:
        page = client.orders("ready", offset=len(seen), limit=2)
        assert len(page.orders) <= 2
        assert page.last == (len(page.orders) < 2)
        seen += [order.order_no for order in page.orders]
        if page.last:
            break
    assert len(seen) == len(set(seen)), "pages do not overlap"
    if sfcc_target.sandbox is not None:
        assert len(seen) >= 5


def test_a_page_of_orders_holds_its_data_and_nothing_else(sfcc_target: Target) -> None:
    # Spec 1.5.2's OrdersResponse: ``data`` is required and additionalProperties false, so
    # no total or offset to page by.
    reply = _get_orders(sfcc_target, {"limit": 2})
    assert reply.status_code == 200, reply.text
    assert set(reply.json()) == {"data"}


def test_orders_are_listed_no_further_than_offset_plus_limit_10000(sfcc_target: Target) -> None:
    # getOrders, spec 1.5.2: "The sum of the offset and limit parameters cannot be greater
    # than 10000." Past it is a bad request in problem details, not an empty page.
    assert _get_orders(sfcc_target, {"offset": 9800, "limit": 200}).status_code == 200
    reply = _get_orders(sfcc_target, {"offset": 9801, "limit": 200})
    assert reply.status_code == 400
    assert reply.headers["content-type"].startswith("application/problem+json")
    problem = reply.json()
    assert problem["type"].startswith(
        "https://api.commercecloud.salesforce.com/documentation/error/v1/errors/"
    )
    assert problem["title"]
    assert "detail" in problem


def test_a_payment_instrument_has_its_amount_on_its_transaction(
    client: SfccClient, sfcc_target: Target
) -> None:
    # Spec 1.5.2: PaymentInstrument has no amount (other properties are c_ custom ones);
    # its PaymentTransaction has amount, transactionId and authorizationStatus.
    if sfcc_target.sandbox is not None:
        _seed(sfcc_target.sandbox, 1)
    instruments = [
        instrument
        for order in client.orders(None, limit=20).orders
        for instrument in json.loads(order.body).get("paymentInstruments", [])
    ]
    assert instruments or sfcc_target.sandbox is None
    for instrument in instruments:
        assert "amount" not in instrument
        transaction = instrument.get("paymentTransaction", {})
        assert set(transaction) <= {"amount", "transactionId", "authorizationStatus"} | {
            key for key in transaction if key.startswith("c_")
        }
        if "authorizationStatus" in transaction:
            assert transaction["authorizationStatus"].get("status") in (None, 0, 1, 2)


def test_orders_created_since_a_time_come_whatever_their_export_status(
    client: SfccClient, sandbox: SandboxSfcc
) -> None:
    since = datetime(2035, 1, 1, tzinfo=UTC) + timedelta(days=uuid.uuid4().int % 1000)
    prefix = uuid.uuid4().hex[:6]
    early, exact, late = (
        sandbox.add_order(
            order_document(
                f"{prefix}{n}", (Item("MUG", 1, Decimal("9.50")),), created=since + offset
            )
        )
        for n, offset in enumerate((timedelta(milliseconds=-1), timedelta(0), timedelta(days=1)))
    )
    client.set_export_status(late.order_no, "exported")
    page = client.orders(None, created_from=since, limit=200)
    mine = {early.order_no, exact.order_no, late.order_no}
    assert [o.order_no for o in page.orders if o.order_no in mine] == [
        exact.order_no,
        late.order_no,
    ]
    assert late.export_status == "exported"  # reading changed nothing
    assert [
        o.order_no
        for o in client.orders("ready", created_from=since, limit=200).orders
        if o.order_no in mine
    ] == [exact.order_no]


def test_no_order_was_created_in_the_future(client: SfccClient) -> None:
    page = client.orders(None, created_from=datetime(2999, 1, 1, tzinfo=UTC))
    assert (page.orders, page.last) == ((), True)


def test_a_limit_over_200_is_refused(client: SfccClient) -> None:
    with pytest.raises(PermanentError, match="HTTP 400"):
        client.orders(limit=201)


def test_an_order_marked_exported_leaves_the_ready_ones(
    client: SfccClient, sandbox: SandboxSfcc
) -> None:
    numbers = _seed(sandbox, 3)
    ready = _ready(client)
    assert set(numbers) <= ready
    client.set_export_status(numbers[0], "exported")
    assert set(numbers) & _ready(client) == set(numbers[1:])
    stored = sandbox.store.order(sandbox.site_id, numbers[0])
    assert stored is not None
    assert (stored.export_status, stored.export_updates) == ("exported", ["exported"])


def test_a_failed_export_keeps_its_reason_in_the_external_status(
    client: SfccClient, sandbox: SandboxSfcc
) -> None:
    (number,) = _seed(sandbox, 1)
    client.set_export_status(number, "failed")
    client.set_external_status(number, "retailsync: productItems.0.quantity: too small")
    stored = sandbox.store.order(sandbox.site_id, number)
    assert stored is not None
    assert stored.export_status == "failed"
    assert stored.external_statuses == ["retailsync: productItems.0.quantity: too small"]
    assert (client.order(number) or {})["externalOrderStatus"] == stored.external_statuses[0]
    assert number not in _ready(client)


def test_an_unknown_order_is_not_found(client: SfccClient, sandbox: SandboxSfcc) -> None:
    with pytest.raises(PermanentError, match="HTTP 404"):
        client.set_export_status("no-such-order", "exported")


def test_a_429_is_waited_out_as_retry_after_says(
    client: SfccClient, sandbox: SandboxSfcc, sleeps: list[float]
) -> None:
    numbers = _seed(sandbox, 1)
    sandbox.store.throttle(2, retry_after_s=3)
    assert set(numbers) <= _ready(client)
    assert sleeps == [3.0, 3.0]


def test_a_lasting_503_is_the_target_unavailable(
    client: SfccClient, sandbox: SandboxSfcc, sleeps: list[float]
) -> None:
    client.orders()  # a token first: the fault below is the API's, not Account Manager's
    sandbox.faults.fail(503)
    with pytest.raises(TargetUnavailableError):
        client.orders()
    assert len(sleeps) == 3  # four attempts in all, with backoff between them
    sandbox.faults.clear()
    client.orders()


def test_a_token_is_fetched_again_before_it_expires(
    sfcc_target: Target, sandbox: SandboxSfcc
) -> None:
    clock = [0.0]
    with SfccClient.from_channel(sfcc_target.channel(), clock=lambda: clock[0]) as sfcc:
        sfcc.orders()
        refused = sandbox.store.unauthorized_answers
        clock[0] += 1799 - 30  # within the last minute of the token's life
        sfcc.orders()
        assert sfcc.tokens.fetched == 2
        assert sandbox.store.unauthorized_answers == refused  # renewed, not refused first


def test_a_revoked_token_gets_one_new_token(client: SfccClient, sandbox: SandboxSfcc) -> None:
    client.orders()
    issued = sandbox.store.tokens_issued
    sandbox.store.revoke_tokens()
    client.orders()
    assert sandbox.store.tokens_issued == issued + 1


def test_a_token_refused_twice_is_a_configuration_error(
    client: SfccClient, sandbox: SandboxSfcc
) -> None:
    sandbox.store.token_lifetime_s = 0  # every token is born expired: the client lacks rights
    try:
        with pytest.raises(ConfigError) as caught:
            client.orders()
    finally:
        sandbox.store.token_lifetime_s = 1799
    assert caught.value.key == "channels.contract.client_secret"


def _ready(client: SfccClient) -> set[str]:
    numbers: set[str] = set()
    offset = 0
    while True:
        page = client.orders("ready", offset=offset, limit=200)
        numbers |= {order.order_no for order in page.orders}
        offset += len(page.orders)
        if page.last:
            return numbers


def test_an_external_status_is_cut_to_the_256_characters_the_api_takes(
    client: SfccClient, sandbox: SandboxSfcc
) -> None:
    (number,) = _seed(sandbox, 1)
    client.set_external_status(number, "x" * 300)
    stored = sandbox.store.order(sandbox.site_id, number)
    assert stored is not None
    assert stored.external_statuses == ["x" * 256]
