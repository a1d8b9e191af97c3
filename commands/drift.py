"""Order drift: every order a channel took is in Odoo exactly once, read from the systems
themselves (the channel's order list, Odoo's sale orders by ``client_order_ref``), not from
our topics.

A channel order missing from Odoo (lost, dead-lettered, or deleted there) and one Odoo holds
twice are differences; so is an Odoo order of a channel that the channel does not list. An
order younger than the settling time is not judged yet: the pipeline may still carry it.
Shopify's orders come from the Admin API's ``orders`` connection, SFCC's from the orders the
export marked ``exported`` (orders still ``ready`` have not been taken yet), WooCommerce's
from the REST API's order list (drafts of an unfinished checkout are not orders yet).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from retailsync.channels import Channel
from retailsync.odoo import OdooClient
from retailsync.sfcc import SfccClient
from retailsync.storefront import StorefrontClient
from retailsync.woocommerce import WooCommerceClient

_SFCC_PAGE = 200
_SHOPIFY_PAGE = 250
ORDERS = """
query Orders($first: Int!, $after: String) {
  orders(first: $first, after: $after) {
    nodes { legacyResourceId createdAt test }
    pageInfo { hasNextPage endCursor }
  }
}
"""


@dataclass(frozen=True, slots=True)
class OrderDifference:
    """One order ref the channel and Odoo disagree on."""

    order_ref: str
    on_channel: bool
    in_odoo: int  # how many Odoo sale orders carry the ref

    @property
    def problem(self) -> str:
        if not self.on_channel:
            return "in Odoo, not on the channel"
        return "not in Odoo" if self.in_odoo == 0 else f"in Odoo {self.in_odoo} times"


def order_drift(
    odoo: OdooClient,
    channels: Iterable[Channel],
    *,
    settled_before: datetime,
    include_test: bool,
    timeout_s: float,
) -> list[OrderDifference]:
    """The differences of every Shopify, SFCC and WooCommerce channel, for orders created before
    ``settled_before``; test orders count only with ``include_test``."""
    found: list[OrderDifference] = []
    for channel in channels:
        if channel.platform not in ("shopify", "sfcc", "woocommerce"):
            continue
        # ref -> whether it is judged: settled, and not a test order unless those count
        listed = dict(_channel_refs(channel, settled_before, include_test, timeout_s))
        rows = odoo.search_read(
            "sale.order", [("client_order_ref", "=like", f"{channel.name}:%")], ["client_order_ref"]
        )
        in_odoo = Counter(str(row["client_order_ref"]) for row in rows)
        for ref in sorted(listed.keys() | in_odoo.keys()):
            count, on_channel = in_odoo.get(ref, 0), ref in listed
            if not on_channel or count > 1 or (count == 0 and listed[ref]):
                found.append(OrderDifference(ref, on_channel, count))
    return found


def _channel_refs(
    channel: Channel, settled_before: datetime, include_test: bool, timeout_s: float
) -> Iterator[tuple[str, bool]]:
    if channel.platform == "shopify":
        with StorefrontClient.from_channel(channel, timeout_s=timeout_s) as client:
            yield from _shopify_refs(client, channel.name, settled_before, include_test)
    elif channel.platform == "sfcc":
        with SfccClient.from_channel(channel, timeout_s=timeout_s) as client:
            yield from _sfcc_refs(client, channel.name, settled_before)
    elif channel.platform == "woocommerce":
        with WooCommerceClient.from_channel(channel, timeout_s=timeout_s) as woo:
            yield from _woocommerce_refs(woo, channel.name, settled_before)


def _shopify_refs(
    client: StorefrontClient, channel: str, settled_before: datetime, include_test: bool
) -> Iterator[tuple[str, bool]]:
    after: str | None = None
    while True:
        page = client.execute(ORDERS, {"first": _SHOPIFY_PAGE, "after": after})["orders"]
        for order in page["nodes"]:
            created = datetime.fromisoformat(order["createdAt"])
            judged = created < settled_before and (include_test or not order["test"])
            yield f"{channel}:{order['legacyResourceId']}", judged
        if not page["pageInfo"]["hasNextPage"]:
            return
        after = page["pageInfo"]["endCursor"]


def _sfcc_refs(
    client: SfccClient, channel: str, settled_before: datetime
) -> Iterator[tuple[str, bool]]:
    offset = 0
    while True:
        page = client.orders("exported", offset=offset, limit=_SFCC_PAGE)
        for order in page.orders:
            created = json.loads(order.body).get("creationDate")
            judged = created is None or datetime.fromisoformat(created) < settled_before
            yield f"{channel}:{order.order_no}", judged
        offset += len(page.orders)
        if page.last:
            return


def _woocommerce_refs(
    client: WooCommerceClient, channel: str, settled_before: datetime
) -> Iterator[tuple[str, bool]]:
    for order in client.orders():
        if order.get("status") == "checkout-draft":
            continue
        # WooCommerce's *_gmt times are UTC without an offset.
        created = datetime.fromisoformat(f"{order['date_created_gmt']}+00:00")
        yield f"{channel}:{order['id']}", created < settled_before
