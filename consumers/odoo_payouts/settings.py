"""odoo-payouts' own settings; the journal a gateway's payouts land in is odoo-orders'
mapping (``OrdersSettings.odoo_orders_payment_journals``), the one its payments use."""

from __future__ import annotations

from pydantic import Field

from retailsync.settings import PartSettings


class PayoutsSettings(PartSettings):
    """How odoo-payouts books payouts.

    ``odoo_payouts_fee_account``: the code of the Odoo account the gateway's fees are booked
    to (``620000``, "Bank Fees" in Odoo's generic chart of accounts).
    """

    odoo_payouts_fee_account: str = Field("620000", min_length=1)
