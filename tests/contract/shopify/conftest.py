"""The Shopify shop these contract tests run against, and a client of its Admin GraphQL API.

By default a session-scoped sandbox storefront (``sandbox/storefront``) on an ephemeral
loopback port. With ``SHOPIFY_URL`` (https://{shop}.myshopify.com) and
``SHOPIFY_ACCESS_TOKEN`` set (``SHOPIFY_API_VERSION``, default 2025-01), the same tests run
against that shop; they only read. Tests that place orders need the sandbox and are
skipped against a real shop.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from pydantic import SecretStr

from retailsync.channels import Channel
from retailsync.storefront import StorefrontClient
from sandbox.storefront import SandboxStorefront


@pytest.fixture(scope="session")
def shop_channel() -> Iterator[tuple[Channel, SandboxStorefront | None]]:
    url = os.environ.get("SHOPIFY_URL")
    if url:
        token = os.environ["SHOPIFY_ACCESS_TOKEN"]
        version = os.environ.get("SHOPIFY_API_VERSION", "2025-01")
        yield _channel(url, token, version), None
        return
    with SandboxStorefront.running() as shop:
        yield _channel(shop.url, shop.access_token, "2025-01"), shop


def _channel(url: str, token: str, version: str) -> Channel:
    return Channel(
        name="contract",
        platform="shopify",
        source="contract-test",
        url=url,
        options={"api_version": version},
        secrets={"access_token": SecretStr(token)},
    )


@pytest.fixture
def sandbox(shop_channel: tuple[Channel, SandboxStorefront | None]) -> SandboxStorefront:
    if shop_channel[1] is None:
        pytest.skip("placing orders needs the sandbox")
    return shop_channel[1]


@pytest.fixture
def client(shop_channel: tuple[Channel, SandboxStorefront | None]) -> Iterator[StorefrontClient]:
    with StorefrontClient.from_channel(shop_channel[0]) as shopify:
        yield shopify
