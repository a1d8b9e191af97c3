"""Which order source reads a channel: one per platform, built for the channel's API."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from producers.backfill.sfcc import SfccOrders
from producers.backfill.shopify import ShopifyOrders
from producers.backfill.source import OrderSource
from producers.backfill.woocommerce import WooCommerceOrders
from retailsync.channels import Channel
from retailsync.errors import ConfigError
from retailsync.sfcc import SfccClient
from retailsync.storefront import StorefrontClient
from retailsync.woocommerce import WooCommerceClient

# What a platform without a source is missing, for the operator.
_UNSUPPORTED = {"generic": "a generic channel has no API to read its orders from"}


@contextmanager
def order_source(channel: Channel, *, timeout_s: float) -> Iterator[OrderSource]:
    """The order source of ``channel``, its client open for the block; ConfigError naming
    the channel's platform when there is none."""
    if channel.platform == "shopify":
        with StorefrontClient.from_channel(channel, timeout_s=timeout_s) as shopify:
            yield ShopifyOrders(shopify, channel.name)
        return
    if channel.platform == "sfcc":
        with SfccClient.from_channel(channel, timeout_s=timeout_s) as sfcc:
            yield SfccOrders(sfcc, channel)
        return
    if channel.platform == "woocommerce":
        with WooCommerceClient.from_channel(channel, timeout_s=timeout_s) as woo:
            yield WooCommerceOrders(woo, channel)
        return
    reason = _UNSUPPORTED.get(channel.platform, f"no order source for {channel.platform}")
    raise ConfigError(channel.source, channel.setting_key("platform"), reason)
