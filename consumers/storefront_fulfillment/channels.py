"""Shipments to the channel each order came from: the channel part of the shipment's order
ref (``eu-shop:1001``) names the channel whose storefront gets the fulfilment. Several
Shopify shops each get their own orders' shipments, and no other's."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from consumers.storefront_fulfillment.applier import FulfillmentApplier
from consumers.storefront_fulfillment.settings import FulfillmentSettings
from retailsync.channels import Channels
from retailsync.consumer import Item
from retailsync.storefront import StorefrontClient, StorefrontSettings

log = logging.getLogger("retailsync.storefront.fulfillment")


@dataclass(frozen=True, slots=True)
class ByChannel:
    """The fulfilment applier of each channel that takes fulfilments, by channel name."""

    appliers: Mapping[str, FulfillmentApplier]

    def apply(self, items: Sequence[Item]) -> dict[int, BaseException]:
        """Each shipment to its order's channel; failures by position. A shipment of a
        channel that takes no fulfilments from here is done with, as before channels."""
        positions: dict[str, list[int]] = {}
        for index, item in enumerate(items):
            channel = item.event.order_ref.partition(":")[0]
            if channel in self.appliers:
                positions.setdefault(channel, []).append(index)
        failures: dict[int, BaseException] = {}
        for channel, indexes in positions.items():
            refused = self.appliers[channel].apply([items[index] for index in indexes])
            failures |= {indexes[position]: error for position, error in refused.items()}
        return failures

    def close(self) -> None:
        for applier in self.appliers.values():
            applier.client.close()

    @classmethod
    def of_channels(
        cls, channels: Channels, storefront: StorefrontSettings, settings: FulfillmentSettings
    ) -> ByChannel:
        """An applier per Shopify channel of the channels file."""
        appliers: dict[str, FulfillmentApplier] = {}
        for channel in channels:
            if channel.platform != "shopify":
                log.warning(
                    "%s: fulfilments to %s are not supported yet", channel.name, channel.platform
                )
                continue
            client = StorefrontClient.from_channel(
                channel, timeout_s=storefront.storefront_timeout_s
            )
            appliers[channel.name] = FulfillmentApplier(
                client, channel.name, settings.storefront_notify_customer
            )
        return cls(appliers)
