"""How to reach the storefront's Admin API."""

from __future__ import annotations

from pydantic import Field, SecretStr

from retailsync.settings import PartSettings


class StorefrontSettings(PartSettings):
    """The storefront's Admin API and its token (``RETAILSYNC_STOREFRONT_*``)."""

    storefront_url: str | None = None
    storefront_access_token: SecretStr | None = None
    storefront_api_version: str = "2025-01"
    storefront_timeout_s: float = Field(10.0, gt=0)
