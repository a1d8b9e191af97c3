"""The storefront-inventory service: Odoo stock levels -> the storefront's available quantities.

``inventory_adjusted`` carries the whole level of one sku@location. The storefront gets
``available = on_hand - reserved - safety stock`` (whole units, at least 0) at the storefront
location mapped from the Odoo location (``RETAILSYNC_STOREFRONT_LOCATIONS``; other locations
are not sold online), through Shopify's ``inventorySetQuantities``.

- Coalescing: the batch handler gets the group's records in order (``ordering: none``, so
  several of one key); only the newest level per sku@location is sent, all SKUs of the batch
  in one mutation.
- Staleness: the source_version last sent per sku@location is kept in memory, and a level
  older than it is dropped (a retried record that a newer one overtook). After a restart the
  memory is empty: records replayed from the last commit come in offset order, so the newest
  still lands last; what a restart cannot see is a retry-topic record older than a level sent
  before the restart, which is then sent once and corrected by the next change of that SKU.
- Throttling: the client waits out Shopify's ``THROTTLED`` answers (see
  ``retailsync.storefront``); it is never a failure.
- SKUs the storefront does not sell are skipped; their ids are looked up once and cached.

Channels: with a channels file (``RETAILSYNC_CHANNELS_FILE``) every channel that maps the
level's Odoo location gets it (``FanOut``): a Shopify channel as above, an SFCC channel as
the allocation of the product's record in the mapped inventory list (OCAPI Data API), a
WooCommerce channel as the stock quantity of the product or variation with the SKU, the
batch's levels in WooCommerce's batch endpoints (100 a request).
Without one, the ``RETAILSYNC_STOREFRONT_*`` shop is the one channel.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence

from consumers.storefront_inventory.applier import InventoryApplier
from consumers.storefront_inventory.fanout import FanOut
from consumers.storefront_inventory.settings import InventorySettings
from retailsync.channels import ChannelSettings, load_channels_file
from retailsync.consumer import ConsumerService, Item
from retailsync.storefront import TARGET, StorefrontSettings

service = ConsumerService("storefront-inventory")


@functools.cache
def applier() -> InventoryApplier | FanOut:
    """The applier of this process, built from the settings on first use."""
    storefront, settings = StorefrontSettings.load(), InventorySettings.load()
    channels_file = ChannelSettings.load().channels_file
    if channels_file is None:
        return InventoryApplier.from_settings(storefront, settings)
    return FanOut.of_channels(load_channels_file(channels_file), storefront, settings)


@service.batch_handler("inventory_adjusted", target=TARGET, max_items=200)
def apply(items: Sequence[Item]) -> Mapping[int, BaseException] | None:
    return applier().apply(items)
