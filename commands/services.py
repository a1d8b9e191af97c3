"""The services this product ships, by name: what ``retailsync consume`` and
``retailsync run`` start. An explicit list, so that a service is found by its registration,
never by a module named after it."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

import consumers.odoo_customers
import consumers.odoo_orders
import consumers.odoo_payouts
import consumers.order_lifecycle
import consumers.storefront_catalog
import consumers.storefront_fulfillment
import consumers.storefront_inventory
from retailsync.consumer import ConsumerService

CONSUMER_SERVICES: Mapping[str, ConsumerService] = MappingProxyType(
    {
        service.name: service
        for service in (
            consumers.odoo_orders.service,
            consumers.storefront_inventory.service,
            consumers.storefront_fulfillment.service,
            consumers.odoo_customers.service,
            consumers.order_lifecycle.service,
            consumers.storefront_catalog.service,
            consumers.odoo_payouts.service,
        )
    }
)

# Each producer service is a ``retailsync serve`` command of its own.
PRODUCER_SERVICES = ("odoo-changes", "webhooks", "ingest")
# Producers that export a channel platform's orders: they need a channel of that platform
# in the channels file, so ``retailsync run`` starts them only once it starts a stand-in
# of the platform (not yet).
CHANNEL_PRODUCER_SERVICES = ("sfcc-orders",)
