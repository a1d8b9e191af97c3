"""The Odoo these contract tests run against, and a client on each protocol.

By default a session-scoped sandbox Odoo (``sandbox/odoo``) on an ephemeral loopback port,
once answering as Odoo 18 (JSON-RPC only, as a real 18) and once as Odoo 19. With
``ODOO_URL``, ``ODOO_DB`` and ``ODOO_API_KEY`` (JSON-2, Odoo 19+) and/or
``ODOO_USER``/``ODOO_PASSWORD`` (JSON-RPC) set, the same tests run once against that Odoo;
they create their own uniquely named records and never touch others. Fault-injection tests
need the sandbox and are skipped against a real server.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from retailsync.odoo import OdooClient, OdooSettings
from sandbox.odoo import SandboxOdoo

PROTOCOLS = ("json2", "jsonrpc")
VERSIONS = ("18.0", "19.0")
JSON2_SINCE = 19  # the first Odoo with the JSON-2 API


@dataclass(frozen=True)
class Target:
    """Where the tests send their calls, and with which credentials."""

    url: str
    db: str
    api_key: str | None
    login: str | None
    password: str | None
    major_version: int
    sandbox: SandboxOdoo | None = None

    @property
    def secret(self) -> str:
        """What JSON-RPC takes as the password: the password, or else the API key."""
        return str(self.password or self.api_key)

    def supports(self, protocol: str) -> bool:
        if protocol == "json2":
            return self.api_key is not None and self.major_version >= JSON2_SINCE
        return self.login is not None and (self.password or self.api_key) is not None

    def settings(self, protocol: str, **overrides: Any) -> OdooSettings:
        values: dict[str, Any] = {
            "odoo_url": self.url,
            "odoo_db": self.db,
            "odoo_protocol": protocol,
            "odoo_api_key": self.api_key,
            "odoo_user": self.login,
            "odoo_password": self.password,
            "odoo_timeout_s": 30.0,
        }
        return OdooSettings(**{**values, **overrides})


def _major_version(url: str) -> int:
    reply = httpx.post(f"{url}/web/webclient/version_info", json={"jsonrpc": "2.0", "params": {}})
    return int(reply.json()["result"]["server_version_info"][0])


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Leave out the sandbox runs that cannot exist (JSON-2 on a version before it), rather
    than report each as skipped."""
    impossible: list[pytest.Item] = []
    kept: list[pytest.Item] = []
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        version = params.get("odoo_target")
        too_old = version in VERSIONS and int(str(version).split(".")[0]) < JSON2_SINCE
        (impossible if too_old and params.get("protocol") == "json2" else kept).append(item)
    if impossible:
        config.hook.pytest_deselected(items=impossible)
        items[:] = kept


# A real Odoo is one version: the tests run once against it, twice against the sandbox.
@pytest.fixture(scope="session", params=("real",) if os.environ.get("ODOO_URL") else VERSIONS)
def odoo_target(request: pytest.FixtureRequest) -> Iterator[Target]:
    url = os.environ.get("ODOO_URL")
    if url:
        yield Target(
            url=url.rstrip("/"),
            db=os.environ["ODOO_DB"],
            api_key=os.environ.get("ODOO_API_KEY"),
            login=os.environ.get("ODOO_USER"),
            password=os.environ.get("ODOO_PASSWORD"),
            major_version=_major_version(url.rstrip("/")),
        )
        return
    with SandboxOdoo.running(version=request.param) as odoo:
        yield Target(
            odoo.url, odoo.db, odoo.api_key, odoo.login, odoo.password, odoo.major_version, odoo
        )


@pytest.fixture(params=PROTOCOLS)
def protocol(request: pytest.FixtureRequest, odoo_target: Target) -> str:
    if not odoo_target.supports(request.param):
        if request.param == "json2" and odoo_target.major_version < JSON2_SINCE:
            pytest.skip(f"Odoo {odoo_target.major_version} has no JSON-2 API")
        pytest.skip(f"no {request.param} credentials for this Odoo")
    return str(request.param)


@pytest.fixture
def client(odoo_target: Target, protocol: str) -> Iterator[OdooClient]:
    with OdooClient.from_settings(odoo_target.settings(protocol)) as odoo:
        yield odoo


@pytest.fixture
def sandbox(odoo_target: Target) -> Iterator[SandboxOdoo]:
    if odoo_target.sandbox is None:
        pytest.skip("fault injection needs the sandbox Odoo")
    yield odoo_target.sandbox
    odoo_target.sandbox.faults.clear()


@pytest.fixture
def unique() -> str:
    """A suffix that makes this test's records its own."""
    return uuid.uuid4().hex[:12]
