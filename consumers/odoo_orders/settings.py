"""odoo-orders' own settings; the Odoo connection is ``OdooSettings``."""

from __future__ import annotations

from pydantic import Field

from retailsync.events import RiskLevel
from retailsync.settings import PartSettings


class OrdersSettings(PartSettings):
    """How odoo-orders writes orders into Odoo.

    ``odoo_orders_apply_test_orders``: whether storefront test orders (``test`` on
    order_created and order_edited) are applied: off in production, where they are not
    sales; on for a sandbox storefront, whose every order is a test order.

    ``odoo_orders_taxes``: the Odoo sales tax (by name) for a channel's tax, keyed by the
    channel's tax title (``MwSt``) or by rate and whether prices include it (``19% incl``,
    ``7% excl``); a tax not configured is the Odoo tax of its rate and inclusion.

    ``odoo_orders_pricelists``: the Odoo pricelist (by name) for a currency (``EUR``); a
    currency not configured is the first pricelist in it.

    ``odoo_orders_shipping_sku`` and ``odoo_orders_adjustment_sku``: the SKUs
    (``default_code``) of the Odoo products that shipping lines, and fees and discounts that
    are lines of their own, are made of.

    ``odoo_orders_payment_journals``: the Odoo bank or cash journal (by name or code) a
    payment gateway's money lands in, keyed by the gateway as the channel names it
    (``{"shopify_payments": "Shopify Payments", "cash_on_delivery": "CSH1"}``); a gateway
    not configured lands in ``odoo_orders_payment_journal``.

    ``odoo_orders_hold_risk``: the fraud risk levels (order_risk_assessed) that hold an
    order as a quotation for a person to confirm or cancel (``["HIGH", "MEDIUM"]``); empty
    holds none.
    """

    odoo_orders_apply_test_orders: bool = False
    odoo_orders_taxes: dict[str, str] = Field(default_factory=dict)
    odoo_orders_pricelists: dict[str, str] = Field(default_factory=dict)
    odoo_orders_shipping_sku: str = "DELIVERY"
    odoo_orders_adjustment_sku: str = "ADJUSTMENT"
    odoo_orders_payment_journals: dict[str, str] = Field(default_factory=dict)
    odoo_orders_payment_journal: str = "Bank"
    odoo_orders_hold_risk: frozenset[RiskLevel] = frozenset({RiskLevel.HIGH})
