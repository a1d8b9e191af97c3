"""``retailsync serve shopify-payouts``: how often it polls, where it keeps its place and where
payouts it cannot take go. The shops and their tokens are the ``shopify`` channels."""

from __future__ import annotations

from pydantic import Field

from retailsync.settings import PartSettings


class PayoutSettings(PartSettings):
    """The payout poller's own settings.

    ``payouts_gateway``: the gateway name payout_paid carries, the one the channel's
    payment_captured events carry (``shopify_payments``), so that odoo-orders books both in
    the same journal.
    """

    payouts_poll_interval_s: float = Field(300.0, gt=0)
    payouts_page_size: int = Field(50, ge=1, le=250)
    payouts_gateway: str = Field("shopify_payments", min_length=1)
    # The poller's place per shop, written in the same transaction as its events.
    payouts_checkpoint_topic: str = Field("retail.payouts.checkpoints", min_length=1)
    # Payouts that cannot be taken, with their JSON and the reason.
    payouts_dead_letter_topic: str = Field("retail.payouts.shopify-payouts.dlt", min_length=1)
    # The shopify channels to poll; None: every shopify channel of the channels file.
    payouts_channels: list[str] | None = None
    # The transactional.id prefix; one instance per prefix at a time.
    payouts_producer_id: str = Field("shopify-payouts", min_length=1)
