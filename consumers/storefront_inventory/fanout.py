"""One stock level, every channel that sells its location: each channel's applier sends
the batch's levels for its own locations, and a level fails if any channel refused it."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from consumers.storefront_inventory.applier import InventoryApplier
from consumers.storefront_inventory.settings import InventorySettings
from consumers.storefront_inventory.sfcc import SfccInventoryApplier
from consumers.storefront_inventory.woocommerce import WooCommerceInventoryApplier
from retailsync.channels import Channels
from retailsync.consumer import Item
from retailsync.sfcc import SfccClient
from retailsync.storefront import StorefrontClient, StorefrontSettings
from retailsync.woocommerce import WooCommerceClient

log = logging.getLogger("retailsync.storefront.inventory")


Client = StorefrontClient | SfccClient | WooCommerceClient


class ChannelApplier(Protocol):
    def apply(self, items: Sequence[Item]) -> Mapping[int, BaseException]: ...


@dataclass(frozen=True, slots=True)
class FanOut:
    """The appliers of every channel that gets stock."""

    appliers: tuple[ChannelApplier, ...]
    clients: tuple[Client, ...] = ()

    def apply(self, items: Sequence[Item]) -> dict[int, BaseException]:
        """Failures by position: a level any channel refused is retried (setting a level
        again is harmless to the channels that took it)."""
        failures: dict[int, BaseException] = {}
        for applier in self.appliers:
            for index, error in applier.apply(items).items():
                failures.setdefault(index, error)
        return failures

    def close(self) -> None:
        for client in self.clients:
            client.close()

    @classmethod
    def of_channels(
        cls, channels: Channels, storefront: StorefrontSettings, settings: InventorySettings
    ) -> FanOut:
        """An applier per channel of the channels file that sells a location."""
        safety = settings.storefront_safety_stock
        timeout_s = storefront.storefront_timeout_s
        appliers: list[ChannelApplier] = []
        clients: list[Client] = []
        for channel in channels:
            if not channel.locations:
                continue
            if channel.platform == "shopify":
                client = StorefrontClient.from_channel(channel, timeout_s=timeout_s)
                appliers.append(InventoryApplier(client, channel.locations, safety))
                clients.append(client)
            elif channel.platform == "sfcc":
                sfcc = SfccClient.from_channel(channel, timeout_s=timeout_s)
                appliers.append(SfccInventoryApplier(channel, sfcc, safety))
                clients.append(sfcc)
            elif channel.platform == "woocommerce":
                woo = WooCommerceClient.from_channel(channel, timeout_s=timeout_s)
                appliers.append(WooCommerceInventoryApplier(channel, woo, safety))
                clients.append(woo)
            else:
                log.warning("%s: stock to %s is not supported yet", channel.name, channel.platform)
        return cls(tuple(appliers), tuple(clients))
