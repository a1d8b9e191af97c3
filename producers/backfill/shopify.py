"""A Shopify channel's orders through the Admin GraphQL API's ``orders`` connection, mapped
by the webhook path's own mapping (``producers.commerce.mapping.shopify``).

The GraphQL ``Order`` is not the REST ``Order`` that webhooks carry, and the Admin API has
no way to ask for the REST shape, so each order is queried with the fields the webhook
mapping reads and converted to that REST body (:func:`rest_order`): the same payload
validation, the same mapping, the same add-up check. Money is the shop's (``shopMoney``),
as the REST amounts are.

Each order gives order_created, then payment_captured when it is paid (as orders/paid) and
order_cancelled when it was cancelled (as orders/cancelled). Refunds are not read.

Event ids: the webhook path derives them from the delivery id, which a backfill has no way
to know, so a backfill's ids are its own, derived from the shop, the order and its
``updatedAt`` (and what the event says): a second run of an unchanged order gives the same
ids. A webhook's event and a backfill's of one order differ in id, and odoo-orders creates
its Odoo order once by the order ref (``retailsync.sale_order_<ref>``) whichever comes
first; a payment is applied once by its payment ref.

Cost: Shopify charges a connection's ``first`` times what each node selects; 5 orders of up
to 100 lines each stay well under the 1,000-point bucket of every plan.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from producers.backfill.source import ChannelOrder, placed_at, refusal
from producers.commerce.mapping import Delivery, identified, shopify
from producers.commerce.mapping.rules import checked
from retailsync.errors import InvalidInputError
from retailsync.events import Event, Source, SourceSystem
from retailsync.storefront import StorefrontClient

PAGE_SIZE = 5
MAX_LINES = 100
_MONEY = "shopMoney { amount currencyCode }"
_TAXES = f"taxLines {{ title rate priceSet {{ {_MONEY} }} }}"
ORDERS = f"""
query BackfillOrders($first: Int!, $after: String, $query: String) {{
  shop {{ myshopifyDomain }}
  orders(first: $first, after: $after, query: $query, sortKey: ID) {{
    nodes {{
      id legacyResourceId name createdAt updatedAt cancelledAt cancelReason
      currencyCode taxesIncluded test displayFinancialStatus paymentGatewayNames
      subtotalPriceSet {{ {_MONEY} }} totalPriceSet {{ {_MONEY} }}
      totalTaxSet {{ {_MONEY} }} totalDiscountsSet {{ {_MONEY} }}
      customer {{ legacyResourceId }}
      shippingAddress {{
        name company address1 address2 city provinceCode zip countryCodeV2 phone
      }}
      lineItems(first: {MAX_LINES}) {{
        nodes {{
          id sku title quantity variant {{ legacyResourceId }}
          originalUnitPriceSet {{ {_MONEY} }} totalDiscountSet {{ {_MONEY} }}
          discountAllocations {{ allocatedAmountSet {{ {_MONEY} }} }}
          {_TAXES}
        }}
        pageInfo {{ hasNextPage }}
      }}
      shippingLines(first: 5) {{
        nodes {{
          title code originalPriceSet {{ {_MONEY} }} discountedPriceSet {{ {_MONEY} }}
          {_TAXES}
        }}
      }}
      refunds {{
        id createdAt
        refundLineItems(first: {MAX_LINES}) {{
          nodes {{
            lineItem {{ id }} quantity restockType
            subtotalSet {{ {_MONEY} }} totalTaxSet {{ {_MONEY} }}
          }}
        }}
      }}
    }}
    pageInfo {{ hasNextPage endCursor }}
  }}
}}
"""


def created_since(since: datetime) -> str:
    """Shopify's search query for orders placed at or after ``since`` (in UTC, to the
    second, as Shopify writes times)."""
    return f"created_at:>='{since.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}'"


class ShopifyOrders:
    """The orders of one Shopify channel (an :class:`~producers.backfill.source.OrderSource`)."""

    def __init__(
        self, client: StorefrontClient, channel: str, *, page_size: int = PAGE_SIZE
    ) -> None:
        self._client = client
        self._channel = channel
        self._page_size = page_size

    def orders(self, since: datetime) -> Iterator[ChannelOrder]:
        after: str | None = None
        while True:
            variables = {"first": self._page_size, "after": after, "query": created_since(since)}
            data = self._client.execute(ORDERS, variables)
            source = Source(system=SourceSystem.SHOPIFY, instance=data["shop"]["myshopifyDomain"])
            page = data["orders"]
            for node in page["nodes"]:
                yield channel_order(node, source, self._channel)
            if not page["pageInfo"]["hasNextPage"]:
                return
            after = page["pageInfo"]["endCursor"]


def channel_order(node: Mapping[str, Any], source: Source, channel: str) -> ChannelOrder:
    """One GraphQL ``Order`` as its events, or refused naming what it lacks."""
    ref = f"{channel}:{node.get('legacyResourceId')}"
    created_at = placed_at(node.get("createdAt"))
    try:
        if node["lineItems"]["pageInfo"]["hasNextPage"]:
            raise InvalidInputError(f"more than {MAX_LINES} lines", "lineItems")
        body = json.dumps(rest_order(node)).encode()
        delivery = Delivery(
            # The order's version: a re-run of an unchanged order keeps every id.
            delivery_id=f"backfill/{node['updatedAt']}",
            topic="orders/backfill",
            source=source,
            channel=channel,
        )
        events = order_events(delivery, body)
    except (InvalidInputError, ValueError, KeyError, TypeError) as error:
        reason = f"{error.args[0]}: missing" if isinstance(error, KeyError) else refusal(error)
        return ChannelOrder(ref, created_at, refused=reason)
    return ChannelOrder(ref, created_at, events, test=bool(node.get("test")))


def order_events(delivery: Delivery, body: bytes) -> tuple[Event, ...]:
    """The webhook mappings of orders/create, orders/paid and orders/cancelled that apply to
    the order's state, in that order, identified as the receiver identifies them."""
    state = json.loads(body)
    mapped: list[Event] = [shopify.order_created(delivery, body)]
    if state["financial_status"] == "paid":
        mapped.append(shopify.payment_captured(delivery, body))
    if state["cancelled_at"] is not None:
        mapped.append(shopify.order_cancelled(delivery, body))
    return tuple(identified(checked(event)) for event in mapped)


