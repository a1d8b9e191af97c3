"""Prices to SFCC channels: a ``price_changed`` of Odoo's list price goes to the channel's
``list_price_book``, one of an Odoo pricelist to the price book ``price_lists`` maps it to.
A batch is one import (``SfccClient.import_prices``: every price book's prices in one site
archive); per price book and SKU only the newest ``source_version`` is sent, and a record
older than one sent is dropped, as for Shopify. A failed import fails the batch's prices
of the channel."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from consumers.storefront_catalog.applier import Counts
from consumers.storefront_catalog.changes import money
from retailsync.channels import Channel
from retailsync.consumer import Item
from retailsync.events import PriceChanged
from retailsync.sfcc import SfccClient
from retailsync.sfcc.pricebook import PriceBookPrices

log = logging.getLogger("retailsync.sfcc.catalog")


@dataclass(slots=True)
class SfccPriceApplier:
    channel: Channel
    client: SfccClient
    # The newest version sent per (price book, sku): an older record is dropped.
    versions: dict[tuple[str, str], int] = field(default_factory=dict)
    counts: Counts = field(default_factory=Counts)

    def price_book(self, pricelist: str | None) -> str | None:
        """The price book taking ``pricelist``'s prices (None: the list price), if any."""
        if pricelist is None:
            return self.channel.options.get("list_price_book")
        return self.channel.price_lists.get(pricelist)

    def apply(self, items: Sequence[Item], skip: Iterable[int] = ()) -> dict[int, BaseException]:
        """Import the batch's prices for this channel, but those at ``skip`` (held by a
        publishing rule); failures by position."""
        skipped = set(skip)
        newest: dict[tuple[str, str], tuple[int, PriceChanged]] = {}
        for index, item in enumerate(items):
            event = item.event
            if index in skipped or not isinstance(event, PriceChanged):
                continue
            book = self.price_book(event.pricelist)
            if book is None:
                continue
            self.counts.received += 1
            key, version = (book, event.sku), event.envelope.source_version or 0
            if version < self.versions.get(key, 0):
                self.counts.stale += 1
                continue
            if key not in newest or version >= (newest[key][1].envelope.source_version or 0):
                newest[key] = (index, event)
        if not newest:
            return {}
        try:
            self.client.import_prices(_books(newest))
        except Exception as exc:  # every price of the import failed with it
            return {index: exc for index, _ in newest.values()}
        self.counts.calls += 1
        for (book, sku), (_, event) in newest.items():
            self.versions[(book, sku)] = event.envelope.source_version or 0
            self.counts.applied += 1
        return {}


def _books(
    newest: Mapping[tuple[str, str], tuple[int, PriceChanged]],
) -> dict[str, PriceBookPrices]:
    prices: dict[str, dict[str, PriceChanged]] = {}
    for (book, sku), (_, event) in newest.items():
        prices.setdefault(book, {})[sku] = event
    return {
        book: PriceBookPrices(
            # A price book has one currency: the one its newest price states.
            currency=max(events.values(), key=lambda e: e.envelope.occurred_at).currency,
            prices={sku: Decimal(money(event.price)) for sku, event in events.items()},
        )
        for book, events in prices.items()
    }
