"""storefront-catalog's SFCC price applier against the SFCC sandbox over HTTP: a batch's
prices are one import into the price books the channel maps, the newest version wins, and a
record held for the storefront is held for SFCC too."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from pydantic import SecretStr

from consumers.storefront_catalog.sfcc import SfccPriceApplier
from retailsync.channels import Channel
from retailsync.errors import PermanentError
from retailsync.events import PriceChanged, Source, SourceSystem
from retailsync.sfcc import SfccClient
from sandbox.sfcc import SandboxSfcc
from tests.commerce import item

pytestmark = pytest.mark.unit

ODOO = Source(system=SourceSystem.ODOO, instance="unit")


@pytest.fixture
def sfcc() -> Iterator[SandboxSfcc]:
    with SandboxSfcc.running() as sandbox:
        sandbox.store.add_price_book("usd-list", "USD")
        sandbox.store.add_price_book("usd-sale", "USD")
        yield sandbox


@pytest.fixture
def applier(sfcc: SandboxSfcc) -> Iterator[SfccPriceApplier]:
    channel = Channel(
        name="us-site",
        platform="sfcc",
        source="test",
        url=sfcc.url,
        price_lists={"Sale": "usd-sale"},
        options={
            "token_url": sfcc.token_url,
            "organization_id": sfcc.organization_id,
            "site_id": sfcc.site_id,
            "ocapi_url": sfcc.url,
            "list_price_book": "usd-list",
        },
        secrets={
            name: SecretStr(value)
            for name, value in {
                "client_id": sfcc.client_id,
                "client_secret": sfcc.client_secret,
                "webdav_username": sfcc.webdav_user,
                "webdav_access_key": sfcc.webdav_access_key,
            }.items()
        },
    )
    with SfccClient.from_channel(channel, sleep=lambda _s: None) as client:
        yield SfccPriceApplier(channel, client)


def price(sku: str, amount: str, version: int, pricelist: str | None = None) -> PriceChanged:
    envelope = PriceChanged.new_envelope(
        source=ODOO, source_ref=f"product.product/{sku}", occurred_at=datetime.now(UTC),
        source_version=version,
    )  # fmt: skip
    return PriceChanged(
        envelope=envelope, sku=sku, pricelist=pricelist, currency="USD", price=Decimal(amount)
    )


def test_a_batch_is_one_import_into_the_mapped_price_books(
    sfcc: SandboxSfcc, applier: SfccPriceApplier
) -> None:
    items = [
        item(price("MUG", "20.00", 1)),
        item(price("MUG", "15.00", 1, pricelist="Sale")),
        item(price("CAP", "12.00", 1)),
        item(price("MUG", "9.00", 1, pricelist="Staff")),  # no price book of this channel
    ]
    assert applier.apply(items) == {}
    assert sfcc.store.price_imports == 1
    assert sfcc.store.price_book("usd-list") == ("USD", {"MUG": "20.00", "CAP": "12.00"})
    assert sfcc.store.price_book("usd-sale") == ("USD", {"MUG": "15.00"})


def test_the_newest_version_wins_within_and_across_batches(
    sfcc: SandboxSfcc, applier: SfccPriceApplier
) -> None:
    applier.apply([item(price("MUG", "21.00", 3)), item(price("MUG", "20.00", 2))])
    assert sfcc.store.price_book("usd-list") == ("USD", {"MUG": "21.00"})
    applier.apply([item(price("MUG", "19.00", 2))])  # a late copy of an older change
    assert sfcc.store.price_book("usd-list") == ("USD", {"MUG": "21.00"})
    assert (applier.counts.stale, sfcc.store.price_imports) == (1, 1)


def test_a_record_held_for_the_storefront_is_not_sent(
    sfcc: SandboxSfcc, applier: SfccPriceApplier
) -> None:
    assert applier.apply([item(price("MUG", "1.00", 1))], skip={0}) == {}
    assert sfcc.store.price_imports == 0


def test_a_failed_import_fails_the_channels_prices_of_the_batch(
    sfcc: SandboxSfcc, applier: SfccPriceApplier
) -> None:
    sfcc.store.add_price_book("usd-list-eur", "EUR")
    applier.channel.options["list_price_book"] = "usd-list-eur"  # a book in another currency
    failures = applier.apply([item(price("MUG", "20.00", 1)), item(price("CAP", "1.00", 1))])
    assert set(failures) == {0, 1}
    assert all(isinstance(error, PermanentError) for error in failures.values())
    assert sfcc.store.price_book("usd-list-eur") == ("EUR", {})
