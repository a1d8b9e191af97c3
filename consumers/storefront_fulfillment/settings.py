"""storefront-fulfillment's own settings; the storefront connection is ``StorefrontSettings``."""

from __future__ import annotations

from pydantic import Field

from retailsync.settings import PartSettings


class FulfillmentSettings(PartSettings):
    """Which channel's orders this storefront fulfils, and whether customers are told."""

    storefront_channel: str = Field("shopify", min_length=1)
    storefront_notify_customer: bool = True
