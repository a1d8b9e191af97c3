from pathlib import Path

import pytest

from retailsync.channels import (
    ChannelSettings,
    load_channels,
    load_channels_file,
    parse_channels,
)
from retailsync.errors import ConfigError
from retailsync.storefront import StorefrontSettings

pytestmark = pytest.mark.unit

EXAMPLE = Path(__file__).parents[2] / "examples" / "channels.yaml"

TWO_SITES = """
channels:
  eu:
    platform: sfcc
    url: https://eu.example.com
    organization_id: f_ecom_eu
    site_id: EU
    client_id: {env: EU_ID}
    client_secret: {env: EU_SECRET}
    locations: {"WH/Stock": inventory_eu}
    price_lists: {"Public Pricelist": eur-list}
    currency: EUR
  us:
    platform: sfcc
    url: https://us.example.com
    organization_id: f_ecom_us
    site_id: US
    client_id: {env: US_ID}
    client_secret: {env: US_SECRET}
    locations: {"WH/Stock": inventory_us, "WH/East": inventory_us_east}
"""


def test_the_example_file_is_valid() -> None:
    channels = load_channels_file(EXAMPLE)
    assert [c.platform for c in channels] == ["shopify", "sfcc", "woocommerce"]
    assert channels.get("wholesale").options == {"query_string_auth": "False"}


def test_two_channels_of_one_platform_are_kept_apart() -> None:
    channels = parse_channels(TWO_SITES, "channels.yaml")
    assert [c.name for c in channels.of("sfcc")] == ["eu", "us"]
    assert channels.get("eu").option("site_id") == "EU"
    assert channels.get("us").option("site_id") == "US"
    assert channels.get("eu").price_lists == {"Public Pricelist": "eur-list"}
    assert channels.get("eu").currency == "EUR"
    assert [c.name for c in channels.selling("WH/Stock")] == ["eu", "us"]
    assert [c.name for c in channels.selling("WH/East")] == ["us"]


def test_a_secret_comes_from_its_variable_or_its_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    channels = parse_channels(TWO_SITES, "channels.yaml")
    monkeypatch.setenv("EU_SECRET", "s3cret")
    assert channels.get("eu").secret("client_secret").get_secret_value() == "s3cret"
    secret_file = tmp_path / "us-secret"
    secret_file.write_text("from-a-file\n")
    monkeypatch.setenv("US_SECRET_FILE", str(secret_file))
    assert channels.get("us").secret("client_secret").get_secret_value() == "from-a-file"


def test_a_missing_secret_names_its_key_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EU_ID", raising=False)
    channels = parse_channels(TWO_SITES, "channels.yaml")
    with pytest.raises(ConfigError) as caught:
        channels.get("eu").secret("client_id")
    assert caught.value.key == "channels.eu.client_id"
    assert "EU_ID" in caught.value.reason


def test_an_inline_secret_is_refused_without_repeating_it() -> None:
    text = TWO_SITES.replace("{env: EU_SECRET}", "hunter2-inline")
    with pytest.raises(ConfigError) as caught:
        parse_channels(text, "channels.yaml")
    assert caught.value.key == "channels.eu.client_secret"
    assert "by reference" in caught.value.reason
    assert "hunter2" not in str(caught.value)


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        (
            "platform: sfcc\n    url: https://eu",
            "platform: magento\n    url: https://eu",
            "channels.eu",
        ),
        ("    site_id: US\n", "", "channels.us.site_id"),
        ("currency: EUR", "currency: euro", "channels.eu.currency"),
        ("  us:\n", "  'us:east':\n", "channels.us:east"),
        ('    locations: {"WH/Stock": inventory_eu}\n', "    stock: {}\n", "channels.eu.stock"),
    ],
)
def test_a_broken_channel_names_the_key_path(old: str, new: str, key: str) -> None:
    text = TWO_SITES.replace(old, new)
    assert text != TWO_SITES
    with pytest.raises(ConfigError) as caught:
        parse_channels(text, "channels.yaml")
    assert caught.value.source == "channels.yaml"
    assert caught.value.key == key


def test_without_a_channels_file_the_storefront_settings_are_the_one_channel() -> None:
    storefront = StorefrontSettings(
        storefront_url="https://shop.example.com", storefront_access_token="shpat_x"
    )
    channels = load_channels(
        ChannelSettings(), storefront, default_locations={"WH/Stock": "gid://shopify/Location/1"}
    )
    (channel,) = channels
    assert (channel.name, channel.platform, channel.url) == (
        "shopify", "shopify", "https://shop.example.com",
    )  # fmt: skip
    assert channel.secret("access_token").get_secret_value() == "shpat_x"
    assert channel.option("api_version") == storefront.storefront_api_version
    assert channels.selling("WH/Stock") == (channel,)


def test_the_channels_file_setting_points_at_the_file() -> None:
    channels = load_channels(ChannelSettings(channels_file=EXAMPLE), StorefrontSettings())
    assert [c.name for c in channels] == ["eu-shop", "us-sfcc", "wholesale"]
