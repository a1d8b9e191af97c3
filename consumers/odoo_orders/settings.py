"""odoo-orders' own settings; the Odoo connection is ``OdooSettings``."""

from __future__ import annotations

from retailsync.settings import PartSettings


class OrdersSettings(PartSettings):
    """Whether storefront test orders (``test`` on order_created and order_edited) are
    applied to Odoo: off in production, where they are not sales; on for a sandbox
    storefront, whose every order is a test order."""

    odoo_orders_apply_test_orders: bool = False
