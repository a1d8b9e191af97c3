"""Consumer key and secret authentication, and WordPress's error document for a refusal."""

from __future__ import annotations

import pytest

from retailsync.errors import ConfigError
from retailsync.woocommerce import WooCommerceClient
from sandbox.woocommerce.server import READ_ONLY_KEY, READ_ONLY_SECRET
from tests.contract.woocommerce.conftest import Target

pytestmark = pytest.mark.contract


def test_a_call_without_credentials_is_refused_with_a_wordpress_error(woo_target: Target) -> None:
    with woo_target.http(auth=None) as anonymous:
        reply = anonymous.get("/products")
    assert reply.status_code == 401
    assert reply.json() == {
        "code": "woocommerce_rest_cannot_view",
        "message": reply.json()["message"],
        "data": {"status": 401},
    }


def test_basic_auth_and_the_query_string_both_authenticate(woo_target: Target) -> None:
    with woo_target.http() as basic:
        assert basic.get("/products", params={"per_page": 1}).status_code == 200
    with woo_target.http(auth=None) as query:
        reply = query.get(
            "/products",
            params={
                "per_page": 1,
                "consumer_key": woo_target.consumer_key,
                "consumer_secret": woo_target.consumer_secret,
            },
        )
    assert reply.status_code == 200


def test_a_wrong_secret_is_an_authentication_error(woo_target: Target) -> None:
    with woo_target.http(auth=(woo_target.consumer_key, "cs_wrong")) as wrong:
        reply = wrong.get("/products")
    assert reply.status_code == 401
    assert reply.json()["code"] == "woocommerce_rest_authentication_error"


def test_the_client_names_the_channel_key_when_refused(woo_target: Target) -> None:
    channel = Target(woo_target.url, "ck_unknown", "cs_unknown").channel()
    with (
        WooCommerceClient.from_channel(channel) as refused,
        pytest.raises(ConfigError, match=r"channels\.contract\.consumer_key"),
    ):
        refused.products_by_sku(["ANY"])


def test_the_client_authenticates_by_query_string_when_the_channel_says_so(
    woo_target: Target,
) -> None:
    channel = woo_target.channel(query_string_auth="True")
    with WooCommerceClient.from_channel(channel) as client:
        assert client.products_by_sku(["NO-SUCH-SKU-CONTRACT"]) == {}


def test_a_read_only_key_may_not_write(woo_target: Target, sandbox: object) -> None:
    with woo_target.http(auth=(READ_ONLY_KEY, READ_ONLY_SECRET)) as read_only:
        assert read_only.get("/products").status_code == 200
        reply = read_only.post("/products/batch", json={"update": []})
    assert reply.status_code == 401
    assert reply.json()["code"] == "woocommerce_rest_authentication_error"
