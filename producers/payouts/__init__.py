"""The payout poller: each shopify channel's paid Shopify Payments payouts become payout_paid
events, exactly once (``poller``), read from the Admin GraphQL API (``source``)."""

from producers.payouts.poller import PayoutPoller, Round
from producers.payouts.service import payout_channels, run_shopify_payouts
from producers.payouts.settings import PayoutSettings

__all__ = ["PayoutPoller", "PayoutSettings", "Round", "payout_channels", "run_shopify_payouts"]
