"""An SFCC channel's orders through SCAPI's ``getOrders`` by creation date, mapped by the
order export's own mapping (``producers.sfcc.mapping``).

The backfill reads orders of every export status and changes none (orders that are no
sale, ``created``, ``failed`` or ``replaced``, are listed as refused): the export keeps
taking the ``ready`` ones as before. It does not reuse the export path, which takes only
``ready`` orders and marks them: orders an integration exported before retailsync would
never be read. The events carry the export's ids (derived from the organization, site,
order number and event type), so an order both backfilled and exported is one set of
events, which consumers drop the second time.

The listing is sorted by creation date, oldest first, and paged by keyset on it
(``producers.sfcc.paging``): ``getOrders`` answers no ``offset + limit`` over 10,000, so
offset paging would end a site's backfill there.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime

import pydantic

from producers.backfill.source import ChannelOrder, placed_at, refusal
from producers.sfcc.mapping import order_events, site_source
from producers.sfcc.paging import keyset_pages
from retailsync.channels import Channel
from retailsync.errors import InvalidInputError
from retailsync.sfcc import Order, SfccClient

PAGE_SIZE = 200
# Order statuses of B2C Commerce that are no sale to take: listed, never published.
NOT_PLACED = {
    "created": "not placed yet",
    "failed": "its placement failed",
    "replaced": "replaced by another order",
}


class SfccOrders:
    """The orders of one SFCC site (an :class:`~producers.backfill.source.OrderSource`)."""

    def __init__(self, client: SfccClient, channel: Channel, *, page_size: int = PAGE_SIZE):
        self._client = client
        self._channel = channel.name
        self._source = site_source(channel.option("organization_id"), client.site_id)
        self._page_size = page_size

    def orders(self, since: datetime) -> Iterator[ChannelOrder]:
        pages = keyset_pages(
            lambda cursor, skip: (
                self._client.orders(
                    None, offset=skip, limit=self._page_size, created_from=cursor
                ).orders
            ),
            since,
            limit=self._page_size,
            stamp=_created,
        )
        for page in pages:
            yield from (self._channel_order(order) for order in page)

    def _channel_order(self, order: Order) -> ChannelOrder:
        ref = f"{self._channel}:{order.order_no}"
        document = json.loads(order.body)
        created_at = placed_at(document.get("creationDate"))
        status = document.get("status")
        if status in NOT_PLACED:
            return ChannelOrder(ref, created_at, refused=f"status {status!r}: {NOT_PLACED[status]}")
        try:
            events = order_events(order.body, source=self._source, channel=self._channel)
        except (pydantic.ValidationError, InvalidInputError) as error:
            return ChannelOrder(ref, created_at, refused=refusal(error))
        return ChannelOrder(ref, created_at, events)


def _created(order: Order) -> datetime | None:
    """When the order was created, if its JSON says so with a time zone (SCAPI: UTC)."""
    created = placed_at(json.loads(order.body).get("creationDate"))
    return created if created is not None and created.tzinfo is not None else None
