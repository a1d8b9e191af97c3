"""Two WooCommerce shops sending webhooks to one receiver: each delivery becomes an order of
the channel whose shop sent it, verified by that shop's own secret."""

from __future__ import annotations

import pytest

from producers.commerce.app import woo_shops
from producers.commerce.channels import WooCommerceChannel
from producers.commerce.signatures import SignatureError, sign_body
from retailsync.channels import parse_channels
from retailsync.errors import ConfigError
from retailsync.events import OrderCreated
from tests.commerce import WOO_SECRET, sample, woo_request

pytestmark = pytest.mark.unit

EU_SECRET = "eu-shop-webhook-secret"  # test values, not secrets
CHANNELS = """
channels:
  eu-woo:
    platform: woocommerce
    url: https://eu.example.com/shop
    consumer_key: {env: EU_KEY}
    consumer_secret: {env: EU_SECRET}
    webhook_secret: {env: EU_WEBHOOK_SECRET}
  us-woo:
    platform: woocommerce
    url: https://woo.example.com
    consumer_key: {env: US_KEY}
    consumer_secret: {env: US_SECRET}
"""


@pytest.fixture
def receiver(monkeypatch: pytest.MonkeyPatch) -> WooCommerceChannel:
    monkeypatch.setenv("EU_WEBHOOK_SECRET", EU_SECRET)
    default_keys = (WOO_SECRET.encode(),)
    shops = woo_shops(parse_channels(CHANNELS, "channels.yaml"), default_keys)
    return WooCommerceChannel(default_keys, "woocommerce", shops)


def _from(site: str, secret: str) -> tuple[dict[str, str], bytes]:
    body = sample("woocommerce", "order_created")
    headers = {k.lower(): v for k, v in woo_request("order.created", body).items()}
    headers["x-wc-webhook-source"] = site
    headers["x-wc-webhook-signature"] = sign_body(secret.encode(), body)
    return headers, body


def _order(receiver: WooCommerceChannel, site: str, secret: str) -> OrderCreated:
    headers, body = _from(site, secret)
    [created, *_] = receiver.events(headers, body)
    assert isinstance(created, OrderCreated)
    return created


def test_each_shop_s_orders_are_its_channel_s(receiver: WooCommerceChannel) -> None:
    eu = _order(receiver, "https://eu.example.com/", EU_SECRET)
    us = _order(receiver, "https://woo.example.com/", WOO_SECRET)  # the receiver's secret
    assert (eu.envelope.channel, eu.order_ref.partition(":")[0]) == ("eu-woo", "eu-woo")
    assert (us.envelope.channel, us.order_ref.partition(":")[0]) == ("us-woo", "us-woo")
    assert eu.order_ref.partition(":")[2] == us.order_ref.partition(":")[2]  # one id, two orders


def test_a_shop_not_in_the_channels_file_is_the_default_channel(
    receiver: WooCommerceChannel,
) -> None:
    other = _order(receiver, "https://other.example.com/", WOO_SECRET)
    assert other.envelope.channel == "woocommerce"


def test_only_a_shop_s_own_secret_verifies_a_delivery_naming_it(
    receiver: WooCommerceChannel,
) -> None:
    headers, body = _from("https://eu.example.com/", WOO_SECRET)  # another shop's secret
    with pytest.raises(SignatureError):
        receiver.events(headers, body)


def test_a_webhook_secret_that_is_not_set_names_its_key() -> None:
    with pytest.raises(ConfigError, match=r"channels\.eu-woo\.webhook_secret"):
        woo_shops(parse_channels(CHANNELS, "channels.yaml"), ())
