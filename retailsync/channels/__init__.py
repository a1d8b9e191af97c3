"""The channels: every configured storefront, its platform, credentials and mappings.

``load_channels`` reads the channels file (``RETAILSYNC_CHANNELS_FILE``); without one, the
single Shopify storefront of ``RETAILSYNC_STOREFRONT_*`` is the one channel, as before.
"""

from __future__ import annotations

from collections.abc import Mapping

from retailsync.channels.model import (
    Channel,
    ChannelName,
    Channels,
    Platform,
    SecretRef,
    load_channels_file,
    parse_channels,
)
from retailsync.channels.settings import ChannelSettings
from retailsync.storefront.settings import StorefrontSettings

__all__ = [
    "Channel",
    "ChannelName",
    "ChannelSettings",
    "Channels",
    "Platform",
    "SecretRef",
    "default_channel",
    "load_channels",
    "load_channels_file",
    "parse_channels",
]

_ENVIRONMENT = "environment"


def default_channel(
    storefront: StorefrontSettings,
    *,
    name: str = "shopify",
    locations: Mapping[str, str] | None = None,
) -> Channel:
    """The one Shopify channel of the ``RETAILSYNC_STOREFRONT_*`` settings (no channels file)."""
    secrets = {}
    if storefront.storefront_access_token is not None:
        secrets["access_token"] = storefront.storefront_access_token
    return Channel(
        name=name,
        platform="shopify",
        source=_ENVIRONMENT,
        url=storefront.storefront_url,
        locations=dict(locations or {}),
        options={"api_version": storefront.storefront_api_version},
        secrets=secrets,
    )


def load_channels(
    settings: ChannelSettings,
    storefront: StorefrontSettings,
    *,
    default_name: str = "shopify",
    default_locations: Mapping[str, str] | None = None,
) -> Channels:
    """The channels file's channels, or else the default Shopify channel."""
    if settings.channels_file is not None:
        return load_channels_file(settings.channels_file)
    channel = default_channel(storefront, name=default_name, locations=default_locations)
    return Channels({channel.name: channel})
