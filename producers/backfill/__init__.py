"""Go-live backfill: a channel's orders placed before retailsync took over, read through its
API and published through the live path's mapping (``retailsync backfill orders``).

One :class:`OrderSource` per platform: Shopify (Admin GraphQL ``orders``), SFCC (SCAPI
Orders by creation date) and WooCommerce (REST ``orders`` by creation date). A generic
channel has no API to read from.
"""

from producers.backfill.plan import BackfillPlan
from producers.backfill.publish import AUDIT_ACTION, publish, writer_name
from producers.backfill.source import ChannelOrder, OrderSource

__all__ = [
    "AUDIT_ACTION",
    "BackfillPlan",
    "ChannelOrder",
    "OrderSource",
    "publish",
    "writer_name",
]