def rest_order(node: Mapping[str, Any]) -> dict[str, Any]:
    """A GraphQL ``Order`` as the REST ``Order`` body of Shopify's order webhooks, with the
    fields the webhook mapping reads."""
    order_id = int(node["legacyResourceId"])
    customer = node.get("customer")
    return {
        "id": order_id,
        "name": node["name"],
        "created_at": node["createdAt"],
        "updated_at": node["updatedAt"],
        "cancelled_at": node["cancelledAt"],
        "cancel_reason": _lower(node["cancelReason"]),
        "currency": node["currencyCode"],
        "total_price": _shop(node["totalPriceSet"]),
        "subtotal_price": _shop(node["subtotalPriceSet"]),
        "total_tax": _shop(node["totalTaxSet"]),
        "total_discounts": _shop(node["totalDiscountsSet"]),
        "taxes_included": node["taxesIncluded"],
        "financial_status": _lower(node["displayFinancialStatus"]),
        "payment_gateway_names": node["paymentGatewayNames"],
        "test": node["test"],
        "customer": {"id": int(customer["legacyResourceId"])} if customer else None,
        "shipping_address": _address(node.get("shippingAddress")),
        "line_items": [_line(line) for line in node["lineItems"]["nodes"]],
        "shipping_lines": [
            {
                "title": line["title"],
                "code": line["code"],
                "price": _shop(line["originalPriceSet"]),
                "discounted_price": _shop(line["discountedPriceSet"]),
                "tax_lines": [_tax(tax) for tax in line["taxLines"]],
            }
            for line in node["shippingLines"]["nodes"]
        ],
        "refunds": [_refund(refund, order_id) for refund in node.get("refunds") or ()],
    }


def _line(line: Mapping[str, Any]) -> dict[str, Any]:
    variant = line.get("variant")
    return {
        "id": legacy_id(line["id"]),
        "variant_id": int(variant["legacyResourceId"]) if variant else None,
        "sku": line["sku"] or None,
        "title": line["title"],
        "quantity": line["quantity"],
        "price": _shop(line["originalUnitPriceSet"]),
        "total_discount": _shop(line["totalDiscountSet"]),
        "discount_allocations": [
            {"amount": _shop(allocation["allocatedAmountSet"])}
            for allocation in line["discountAllocations"]
        ],
        "tax_lines": [_tax(tax) for tax in line["taxLines"]],
    }


def _refund(refund: Mapping[str, Any], order_id: int) -> dict[str, Any]:
    return {
        "id": legacy_id(refund["id"]),
        "order_id": order_id,
        "created_at": refund["createdAt"],
        "refund_line_items": [
            {
                "line_item_id": legacy_id(item["lineItem"]["id"]),
                "quantity": item["quantity"],
                "restock_type": _lower(item["restockType"]),
                "subtotal": _shop(item["subtotalSet"]),
                "total_tax": _shop(item["totalTaxSet"]),
            }
            for item in refund["refundLineItems"]["nodes"]
        ],
    }


def _address(address: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if address is None:
        return None
    return {
        "name": address["name"],
        "company": address["company"],
        "address1": address["address1"],
        "address2": address["address2"],
        "city": address["city"],
        "province_code": address["provinceCode"],
        "zip": address["zip"],
        "country_code": address["countryCodeV2"],
        "phone": address["phone"],
    }


def _tax(tax: Mapping[str, Any]) -> dict[str, Any]:
    return {"title": tax["title"], "rate": tax["rate"], "price": _shop(tax["priceSet"])}


def _shop(money: Mapping[str, Any]) -> Any:
    """A ``MoneyBag``'s amount in the shop's currency, as REST states amounts."""
    return money["shopMoney"]["amount"]


def _lower(value: str | None) -> str | None:
    """A GraphQL enum (``PARTIALLY_PAID``) as REST writes it (``partially_paid``)."""
    return value.lower() if value is not None else None


def legacy_id(gid: str) -> int:
    """The REST id of a GraphQL id: ``gid://shopify/LineItem/123`` -> 123."""
    return int(str(gid).rsplit("/", 1)[-1])
