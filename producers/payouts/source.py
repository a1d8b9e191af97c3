"""Shopify Payments payouts as the GraphQL Admin API serves them, validated where they enter.

``PayoutSource.payouts(since)`` pages through the payouts issued at or after ``since``,
oldest first (a payout that is not Shopify's shape is an InvalidInputError naming the field:
the shop's round fails, nothing is published); ``transactions(payout)`` pages through the
balance transactions a payout carries (``payments_transfer_id:<payout legacy id>``) as the
API answered them, and ``parse_transactions`` validates them (``pydantic.ValidationError``,
which the poller turns into a dead letter of that payout).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from retailsync.errors import InvalidInputError
from retailsync.events.parse import describe_problems
from retailsync.storefront import StorefrontClient

PAGE = 50
PAYOUTS = """query Payouts($first: Int!, $after: String, $query: String!) {
  shopifyPaymentsAccount {
    payouts(first: $first, after: $after, sortKey: ISSUED_AT, query: $query) {
      nodes {
        id legacyResourceId issuedAt status
        net { amount currencyCode }
      }
      pageInfo { hasNextPage endCursor }
    }
  }
}"""
TRANSACTIONS = """query PayoutTransactions($first: Int!, $after: String, $query: String!) {
  shopifyPaymentsAccount {
    balanceTransactions(first: $first, after: $after, query: $query) {
      nodes {
        id type transactionDate sourceOrderTransactionId
        amount { amount currencyCode } fee { amount currencyCode } net { amount currencyCode }
        associatedOrder { id }
        associatedPayout { id status }
      }
      pageInfo { hasNextPage endCursor }
    }
  }
}"""


class _Shape(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)


class MoneyV2(_Shape):
    amount: Annotated[Decimal, Field(allow_inf_nan=False, max_digits=18, decimal_places=4)]
    currency: str = Field(alias="currencyCode", pattern=r"^[A-Z]{3}$")


class ShopifyPayout(_Shape):
    id: str
    legacy_id: str = Field(alias="legacyResourceId", pattern=r"^\d+$")
    issued_at: AwareDatetime = Field(alias="issuedAt")
    status: str
    net: MoneyV2


class _Ref(_Shape):
    id: str


class ShopifyBalanceTransaction(_Shape):
    id: str
    type: str
    transaction_date: AwareDatetime = Field(alias="transactionDate")
    source_order_transaction_id: str | None = Field(None, alias="sourceOrderTransactionId")
    amount: MoneyV2
    fee: MoneyV2
    net: MoneyV2
    associated_order: _Ref | None = Field(None, alias="associatedOrder")


def parse_transactions(nodes: Sequence[Any]) -> list[ShopifyBalanceTransaction]:
    """Balance transactions validated; ``pydantic.ValidationError`` when one is not."""
    return [ShopifyBalanceTransaction.model_validate(node) for node in nodes]


class PayoutSource:
    """The payouts of one shop, read through ``client``."""

    def __init__(self, client: StorefrontClient, page: int = PAGE) -> None:
        self._client = client
        self._page = page

    def payouts(self, since: datetime | None) -> Iterator[ShopifyPayout]:
        """Every payout issued at or after ``since`` (all, without), oldest first."""
        query = f"issued_at:>={since.isoformat()}" if since is not None else ""
        for index, node in enumerate(self._nodes(PAYOUTS, "payouts", query)):
            try:
                yield ShopifyPayout.model_validate(node)
            except ValidationError as exc:
                problem = describe_problems(exc, "payout")
                raise InvalidInputError(problem, f"payouts[{index}]") from None

    def transactions(self, payout: ShopifyPayout) -> list[Any]:
        """The balance transactions ``payout`` carries, as the API answered them."""
        query = f"payments_transfer_id:{payout.legacy_id}"
        return list(self._nodes(TRANSACTIONS, "balanceTransactions", query))

    def _nodes(self, document: str, connection: str, query: str) -> Iterator[Any]:
        after: str | None = None
        while True:
            data = self._client.execute(
                document, {"first": self._page, "after": after, "query": query}
            )
            page = data["shopifyPaymentsAccount"][connection]
            yield from page["nodes"]
            if not page["pageInfo"]["hasNextPage"]:
                return
            after = page["pageInfo"]["endCursor"]
