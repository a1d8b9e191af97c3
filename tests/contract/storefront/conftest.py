"""The Shopify shop these contract tests run against, and a GraphQL Admin client of it.

By default a session-scoped sandbox (``sandbox/storefront``) on an ephemeral loopback port.
With ``SHOPIFY_URL`` (https://{shop}.myshopify.com) and ``SHOPIFY_ACCESS_TOKEN`` set
(``SHOPIFY_API_VERSION`` for another version), the tests that only read run against that
shop (the payout tests need ``read_shopify_payments_payouts``); tests that place orders or
seed payouts need the sandbox and are skipped against a real one.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from pydantic import SecretStr

from retailsync.storefront import StorefrontClient, StorefrontSettings
from sandbox.storefront import SandboxStorefront


@pytest.fixture(scope="session")
def storefront_settings() -> Iterator[tuple[StorefrontSettings, SandboxStorefront | None]]:
    url = os.environ.get("SHOPIFY_URL")
    if url:
        settings = StorefrontSettings(
            storefront_url=url,
            storefront_access_token=SecretStr(os.environ["SHOPIFY_ACCESS_TOKEN"]),
            storefront_api_version=os.environ.get("SHOPIFY_API_VERSION", "2025-01"),
        )
        yield settings, None
        return
    with SandboxStorefront.running(skus=["MUG-GREEN", "TEE-BLUE"]) as shop:
        yield StorefrontSettings(**shop.settings()), shop


@pytest.fixture
def sandbox(
    storefront_settings: tuple[StorefrontSettings, SandboxStorefront | None],
) -> SandboxStorefront:
    shop = storefront_settings[1]
    if shop is None:
        pytest.skip("placing orders needs the sandbox")
    return shop


@pytest.fixture
def client(
    storefront_settings: tuple[StorefrontSettings, SandboxStorefront | None],
) -> Iterator[StorefrontClient]:
    with StorefrontClient.from_settings(storefront_settings[0]) as shopify:
        yield shopify
