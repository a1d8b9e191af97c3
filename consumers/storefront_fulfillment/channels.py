"""Shipments and returns to the channel each order came from: the channel part of the
event's order ref (``eu-shop:1001``) names the channel whose storefront gets the fulfilment
(a Shopify fulfilment, or a completed WooCommerce order with a tracking note, or an SFCC
fulfilment event with the shipping status through SCAPI Orders: ``sfcc``) or the refund.
Several shops of one platform each get their own orders' events, and no other's.

Cancellations made in Odoo go to the order's channel of any platform (``cancellations``);
a generic channel's are done with.

Returns are refunded on the order's channel: a Shopify refund (``refunds``), a WooCommerce
order refund paid back through its gateway (``woocommerce_refunds``), or, since SCAPI moves
no money, the refund recorded on the SFCC order (``sfcc_refunds``). A return of a generic
channel's order is a dead letter naming the platform, to be refunded there by hand; a
shipment of a generic channel's order is done with, as before channels.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar

from consumers.storefront_fulfillment.applier import FulfillmentApplier
from consumers.storefront_fulfillment.cancellations import (
    SfccCanceller,
    ShopifyCanceller,
    WooCommerceCanceller,
)
from consumers.storefront_fulfillment.refunds import RefundApplier
from consumers.storefront_fulfillment.settings import FulfillmentSettings
from consumers.storefront_fulfillment.sfcc import SfccFulfillmentApplier
from consumers.storefront_fulfillment.sfcc_refunds import SfccRefundApplier
from consumers.storefront_fulfillment.woocommerce import WooCommerceFulfillmentApplier
from consumers.storefront_fulfillment.woocommerce_refunds import WooCommerceRefundApplier
from retailsync.channels import Channels
from retailsync.consumer import Item
from retailsync.errors import PermanentError
from retailsync.sfcc import SfccClient
from retailsync.storefront import StorefrontClient, StorefrontSettings
from retailsync.woocommerce import WooCommerceClient

log = logging.getLogger("retailsync.storefront.fulfillment")


class _Client(Protocol):
    def close(self) -> None: ...


class Applier(Protocol):
    @property
    def client(self) -> _Client: ...

    def apply(self, items: Sequence[Item]) -> dict[int, BaseException]: ...


A = TypeVar("A", bound=Applier)


@dataclass(frozen=True, slots=True)
class ByChannel(Generic[A]):
    """The applier of each channel that takes these events, by channel name, and the
    platform of each channel whose orders fail here (``unsupported``)."""

    appliers: Mapping[str, A]
    unsupported: Mapping[str, str] = field(default_factory=dict)

    def apply(self, items: Sequence[Item]) -> dict[int, BaseException]:
        """Each event to its order's channel; failures by position. An event of a channel
        neither taken nor unsupported here is done with, as before channels."""
        positions: dict[str, list[int]] = {}
        failures: dict[int, BaseException] = {}
        for index, item in enumerate(items):
            channel = item.event.order_ref.partition(":")[0]
            if channel in self.appliers:
                positions.setdefault(channel, []).append(index)
            elif channel in self.unsupported:
                failures[index] = PermanentError(
                    f"refunds to {self.unsupported[channel]} channel {channel} are not "
                    f"supported yet: refund order {item.event.order_ref} there by hand"
                )
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
    ) -> ByChannel[FulfillmentApplier | WooCommerceFulfillmentApplier | SfccFulfillmentApplier]:
        """An applier per Shopify, WooCommerce and SFCC channel of the channels file."""
        timeout_s = storefront.storefront_timeout_s
        notify = settings.storefront_notify_customer
        appliers: dict[
            str, FulfillmentApplier | WooCommerceFulfillmentApplier | SfccFulfillmentApplier
        ] = {}
        for channel in channels:
            if channel.platform == "woocommerce":
                woo = WooCommerceClient.from_channel(channel, timeout_s=timeout_s)
                appliers[channel.name] = WooCommerceFulfillmentApplier(woo, channel.name, notify)
                continue
            if channel.platform == "sfcc":
                sfcc = SfccClient.from_channel(channel, timeout_s=timeout_s)
                appliers[channel.name] = SfccFulfillmentApplier(sfcc)
                continue
            if channel.platform != "shopify":
                log.warning(
                    "%s: fulfilments to %s are not supported yet", channel.name, channel.platform
                )
                continue
            client = StorefrontClient.from_channel(channel, timeout_s=timeout_s)
            appliers[channel.name] = FulfillmentApplier(client, channel.name, notify)
        return ByChannel(appliers)

    @classmethod
    def refunds_of_channels(
        cls, channels: Channels, storefront: StorefrontSettings, settings: FulfillmentSettings
    ) -> ByChannel[RefundApplier | WooCommerceRefundApplier | SfccRefundApplier]:
        """A refund applier per Shopify, WooCommerce and SFCC channel; a generic channel's
        returns fail."""
        timeout_s = storefront.storefront_timeout_s
        appliers: dict[str, RefundApplier | WooCommerceRefundApplier | SfccRefundApplier] = {}
        unsupported: dict[str, str] = {}
        for channel in channels:
            if channel.platform == "shopify":
                appliers[channel.name] = RefundApplier(
                    StorefrontClient.from_channel(channel, timeout_s=timeout_s),
                    channel.name,
                    settings.storefront_notify_customer,
                )
            elif channel.platform == "woocommerce":
                woo = WooCommerceClient.from_channel(channel, timeout_s=timeout_s)
                appliers[channel.name] = WooCommerceRefundApplier(woo)
            elif channel.platform == "sfcc":
                sfcc = SfccClient.from_channel(channel, timeout_s=timeout_s)
                appliers[channel.name] = SfccRefundApplier(sfcc)
            else:
                unsupported[channel.name] = channel.platform
        return ByChannel(appliers, unsupported)

    @classmethod
    def cancellations_of_channels(
        cls, channels: Channels, storefront: StorefrontSettings, settings: FulfillmentSettings
    ) -> ByChannel[ShopifyCanceller | WooCommerceCanceller | SfccCanceller]:
        """A canceller per Shopify, WooCommerce and SFCC channel of the channels file."""
        timeout_s = storefront.storefront_timeout_s
        cancellers: dict[str, ShopifyCanceller | WooCommerceCanceller | SfccCanceller] = {}
        for channel in channels:
            if channel.platform == "shopify":
                cancellers[channel.name] = ShopifyCanceller(
                    StorefrontClient.from_channel(channel, timeout_s=timeout_s),
                    settings.storefront_notify_customer,
                )
            elif channel.platform == "woocommerce":
                woo = WooCommerceClient.from_channel(channel, timeout_s=timeout_s)
                cancellers[channel.name] = WooCommerceCanceller(woo)
            elif channel.platform == "sfcc":
                sfcc = SfccClient.from_channel(channel, timeout_s=timeout_s)
                cancellers[channel.name] = SfccCanceller(sfcc)
        return ByChannel(cancellers)
