"""Two WooCommerce shops, and two Shopify shops, sending webhooks to one receiver: each
delivery becomes an order of the channel whose shop sent it, verified by that shop's own
secret."""

from __future__ import annotations

import pytest

from producers.commerce.app import shops_of
from producers.commerce.channels import ShopifyChannel, WooCommerceChannel
from producers.commerce.signatures import SignatureError, sign_body
from retailsync.channels import parse_channels
from retailsync.errors import ConfigError
from retailsync.events import OrderCreated
from tests.commerce import SHOPIFY_SECRET, WOO_SECRET, sample, shopify_request, woo_request

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
  eu-shop:
    platform: shopify
    url: https://eu-shop.myshopify.com
    access_token: {env: EU_TOKEN}
    webhook_secret: {env: EU_WEBHOOK_SECRET}
  us-shop:
    platform: shopify
    url: https://us-shop.myshopify.com
    access_token: {env: US_TOKEN}
"""


@pytest.fixture
def receiver(monkeypatch: pytest.MonkeyPatch) -> WooCommerceChannel:
    monkeypatch.setenv("EU_WEBHOOK_SECRET", EU_SECRET)
    default_keys = (WOO_SECRET.encode(),)
    shops = shops_of(parse_channels(CHANNELS, "channels.yaml"), "woocommerce", default_keys)
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
        shops_of(parse_channels(CHANNELS, "channels.yaml"), "woocommerce", ())


@pytest.fixture
def shopify_receiver(monkeypatch: pytest.MonkeyPatch) -> ShopifyChannel:
    monkeypatch.setenv("EU_WEBHOOK_SECRET", EU_SECRET)
    default_keys = (SHOPIFY_SECRET.encode(),)
    shops = shops_of(parse_channels(CHANNELS, "channels.yaml"), "shopify", default_keys)
    return ShopifyChannel(default_keys, "shopify", shops)


def _shopify_order(receiver: ShopifyChannel, domain: str, secret: str) -> OrderCreated:
    body = sample("shopify", "orders_create")
    headers = {k.lower(): v for k, v in shopify_request("orders/create", body).items()}
    headers["x-shopify-shop-domain"] = domain
    headers["x-shopify-hmac-sha256"] = sign_body(secret.encode(), body)
    [created] = receiver.events(headers, body)
    assert isinstance(created, OrderCreated)
    return created


def test_each_shopify_shop_s_orders_are_its_channel_s(shopify_receiver: ShopifyChannel) -> None:
    eu = _shopify_order(shopify_receiver, "eu-shop.myshopify.com", EU_SECRET)
    us = _shopify_order(shopify_receiver, "us-shop.myshopify.com", SHOPIFY_SECRET)
    other = _shopify_order(shopify_receiver, "other.myshopify.com", SHOPIFY_SECRET)
    assert [o.order_ref.partition(":")[0] for o in (eu, us, other)] == [
        "eu-shop", "us-shop", "shopify",
    ]  # fmt: skip
    with pytest.raises(SignatureError):  # the EU shop's deliveries need its own secret
        _shopify_order(shopify_receiver, "eu-shop.myshopify.com", SHOPIFY_SECRET)
