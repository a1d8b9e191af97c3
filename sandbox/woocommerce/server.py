"""The WooCommerce stand-in as a real HTTP server on loopback, run in a background thread.

Usage in tests::

    with SandboxWooCommerce.running() as shop:
        mug = shop.store.add_product("MUG", stock=5)
        shop.store.throttle(2, retry_after_s=1)   # the next 2 calls answer 429
        shop.faults.fail(503)                     # every request answered 503
"""

from __future__ import annotations

from typing import Any

from sandbox.http import LoopbackServer, StandIn
from sandbox.woocommerce.routes import build_app
from sandbox.woocommerce.store import Store

# Fixed sandbox values, in WooCommerce's key format (ck_/cs_ and 40 hex digits).
CONSUMER_KEY = "ck_" + "5a4d" * 10
CONSUMER_SECRET = "cs_" + "0fe1" * 10
READ_ONLY_KEY = "ck_" + "7e3d" * 10
READ_ONLY_SECRET = "cs_" + "91ab" * 10


class SandboxWooCommerce(StandIn):
    """One WooCommerce shop: a read/write API key and a read-only one."""

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.consumer_key = CONSUMER_KEY
        self.consumer_secret = CONSUMER_SECRET
        self.store = Store(
            {CONSUMER_KEY: (CONSUMER_SECRET, "read_write"),
             READ_ONLY_KEY: (READ_ONLY_SECRET, "read")}
        )  # fmt: skip
        self._server = LoopbackServer(
            build_app(self.store), name="sandbox-woocommerce", host=host, port=port
        )
        self.faults = self._server.faults

    def channel_entry(self) -> dict[str, Any]:
        """The channels-file entry (minus credentials and locations) that points here."""
        return {"platform": "woocommerce", "url": self.url}
