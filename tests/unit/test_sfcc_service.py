from pathlib import Path

import pytest

from producers.sfcc import SfccOrdersSettings, sfcc_channels
from retailsync.channels import ChannelSettings, load_channels, load_channels_file
from retailsync.errors import ConfigError
from retailsync.storefront import StorefrontSettings

pytestmark = pytest.mark.unit

EXAMPLE = Path(__file__).parents[2] / "examples" / "channels.yaml"


def test_every_sfcc_channel_is_exported_unless_some_are_named() -> None:
    channels = load_channels_file(EXAMPLE)
    assert [c.name for c in sfcc_channels(channels, SfccOrdersSettings())] == ["us-sfcc"]
    named = SfccOrdersSettings(sfcc_channels=["us-sfcc"])
    assert [c.name for c in sfcc_channels(channels, named)] == ["us-sfcc"]


def test_a_named_channel_that_is_not_an_sfcc_one_is_refused() -> None:
    channels = load_channels_file(EXAMPLE)
    with pytest.raises(ConfigError) as caught:
        sfcc_channels(channels, SfccOrdersSettings(sfcc_channels=["eu-shop"]))
    assert caught.value.key == "RETAILSYNC_SFCC_CHANNELS"


def test_without_an_sfcc_channel_the_export_says_where_to_add_one() -> None:
    only_shopify = load_channels(ChannelSettings(), StorefrontSettings())
    with pytest.raises(ConfigError) as caught:
        sfcc_channels(only_shopify, SfccOrdersSettings())
    assert caught.value.key == "RETAILSYNC_CHANNELS_FILE"
