"""storefront-inventory's own settings; the storefront connection is ``StorefrontSettings``."""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field

from retailsync.settings import PartSettings


class InventorySettings(PartSettings):
    """Which Odoo locations are sold online, and the stock each holds back."""

    # Odoo location -> storefront location id; stock at other locations is not sold online.
    storefront_locations: dict[str, str] = Field(default_factory=dict)
    # Units held back per Odoo location ("*": every other location).
    storefront_safety_stock: dict[str, Decimal] = Field(default_factory=dict)
