"""storefront-catalog's own settings; the storefront connection is ``StorefrontSettings``."""

from __future__ import annotations

from pydantic import Field

from retailsync.settings import PartSettings


class CatalogSettings(PartSettings):
    """Which Odoo price the storefront shows."""

    # The Odoo pricelist (by name) whose prices the storefront shows; unset: the list price.
    storefront_pricelist: str | None = Field(None, min_length=1)
