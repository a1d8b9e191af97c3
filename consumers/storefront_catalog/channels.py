"""The catalog to every channel that takes it: the Shopify storefront gets products and
prices (``CatalogApplier``), each SFCC channel with a price book mapping its prices
(``SfccPriceApplier``). A record a publishing rule holds for the storefront is held for
every channel: no SFCC price book gets it before a person approved it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from consumers.storefront_catalog.applier import CatalogApplier
from consumers.storefront_catalog.sfcc import SfccPriceApplier
from retailsync.channels import Channels
from retailsync.consumer import Item
from retailsync.errors import HeldError
from retailsync.sfcc import SfccClient


@dataclass(frozen=True, slots=True)
class CatalogFanOut:
    storefront: CatalogApplier
    sfcc: tuple[SfccPriceApplier, ...]

    def apply(self, items: Sequence[Item]) -> dict[int, BaseException]:
        """Failures by position: a record any channel refused is retried (sending a price
        again is harmless to the channels that took it)."""
        failures = self.storefront.apply(items)
        held = {index for index, error in failures.items() if isinstance(error, HeldError)}
        for applier in self.sfcc:
            for index, error in applier.apply(items, skip=held).items():
                failures.setdefault(index, error)
        return failures

    def close(self) -> None:
        self.storefront.client.close()
        for applier in self.sfcc:
            applier.client.close()

    @classmethod
    def of_channels(
        cls, storefront: CatalogApplier, channels: Channels, *, timeout_s: float
    ) -> CatalogFanOut:
        """The storefront, and an applier per ``sfcc`` channel that maps a price book."""
        sfcc = tuple(
            SfccPriceApplier(channel, SfccClient.from_channel(channel, timeout_s=timeout_s))
            for channel in channels.of("sfcc")
            if channel.price_lists or channel.options.get("list_price_book")
        )
        return cls(storefront, sfcc)
