"""Serving a sandbox: an ASGI app on loopback in a background thread, behind fault switches.

Usage::

    server = LoopbackServer(app, name="sandbox-odoo")
    server.start()           # an ephemeral port unless one is given; server.url
    server.faults.down()     # connection refused until server.faults.up()
    server.faults.flaky(0.3) # 30 % of the requests answer 500, 503 or 429 at random
    server.stop()

uvicorn runs the app in its own thread and event loop. ``down`` closes the listener and the
open connections; ``up`` listens again on the same port, so clients see a real outage.
"""

from __future__ import annotations

import asyncio
import random
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http import HTTPStatus
from typing import Any, Literal, Self

import uvicorn
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

_STOP_TIMEOUT_S = 10.0


class Faults:
    """Switches read by the server on every request; ``clear`` puts everything back.

    ``down`` closes the listening socket and the open connections, so clients get
    *connection refused*, not an HTTP answer; ``up`` listens again on the same port.
    """

    def __init__(
        self, stop_listening: Callable[[], None], start_listening: Callable[[], None]
    ) -> None:
        self._stop_listening = stop_listening
        self._start_listening = start_listening
        self.is_down = False
        self.delay_s = 0.0
        self.status: HTTPStatus | None = None
        self._failures_left: int | None = None  # None: until cleared
        self.flaky_rate = 0.0
        self.flaky_statuses: tuple[HTTPStatus, ...] = ()
        self._random = random.Random(0)  # noqa: S311 (fault injection, not crypto)

    def down(self) -> None:
        if not self.is_down:
            self._stop_listening()
            self.is_down = True

    def up(self) -> None:
        if self.is_down:
            self._start_listening()
            self.is_down = False

    def slow(self, seconds: float) -> None:
        """Wait ``seconds`` before answering each request."""
        self.delay_s = seconds

    def fail(self, status: int = HTTPStatus.SERVICE_UNAVAILABLE, times: int | None = None) -> None:
        """Answer every request, or the next ``times``, with ``status`` (a proxy's plain-text
        page), as a gateway would."""
        self.status = HTTPStatus(status)
        self._failures_left = times

    def flaky(
        self,
        rate: float,
        statuses: tuple[int, ...] = (500, 503, 429),
        seed: int = 0,
    ) -> None:
        """Answer a share ``rate`` of the requests, at random, with one of ``statuses``."""
        self._random.seed(seed)
        self.flaky_statuses = tuple(HTTPStatus(status) for status in statuses)
        self.flaky_rate = rate

    def failing_status(self) -> HTTPStatus | None:
        """The status this request gets instead of the app's answer, if any."""
        if self.status is None and self.flaky_rate and self._random.random() < self.flaky_rate:
            return self._random.choice(self.flaky_statuses)
        status = self.status
        if status is not None and self._failures_left is not None:
            self._failures_left -= 1
            if self._failures_left <= 0:
                self.status = self._failures_left = None
        return status

    def clear(self) -> None:
        self.delay_s = 0.0
        self.status = None
        self.flaky_rate = 0.0
        self.up()


class FaultMiddleware:
    """Applies ``faults`` before the app sees a request."""

    def __init__(self, app: ASGIApp, faults: Faults) -> None:
        self._app = app
        self._faults = faults

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            if self._faults.delay_s:
                await asyncio.sleep(self._faults.delay_s)
            status = self._faults.failing_status()
            if status is not None:
                page = PlainTextResponse(
                    f"{status.value} {status.phrase}", status_code=status.value
                )
                await page(scope, receive, send)
                return
        await self._app(scope, receive, send)


class LoopbackServer:
    """``app`` served over HTTP on ``host``:``port`` (0: an ephemeral port) in a thread.

    ``lifespan="on"`` runs the app's startup and shutdown, for apps that own clients.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        name: str,
        host: str = "127.0.0.1",
        port: int = 0,
        lifespan: Literal["on", "off"] = "off",
    ) -> None:
        self.host = host
        self.name = name
        self.faults = Faults(self._stop_listening, self._start_listening)
        self._app = FaultMiddleware(app, self.faults)
        self._port = port
        self._lifespan = lifespan
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self._port

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self._port}"

    def start(self) -> None:
        self._start_listening()

    def stop(self) -> None:
        self._stop_listening()

    @contextmanager
    def running(self) -> Iterator[LoopbackServer]:
        self.start()
        try:
            yield self
        finally:
            self.stop()

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
            lifespan=self._lifespan,
            log_config=None,
            access_log=False,
            timeout_graceful_shutdown=1,
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(
            target=server.run,
            kwargs={"sockets": [listener]},
            name=f"{self.name}-{self._port}",
            daemon=True,
        )
        thread.start()
        self._server, self._thread = server, thread
        started = threading.Event()
        while not server.started and thread.is_alive():
            started.wait(0.005)
        if not server.started:
            listener.close()
            raise RuntimeError(f"{self.name} could not start on {self.url}")

    def _stop_listening(self) -> None:
        if self._server is None or self._thread is None:
            return
        self._server.should_exit = True
        self._thread.join(_STOP_TIMEOUT_S)
        self._server = self._thread = None


class StandIn:
    """A sandbox served by its ``LoopbackServer``: started, stopped, or ``running`` for the
    length of a block."""

    _server: LoopbackServer

    @property
    def url(self) -> str:
        return self._server.url

    def start(self) -> None:
        self._server.start()

    def stop(self) -> None:
        self._server.stop()

    @classmethod
    @contextmanager
    def running(cls, **kwargs: Any) -> Iterator[Self]:
        """A started stand-in, stopped on exit."""
        stand_in = cls(**kwargs)
        stand_in.start()
        try:
            yield stand_in
        finally:
            stand_in.stop()
