"""The SFCC stand-in as a real HTTP server on loopback, run in a background thread.

Usage in tests::

    with SandboxSfcc.running(token_lifetime_s=2) as sfcc:
        sfcc.add_order(order_document("00001", (Item("MUG", 2, Decimal("9.50")),)))
        sfcc.store.throttle(3, retry_after_s=1)   # the next 3 calls answer 429
        sfcc.faults.fail(503)                     # every request answered 503
"""

from __future__ import annotations

from typing import Any

from sandbox.http import LoopbackServer, StandIn
from sandbox.sfcc.routes import MAX_WINDOW, build_app
from sandbox.sfcc.store import Store, StoredOrder

CLIENT_ID = "sandbox-api-client"
CLIENT_SECRET = "sandbox-secret-not-a-secret"  # noqa: S105 (a fixed sandbox value)
# A Business Manager user and its WebDAV access key, for site archive uploads.
WEBDAV_USER = "sandbox-bm-user"
WEBDAV_ACCESS_KEY = "sandbox-webdav-key-not-a-secret"
ORGANIZATION_ID = "f_ecom_sbox_001"
SITE_ID = "RefArch"


class SandboxSfcc(StandIn):
    """A B2C Commerce stand-in: Account Manager's token endpoint and SCAPI Orders, for one
    organization; orders belong to ``site_id`` unless another is given."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        token_lifetime_s: int = 1799,
        site_id: str = SITE_ID,
        max_window: int = MAX_WINDOW,
    ) -> None:
        """``max_window``: the highest ``offset + limit`` getOrders answers (SCAPI: 10,000)."""
        self.client_id = CLIENT_ID
        self.client_secret = CLIENT_SECRET
        self.organization_id = ORGANIZATION_ID
        self.site_id = site_id
        self.store = Store({CLIENT_ID: CLIENT_SECRET}, token_lifetime_s=token_lifetime_s)
        self.store.webdav_users[WEBDAV_USER] = WEBDAV_ACCESS_KEY
        self.webdav_user, self.webdav_access_key = WEBDAV_USER, WEBDAV_ACCESS_KEY
        app = build_app(self.store, ORGANIZATION_ID, max_window=max_window)
        self._server = LoopbackServer(app, name="sandbox-sfcc", host=host, port=port)
        self.faults = self._server.faults

    @property
    def token_url(self) -> str:
        return f"{self.url}/dwsso/oauth2/access_token"

    def add_order(self, document: dict[str, Any], site_id: str | None = None) -> StoredOrder:
        return self.store.add_order(site_id or self.site_id, document)

    def channel_entry(self) -> dict[str, Any]:
        """The channels-file entry (minus credentials) that points a channel here."""
        return {
            "platform": "sfcc",
            "url": self.url,
            "token_url": self.token_url,
            "organization_id": self.organization_id,
            "site_id": self.site_id,
        }
