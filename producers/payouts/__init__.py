"""The payout poller: a payment gateway's paid payouts become payout_paid events."""
