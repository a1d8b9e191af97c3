"""The WooCommerce these contract tests run against, and a client of its REST API.

By default a session-scoped sandbox (``sandbox/woocommerce``) on an ephemeral loopback port.
With ``WOOCOMMERCE_URL`` (the shop's address, https://shop.example.com),
``WOOCOMMERCE_CONSUMER_KEY`` and ``WOOCOMMERCE_CONSUMER_SECRET`` set, the same tests run
against that shop; there they only read, or send requests WooCommerce refuses as a whole,
and never change its products or orders. Tests that seed products or orders, change stock
or inject faults need the sandbox and are skipped against a real shop.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from retailsync.channels import Channel
from retailsync.woocommerce import WooCommerceClient
from sandbox.woocommerce import SandboxWooCommerce

API = "/wp-json/wc/v3"


@dataclass(frozen=True)
class Target:
    url: str
    consumer_key: str
    consumer_secret: str
    sandbox: SandboxWooCommerce | None = None

    def channel(self, **options: str) -> Channel:
        return Channel(
            name="contract",
            platform="woocommerce",
            source="contract-test",
            url=self.url,
            options=options,
            secrets={
                "consumer_key": SecretStr(self.consumer_key),
                "consumer_secret": SecretStr(self.consumer_secret),
            },
        )

    def http(self, **options: Any) -> httpx.Client:
        """A bare client of the REST API, authenticated unless ``auth=None`` is given."""
        options.setdefault("auth", (self.consumer_key, self.consumer_secret))
        return httpx.Client(base_url=self.url + API, timeout=10.0, **options)


@pytest.fixture(scope="session")
def woo_target() -> Iterator[Target]:
    url = os.environ.get("WOOCOMMERCE_URL")
    if url:
        yield Target(
            url.rstrip("/"),
            os.environ["WOOCOMMERCE_CONSUMER_KEY"],
            os.environ["WOOCOMMERCE_CONSUMER_SECRET"],
        )
        return
    with SandboxWooCommerce.running() as shop:
        yield Target(shop.url, shop.consumer_key, shop.consumer_secret, shop)


@pytest.fixture
def sandbox(woo_target: Target) -> Iterator[SandboxWooCommerce]:
    if woo_target.sandbox is None:
        pytest.skip("seeding products and orders and injecting faults need the sandbox")
    yield woo_target.sandbox
    woo_target.sandbox.faults.clear()
    woo_target.sandbox.store.throttle(0)


@pytest.fixture
def sleeps() -> list[float]:
    """What the client waited between retries, instead of waiting."""
    return []


@pytest.fixture
def client(woo_target: Target, sleeps: list[float]) -> Iterator[WooCommerceClient]:
    with WooCommerceClient.from_channel(
        woo_target.channel(), sleep=sleeps.append, max_attempts=4
    ) as woo:
        yield woo


@pytest.fixture
def api(woo_target: Target) -> Iterator[httpx.Client]:
    with woo_target.http() as http:
        yield http
