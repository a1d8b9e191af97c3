"""The sandbox Odoo as a real HTTP server on loopback, run in a background thread.

Usage in tests::

    with SandboxOdoo.running() as odoo:
        odoo.url, odoo.db, odoo.login, odoo.password, odoo.api_key
        odoo.faults.down()   # connection refused until odoo.faults.up()

uvicorn serves the Starlette application in its own thread and event loop; the SQLite
database and the fault switches outlive the listener, so ``down``/``up`` keep the data and
the port.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

from sandbox.odoo.auth import ADMIN_UID, Credentials
from sandbox.odoo.faults import Faults
from sandbox.odoo.json2 import Json2
from sandbox.odoo.routes import build_app
from sandbox.odoo.rpc import Services
from sandbox.odoo.seed import seed
from sandbox.odoo.store import SUPERUSER_ID, Database

_START_TIMEOUT_S = 10.0


class SandboxOdoo:
    """An Odoo stand-in speaking JSON-RPC (as odoorpc drives it) and JSON-2.

    ``port=0`` takes an ephemeral port; ``path`` keeps the database in a SQLite file instead
    of memory. ``version`` is what ``version_info`` reports.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        db: str = "sandbox",
        credentials: Credentials | None = None,
        version: str = "19.0",
        path: str = ":memory:",
    ) -> None:
        self.host = host
        self.db = db
        self.credentials = credentials or Credentials()
        self._port = port
        self._database = Database(db, path)
        with self._database.transaction(SUPERUSER_ID) as env:
            if not env["res.users"].with_context(active_test=False).search_count([]):
                seed(env, login=self.credentials.login)
        self.faults = Faults(self._stop_listening, self._start_listening)
        services = Services(self._database, self.credentials, version)
        self._app = build_app(
            services, Json2(self._database, self.credentials), version, self.faults
        )
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self._port

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self._port}"

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
        self._start_listening()

    def stop(self) -> None:
        self._stop_listening()
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

    def _start_listening(self) -> None:
        # IPPROTO_TCP spelled out: asyncio only sets TCP_NODELAY on sockets that say so.
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        # The same port again after ``down``: connections in TIME_WAIT must not block it.
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((self.host, self._port))
        listener.listen(128)
        self._port = listener.getsockname()[1]
        config = uvicorn.Config(
            self._app,
            http="h11",
            loop="asyncio",
            ws="none",
            lifespan="off",
            log_config=None,
            access_log=False,
            timeout_graceful_shutdown=1,
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(
            target=server.run,
            kwargs={"sockets": [listener]},
            name=f"sandbox-odoo-{self._port}",
            daemon=True,
        )
        thread.start()
        self._server, self._thread = server, thread
        started = threading.Event()
        while not server.started and thread.is_alive():
            started.wait(0.005)
        if not server.started:
            listener.close()
            raise RuntimeError(f"the sandbox Odoo could not start on {self.url}")

    def _stop_listening(self) -> None:
        if self._server is None or self._thread is None:
            return
        self._server.should_exit = True
        self._thread.join(_START_TIMEOUT_S)
        self._server = self._thread = None
