"""The sandbox Odoo as a real HTTP server on loopback, run in a background thread.

Usage in tests::

    with SandboxOdoo.running() as odoo:
        odoo.url, odoo.db, odoo.login, odoo.password, odoo.api_key
        odoo.faults.down()   # connection refused until odoo.faults.up()

``sandbox.http.LoopbackServer`` serves the Starlette application in its own thread; the
SQLite database outlives the listener, so ``down``/``up`` keep the data and the port.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sandbox.http import LoopbackServer
from sandbox.odoo.auth import ADMIN_UID, Credentials
from sandbox.odoo.json2 import Json2
from sandbox.odoo.routes import build_app
from sandbox.odoo.rpc import Services
from sandbox.odoo.seed import seed
from sandbox.odoo.store import SUPERUSER_ID, Database

VERSIONS = (18, 19)  # the major versions of Odoo the sandbox can answer as


class SandboxOdoo:
    """An Odoo stand-in speaking JSON-RPC (as odoorpc drives it) and JSON-2.

    ``port=0`` takes an ephemeral port; ``path`` keeps the database in a SQLite file instead
    of memory. ``version`` (``"18.0"`` or ``"19.0"``) is the Odoo it answers as: what
    ``version_info`` reports, and where the two differ, how it behaves (see the README).
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        db: str = "sandbox",
        credentials: Credentials | None = None,
        version: str = "18.0",
        path: str = ":memory:",
    ) -> None:
        major = int(version.split(".", maxsplit=1)[0])
        if major not in VERSIONS:
            raise ValueError(f"the sandbox answers as Odoo 18 or 19, not {version!r}")
        self.db = db
        self.version = version
        self.credentials = credentials or Credentials()
        self._database = Database(db, path, major)
        with self._database.transaction(SUPERUSER_ID) as env:
            if not env["res.users"].with_context(active_test=False).search_count([]):
                seed(env, login=self.credentials.login)
        services = Services(self._database, self.credentials, version)
        app = build_app(services, Json2(self._database, self.credentials), version)
        self._server = LoopbackServer(app, name="sandbox-odoo", host=host, port=port)
        self.faults = self._server.faults

    @property
    def major_version(self) -> int:
        """18 or 19: the Odoo this sandbox answers as."""
        return self._database.version

    @property
    def host(self) -> str:
        return self._server.host

    @property
    def port(self) -> int:
        return self._server.port

    @property
    def url(self) -> str:
        return self._server.url

    @property
    def uid(self) -> int:
        return ADMIN_UID

    @property
    def login(self) -> str:
        return self.credentials.login

    @property
    def password(self) -> str:
        return self.credentials.password

    @property
    def api_key(self) -> str:
        return self.credentials.api_key

    def start(self) -> None:
        self._server.start()

    def stop(self) -> None:
        self._server.stop()
        self._database.close()

    @classmethod
    @contextmanager
    def running(cls, **kwargs: Any) -> Iterator[SandboxOdoo]:
        """A started sandbox, stopped on exit."""
        sandbox = cls(**kwargs)
        sandbox.start()
        try:
            yield sandbox
        finally:
            sandbox.stop()
