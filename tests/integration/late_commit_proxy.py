"""An HTTP proxy on loopback that makes the first sale-order write commit late.

It forwards JSON-2 calls to an Odoo, except the first ``sale.order`` ``create`` or ``load``:
that one it holds until the client has timed out and a later write of a sale order went
through, then sends it on. Odoo applies it after the retry, as a loaded Odoo with several
workers commits a write whose client gave up long before.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

ORDER_WRITES = frozenset({"/json/2/sale.order/create", "/json/2/sale.order/load"})
_FORWARDED_HEADERS = ("Authorization", "Content-Type", "X-Odoo-Database")


class LateCommitProxy:
    """Where the client should send its calls (``url``), and what became of the held write."""

    def __init__(self, upstream: str, *, hold_limit_s: float = 60.0) -> None:
        self._upstream = httpx.Client(base_url=upstream, timeout=30)
        self._hold_limit_s = hold_limit_s
        self._lock = threading.Lock()
        self._holding = False
        self.retried = threading.Event()  # a later order write went through
        self.late_write_done = threading.Event()  # the held write reached Odoo
        self.late_status: int | None = None
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    @classmethod
    @contextmanager
    def running(cls, upstream: str) -> Iterator[LateCommitProxy]:
        proxy = cls(upstream)
        thread = threading.Thread(target=proxy._server.serve_forever, name="late-commit-proxy")
        thread.start()
        try:
            yield proxy
        finally:
            proxy.retried.set()  # never leave a held request waiting
            proxy._server.shutdown()
            proxy._server.server_close()
            thread.join(10)
            proxy._upstream.close()

    def _hold_this_one(self, path: str) -> bool:
        with self._lock:
            first = path in ORDER_WRITES and not self._holding
            self._holding = self._holding or first
            return first

    def _forward(self, path: str, headers: dict[str, str], body: bytes) -> httpx.Response:
        try:
            return self._upstream.post(path, content=body, headers=headers)
        except httpx.TransportError as exc:
            # What a reverse proxy answers when Odoo is down, rather than a dropped connection.
            return httpx.Response(502, text=f"Bad Gateway: {type(exc).__name__}")

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                headers = {k: v for k in _FORWARDED_HEADERS if (v := self.headers.get(k))}
                if proxy._hold_this_one(self.path):
                    proxy.retried.wait(proxy._hold_limit_s)
                    reply = proxy._forward(self.path, headers, body)
                    proxy.late_status = reply.status_code
                    proxy.late_write_done.set()
                    with contextlib.suppress(OSError):  # its client gave up long ago
                        self._answer(reply)
                    return
                reply = proxy._forward(self.path, headers, body)
                if self.path in ORDER_WRITES:
                    proxy.retried.set()
                self._answer(reply)

            def _answer(self, reply: httpx.Response) -> None:
                self.send_response(reply.status_code)
                self.send_header("Content-Type", reply.headers.get("Content-Type", "text/plain"))
                self.send_header("Content-Length", str(len(reply.content)))
                self.end_headers()
                self.wfile.write(reply.content)

            def log_message(self, format: str, *args: object) -> None:
                pass  # quiet: the test reads the outcome, not an access log

        return Handler
