"""The B2C Commerce these contract tests run against, and a client of its Orders API.

By default a session-scoped sandbox (``sandbox/sfcc``) on an ephemeral loopback port. With
``SFCC_URL`` (SCAPI's base, https://{shortCode}.api.commercecloud.salesforce.com),
``SFCC_ORGANIZATION_ID``, ``SFCC_SITE_ID``, ``SFCC_CLIENT_ID`` and ``SFCC_CLIENT_SECRET``
set (``SFCC_TOKEN_URL`` for another Account Manager, ``SFCC_OCAPI_URL`` for the Data API
host), the same tests run against that instance; they only read and never change its
orders or stock. Tests that seed orders, change
export statuses or inject faults need the sandbox and are skipped against a real one.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from pydantic import SecretStr

from retailsync.channels import Channel
from retailsync.sfcc import SfccClient
from sandbox.sfcc import SandboxSfcc

ACCOUNT_MANAGER = "https://account.demandware.com/dwsso/oauth2/access_token"


@dataclass(frozen=True)
class Target:
    url: str
    token_url: str
    organization_id: str
    site_id: str
    client_id: str
    client_secret: str
    ocapi_url: str
    sandbox: SandboxSfcc | None = None

    def channel(self, **secrets: str) -> Channel:
        values = {"client_id": self.client_id, "client_secret": self.client_secret, **secrets}
        return Channel(
            name="contract",
            platform="sfcc",
            source="contract-test",
            url=self.url,
            options={
                "ocapi_url": self.ocapi_url,
                "token_url": self.token_url,
                "organization_id": self.organization_id,
                "site_id": self.site_id,
            },
            secrets={name: SecretStr(value) for name, value in values.items()},
        )


@pytest.fixture(scope="session")
def sfcc_target() -> Iterator[Target]:
    url = os.environ.get("SFCC_URL")
    if url:
        yield Target(
            url=url.rstrip("/"),
            token_url=os.environ.get("SFCC_TOKEN_URL", ACCOUNT_MANAGER),
            organization_id=os.environ["SFCC_ORGANIZATION_ID"],
            site_id=os.environ["SFCC_SITE_ID"],
            client_id=os.environ["SFCC_CLIENT_ID"],
            client_secret=os.environ["SFCC_CLIENT_SECRET"],
            ocapi_url=os.environ.get("SFCC_OCAPI_URL", url).rstrip("/"),
        )
        return
    with SandboxSfcc.running() as sfcc:
        yield Target(
            sfcc.url, sfcc.token_url, sfcc.organization_id, sfcc.site_id,
            sfcc.client_id, sfcc.client_secret, sfcc.url, sfcc,
        )  # fmt: skip


@pytest.fixture
def sandbox(sfcc_target: Target) -> Iterator[SandboxSfcc]:
    if sfcc_target.sandbox is None:
        pytest.skip("seeding orders and injecting faults need the sandbox")
    yield sfcc_target.sandbox
    sfcc_target.sandbox.faults.clear()
    sfcc_target.sandbox.store.throttle(0)
    sfcc_target.sandbox.store.fail_export_updates(None)


@pytest.fixture
def sleeps() -> list[float]:
    """What the client waited between retries, instead of waiting."""
    return []


@pytest.fixture
def client(sfcc_target: Target, sleeps: list[float]) -> Iterator[SfccClient]:
    options: dict[str, Any] = {"sleep": sleeps.append, "max_attempts": 4}
    with SfccClient.from_channel(sfcc_target.channel(), **options) as sfcc:
        yield sfcc
