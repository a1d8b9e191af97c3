"""OCAPI's Data API product inventory records, as storefront-inventory sets them: the
allocation of a product in an inventory list. These change stock, so they run against the
sandbox only."""

from __future__ import annotations

import httpx
import pytest

from retailsync.sfcc import SfccClient
from sandbox.sfcc import SandboxSfcc

pytestmark = pytest.mark.contract

RECORD = "/s/-/dw/data/v23_2/inventory_lists/{list}/product_inventory_records/{product}"


@pytest.fixture
def inventory(sandbox: SandboxSfcc) -> str:
    sandbox.store.add_inventory_list("contract-list", products=("MUG", "TEE"))
    return "contract-list"


def test_an_allocation_creates_the_record_then_updates_it(
    client: SfccClient, sandbox: SandboxSfcc, inventory: str
) -> None:
    assert client.set_allocation(inventory, "MUG", 5) == "set"
    assert client.set_allocation(inventory, "MUG", 3) == "set"
    assert sandbox.store.allocation(inventory, "MUG") == 3.0


def test_a_product_the_catalog_lacks_is_not_sold(client: SfccClient, inventory: str) -> None:
    assert client.set_allocation(inventory, "NO-SUCH-PRODUCT", 5) == "no_product"


def test_an_inventory_list_that_does_not_exist_says_so(client: SfccClient, inventory: str) -> None:
    assert client.set_allocation("no-such-list", "MUG", 5) == "no_list"


def test_a_record_patch_without_a_record_is_an_ocapi_fault(
    sandbox: SandboxSfcc, inventory: str, client: SfccClient
) -> None:
    reply = httpx.patch(
        sandbox.url + RECORD.format(list=inventory, product="TEE"),
        json={"allocation": {"amount": 1}},
        headers={"Authorization": f"Bearer {client.tokens.token()}"},
    )
    assert reply.status_code == 404
    assert reply.json()["fault"]["type"] == "ProductInventoryRecordNotFoundException"


def test_a_throttled_allocation_is_sent_again(
    client: SfccClient, sandbox: SandboxSfcc, inventory: str, sleeps: list[float]
) -> None:
    client.orders()  # a token first
    sandbox.store.throttle(1, retry_after_s=2)
    assert client.set_allocation(inventory, "TEE", 4) == "set"
    assert sleeps == [2.0]
    assert sandbox.store.allocation(inventory, "TEE") == 4.0
