"""The storefront-fulfillment service: Odoo deliveries -> storefront fulfilments with tracking.

``shipment_dispatched`` becomes a Shopify ``fulfillmentCreate`` on the order named by its
``order_ref`` (``<RETAILSYNC_STOREFRONT_CHANNEL>:<order id>``; other channels' orders are
not this storefront's), covering the shipped SKUs from the order's open fulfilment orders,
with the carrier, tracking number and URL.

Idempotent on the storefront's own state: before creating, the order's fulfilments are read;
one with the same tracking number means the shipment is there already, and shipped SKUs
with no open quantity left mean the same for a shipment without tracking. A re-delivered
event therefore never creates a second fulfilment.

``order_cancelled`` published by Odoo's change capture (source system ODOO) cancels the
order on its channel (``cancellations.py``: Shopify ``orderCancel``, WooCommerce ``PUT
/orders/<id>`` ``status: cancelled``, SFCC ``updateOrderStatus``), without restocking or
refunding there; a cancellation the channel itself published is skipped, never echoed.

``return_received`` becomes the refund of exactly the received lines on the order's channel,
without restocking, unless the channel refunded them already: a Shopify ``refundCreate``
(``refunds.py``, which holds what the platforms share), a WooCommerce order refund paid
back through the order's gateway (``woocommerce_refunds.py``), or the refund recorded on
the SFCC order as an OMS adjustment and its external status, SCAPI moving no money
(``sfcc_refunds.py``).

Channels: with a channels file (``RETAILSYNC_CHANNELS_FILE``) each shipment goes to the
channel its order ref names (``ByChannel``), so two Shopify shops each fulfil their own
orders; a WooCommerce channel's order is completed and gets a customer note with the
tracking (``woocommerce.py``), and an SFCC site gets its orders' shipments as OMS fulfilment
events with the shipping status (``sfcc``). Returns of a generic channel are dead letters
naming its platform. Without one, the ``RETAILSYNC_STOREFRONT_*`` shop takes
``RETAILSYNC_STOREFRONT_CHANNEL``'s.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence

from consumers.storefront_fulfillment.applier import FulfillmentApplier
from consumers.storefront_fulfillment.cancellations import (
    SfccCanceller,
    ShopifyCanceller,
    WooCommerceCanceller,
)
from consumers.storefront_fulfillment.channels import ByChannel
from consumers.storefront_fulfillment.refunds import RefundApplier
from consumers.storefront_fulfillment.settings import FulfillmentSettings
from consumers.storefront_fulfillment.sfcc import SfccFulfillmentApplier
from consumers.storefront_fulfillment.sfcc_refunds import SfccRefundApplier
from consumers.storefront_fulfillment.woocommerce import WooCommerceFulfillmentApplier
from consumers.storefront_fulfillment.woocommerce_refunds import WooCommerceRefundApplier
from retailsync.channels import ChannelSettings, load_channels_file
from retailsync.consumer import ConsumerService, Item
from retailsync.events import OrderCancelled, SourceSystem
from retailsync.storefront import TARGET, StorefrontClient, StorefrontSettings

service = ConsumerService("storefront-fulfillment")


@functools.cache
def applier() -> (
    FulfillmentApplier
    | ByChannel[FulfillmentApplier | WooCommerceFulfillmentApplier | SfccFulfillmentApplier]
):
    """The applier of this process, built from the settings on first use."""
    storefront, settings = StorefrontSettings.load(), FulfillmentSettings.load()
    channels_file = ChannelSettings.load().channels_file
    if channels_file is None:
        return FulfillmentApplier.from_settings(storefront, settings)
    return ByChannel.of_channels(load_channels_file(channels_file), storefront, settings)


@service.batch_handler("shipment_dispatched", target=TARGET, max_items=50)
def apply(items: Sequence[Item]) -> Mapping[int, BaseException] | None:
    return applier().apply(items)


@functools.cache
def refunder() -> (
    RefundApplier | ByChannel[RefundApplier | WooCommerceRefundApplier | SfccRefundApplier]
):
    """The refund applier of this process, built from the settings on first use."""
    storefront, settings = StorefrontSettings.load(), FulfillmentSettings.load()
    channels_file = ChannelSettings.load().channels_file
    if channels_file is None:
        return RefundApplier(
            StorefrontClient.from_settings(storefront),
            settings.storefront_channel,
            settings.storefront_notify_customer,
        )
    return ByChannel.refunds_of_channels(load_channels_file(channels_file), storefront, settings)


@service.batch_handler("return_received", target=TARGET, max_items=50)
def refund(items: Sequence[Item]) -> Mapping[int, BaseException] | None:
    return refunder().apply(items)


@functools.cache
def canceller() -> ByChannel[ShopifyCanceller | WooCommerceCanceller | SfccCanceller]:
    """The canceller of this process, built from the settings on first use."""
    storefront, settings = StorefrontSettings.load(), FulfillmentSettings.load()
    channels_file = ChannelSettings.load().channels_file
    if channels_file is None:
        shop = ShopifyCanceller(
            StorefrontClient.from_settings(storefront), settings.storefront_notify_customer
        )
        return ByChannel({settings.storefront_channel: shop})
    return ByChannel.cancellations_of_channels(
        load_channels_file(channels_file), storefront, settings
    )


def cancelled_in_odoo(event: OrderCancelled) -> bool:
    """Whether Odoo's change capture published the cancellation: only those go to the
    channel; the channel's own are known there already."""
    return event.envelope.source.system is SourceSystem.ODOO


@service.batch_handler("order_cancelled", target=TARGET, max_items=50, accepts=cancelled_in_odoo)
def cancel(items: Sequence[Item]) -> Mapping[int, BaseException] | None:
    return canceller().apply(items)
