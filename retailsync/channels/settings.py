"""Where the channels file is."""

from __future__ import annotations

from pathlib import Path

from retailsync.settings import PartSettings


class ChannelSettings(PartSettings):
    """``RETAILSYNC_CHANNELS_FILE``: the channels file (e.g. channels.yaml beside
    topology.yaml). None: one Shopify channel from the ``RETAILSYNC_STOREFRONT_*`` settings."""

    channels_file: Path | None = None
