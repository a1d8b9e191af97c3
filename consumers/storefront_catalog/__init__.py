"""The storefront-catalog service: Odoo products and prices -> the storefront's catalog.

``product_upserted`` creates or updates the product and variant of a SKU (title,
description, active or archived, barcode, weight); ``price_changed`` of the storefront's
pricelist (``RETAILSYNC_STOREFRONT_PRICELIST``; unset: the list price) sets its price and
compare-at price. A batch of up to 50 SKUs costs two calls (see ``applier``). A record
older than one applied of its kind and SKU is dropped (kept in memory, per process, as in
storefront-inventory). The group's publishing rules in topology.yaml (``policy``) hold
what a person must approve first.

With a channels file (``RETAILSYNC_CHANNELS_FILE``) the prices also go to every ``sfcc``
channel that maps a price book (``list_price_book``, ``price_lists``), one import per batch
(``channels``, ``sfcc``); a record held for the storefront is held for them too.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence

from consumers.storefront_catalog.applier import CatalogApplier
from consumers.storefront_catalog.channels import CatalogFanOut
from consumers.storefront_catalog.settings import CatalogSettings
from retailsync.channels import ChannelSettings, load_channels_file
from retailsync.consumer import ConsumerService, Item
from retailsync.settings import load_settings
from retailsync.storefront import TARGET, StorefrontSettings
from retailsync.topology import load_topology

service = ConsumerService("storefront-catalog")


@functools.cache
def applier() -> CatalogApplier | CatalogFanOut:
    """The applier of this process, built from the settings on first use."""
    rules = load_topology(load_settings().topology_file).consumer(service.name).publishing
    settings = StorefrontSettings.load()
    storefront = CatalogApplier.from_settings(settings, CatalogSettings.load(), rules)
    channels_file = ChannelSettings.load().channels_file
    if channels_file is None:
        return storefront
    return CatalogFanOut.of_channels(
        storefront, load_channels_file(channels_file), timeout_s=settings.storefront_timeout_s
    )


@service.batch_handler("product_upserted", "price_changed", target=TARGET, max_items=50)
def apply(items: Sequence[Item]) -> Mapping[int, BaseException] | None:
    return applier().apply(items)
