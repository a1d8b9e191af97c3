"""The sandbox storefront as a real HTTP server on loopback, run in a background thread.

Usage in tests::

    with SandboxStorefront.running() as shop:
        shop.url, shop.access_token, shop.locations
        shop.store.add_product("MUG-GREEN", available=5)
        shop.bucket.maximum = 50      # throttle sooner
        shop.faults.down()            # connection refused until shop.faults.up()
        shop.faults.fail(502)         # every request answered 502
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sandbox.http import LoopbackServer, StandIn
from sandbox.storefront.routes import build_app
from sandbox.storefront.store import Store
from sandbox.storefront.throttle import LeakyBucket

ACCESS_TOKEN = "shpat_sandbox_not_a_secret"  # noqa: S105 (a fixed sandbox value)
DEFAULT_LOCATIONS = ("WH/Stock",)


class SandboxStorefront(StandIn):
    """A Shopify stand-in serving the GraphQL Admin API subset the appliers use.

    ``locations`` names the storefront's locations after the Odoo locations they sell from
    (so a test's RETAILSYNC_STOREFRONT_LOCATIONS maps each name to its id); ``skus`` seeds
    products with ``available`` units at every location.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        locations: Iterable[str] = DEFAULT_LOCATIONS,
        skus: Iterable[str] = (),
        available: int = 0,
        bucket: LeakyBucket | None = None,
    ) -> None:
        self.store = Store()
        self.locations = {name: self.store.add_location(name) for name in locations}
        for sku in skus:
            self.store.add_product(sku, available)
        self.bucket = bucket or LeakyBucket()
        self.access_token = ACCESS_TOKEN
        self.shop_domain = self.store.shop_domain
        app = build_app(self.store, self.bucket, self.access_token)
        self._server = LoopbackServer(app, name="sandbox-storefront", host=host, port=port)
        self.faults = self._server.faults

    def settings(self) -> dict[str, Any]:
        """The connection settings that point a storefront client here (the locations it
        sells from are ``locations``)."""
        return {"storefront_url": self.url, "storefront_access_token": self.access_token}
