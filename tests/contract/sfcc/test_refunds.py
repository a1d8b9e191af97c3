"""What storefront-fulfillment records on an SFCC order for a refunded return, through SCAPI
Orders v1: an OMS adjustment (signed line quantities, totals in minor units) forwarded to
the order's event subscribers, and the order's external status. Against a real instance
only the tests that change no order run."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import pytest

from retailsync.errors import PermanentError
from retailsync.sfcc import SfccClient
from sandbox.sfcc import Item, SandboxSfcc, order_document

pytestmark = pytest.mark.contract


def _order(sandbox: SandboxSfcc) -> str:
    number = f"R{uuid.uuid4().hex[:7]}"
    items = (Item("MUG", 2, Decimal("9.50")), Item("CAP", 1, Decimal("12.00")))
    sandbox.add_order(order_document(number, items))
    return number


def _adjustment(number: str, **fields: Any) -> dict[str, Any]:
    return {
        "id": "WH/IN/00012",
        "type": "return",
        "occurredAt": "2026-06-03T10:15:00.000Z",
        "status": "completed",
        "lineItems": [{"id": f"{number}-item-1", "quantity": -1}],
        "totals": [{"type": "total", "amount": -1026, "displayText": "Refund"}],
        "description": "retailsync return WH/IN/00012",
        **fields,
    }


def test_an_adjustment_for_an_unknown_order_is_not_found(
    client: SfccClient, sandbox: SandboxSfcc
) -> None:
    with pytest.raises(PermanentError, match="HTTP 404"):
        client.report_adjustment(f"no-such-{uuid.uuid4().hex[:6]}", _adjustment("x"))


def test_a_return_adjustment_is_forwarded_and_leaves_the_order_as_it_was(
    client: SfccClient, sandbox: SandboxSfcc
) -> None:
    number = _order(sandbox)
    before = client.order(number)

    client.report_adjustment(number, _adjustment(number))

    stored = sandbox.store.order(sandbox.site_id, number)
    assert stored is not None and stored.adjustments == [_adjustment(number)]
    assert client.order(number) == before


@pytest.mark.parametrize(
    ("wrong", "why"),
    [
        ({"status": "refunded"}, "status is one of"),
        ({"totals": [{"type": "total", "amount": -10.26}]}, "integer amount"),
        ({"lineItems": [{"id": "MUG", "quantity": -1}]}, "no line item of the order"),
        ({"reason": "defective"}, "no property reason"),
        ({"id": ""}, "adjustment.id is a text"),
    ],
)
def test_an_adjustment_that_breaks_the_schema_is_refused(
    client: SfccClient, sandbox: SandboxSfcc, wrong: dict[str, Any], why: str
) -> None:
    number = _order(sandbox)
    with pytest.raises(PermanentError, match=why):
        client.report_adjustment(number, _adjustment(number, **wrong))


def test_the_external_status_is_read_back_on_the_order(
    client: SfccClient, sandbox: SandboxSfcc
) -> None:
    number = _order(sandbox)
    text = "refund 10.26 USD for returns WH/IN/00012 10.26 (retailsync)"
    client.set_external_status(number, text)
    order = client.order(number)
    assert order is not None and order["externalOrderStatus"] == text
