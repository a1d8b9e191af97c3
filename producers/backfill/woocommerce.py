"""A WooCommerce channel's orders through the REST API's order list by creation time, mapped
by the webhook path's own mapping (``producers.commerce.mapping.woocommerce``).

A REST v3 order is the body of WooCommerce's ``order.updated`` webhook, so each order goes
through that mapping as it is: order_created, then what its status says (payment_captured
when paid, order_cancelled, refund_issued); the order_edited the webhook also gives is left
out, as an order is taken as it is now. A checkout draft (``checkout-draft``, a block
checkout not finished) is no order yet and is listed as refused.

Event ids: order_created is named after the order's creation, whatever the delivery, so a
backfilled order and its webhook are one event; the others are named after the order's
``date_modified_gmt`` and meet their webhook's in Odoo by the order and payment refs.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import pydantic

from producers.backfill.source import ChannelOrder, placed_at, refusal
from producers.commerce.mapping import Delivery, events_of, identified, woocommerce
from producers.commerce.mapping.rules import checked
from retailsync.channels import Channel
from retailsync.errors import InvalidInputError
from retailsync.events import OrderEdited, Source, SourceSystem
from retailsync.woocommerce import WooCommerceClient

NOT_PLACED = {"checkout-draft": "a checkout not finished"}


class WooCommerceOrders:
    """The orders of one WooCommerce shop (an :class:`~producers.backfill.source.OrderSource`)."""

    def __init__(self, client: WooCommerceClient, channel: Channel) -> None:
        self._client = client
        self._channel = channel.name
        host = urlsplit(channel.url or "").netloc or channel.name
        self._source = Source(system=SourceSystem.WOOCOMMERCE, instance=host)

    def orders(self, since: datetime) -> Iterator[ChannelOrder]:
        # WooCommerce's `after` is exclusive and to the second: ask from a second before.
        for document in self._client.orders(created_after=since - timedelta(seconds=1)):
            order = self._channel_order(document)
            if order.created_at is None or order.created_at >= since:
                yield order

    def _channel_order(self, document: dict[str, Any]) -> ChannelOrder:
        ref = f"{self._channel}:{document.get('id')}"
        created_gmt = placed_at(document.get("date_created_gmt"))
        created_at = created_gmt.replace(tzinfo=UTC) if created_gmt else None
        status = document.get("status")
        if status in NOT_PLACED:
            return ChannelOrder(ref, created_at, refused=f"status {status!r}: {NOT_PLACED[status]}")
        delivery = Delivery(
            # The order's version: a re-run of an unchanged order keeps every id.
            delivery_id=f"backfill/{document.get('date_modified_gmt')}",
            topic="order.updated",
            source=self._source,
            channel=self._channel,
        )
        try:
            mapped = events_of(woocommerce.order_updated(delivery, json.dumps(document).encode()))
            events = tuple(
                identified(checked(event)) for event in mapped if not isinstance(event, OrderEdited)
            )
        except (pydantic.ValidationError, InvalidInputError) as error:
            return ChannelOrder(ref, created_at, refused=refusal(error))
        return ChannelOrder(ref, created_at, events)
