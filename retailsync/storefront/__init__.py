"""A client for the storefront's admin API: Shopify's GraphQL Admin API, as the storefront
appliers use it (and the sandbox storefront answers it)."""

from retailsync.storefront.client import TARGET, StorefrontClient, StorefrontUserError
from retailsync.storefront.settings import StorefrontSettings

__all__ = ["TARGET", "StorefrontClient", "StorefrontSettings", "StorefrontUserError"]
