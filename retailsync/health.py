"""Health, readiness and metrics over HTTP: what a container's probes and Prometheus ask.

Every service answers on one port:

- ``GET /healthz``: 200 while the process does its work (a consumer: its poll loop turned
  within ``RETAILSYNC_LIVENESS_TIMEOUT_S``), else 503: restart me;
- ``GET /readyz``: 200 once it can do its work (a consumer: it joined its group and got its
  assignment), else 503;
- ``GET /metrics``: the Prometheus text format (OpenMetrics when asked for).

A consumer service serves them with ``HealthServer`` on ``RETAILSYNC_HTTP_PORT``; the
producers, which have an HTTP server of their own, add them to it with ``with_endpoints``.
A check returns None when all is well, else the reason, which the answer carries.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable, Collection, Iterator
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
from prometheus_client import REGISTRY, CollectorRegistry, Metric
from prometheus_client.exposition import choose_encoder
from prometheus_client.parser import text_string_to_metric_families
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from retailsync.errors import ConfigError
from retailsync.metrics import HTTP_SERVER_DURATION
from retailsync.telemetry import server_span

if TYPE_CHECKING:
    from retailsync.consumer.runner import ServiceRunner

Check = Callable[[], str | None]
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_PEER_TIMEOUT_S = 2.0


def ok() -> str | None:
    """A check that always passes: the process answers, so it is alive."""
    return None


def metrics_page(accept: str | None) -> tuple[bytes, str]:
    """The metrics of this process, and their content type, in the format ``accept`` asks."""
    encoder, content_type = choose_encoder(accept or "")
    return encoder(REGISTRY), content_type


class WorkerMetrics:
    """The metrics of every worker of one server (``serve … --workers N``), each sample
    labelled ``worker``. The workers share the port, so a scrape reaches any one of them;
    that one asks the others over their private Unix sockets in ``directory`` (files
    ``worker-<index>.sock``) for their own metrics (``GET /metrics?local``)."""

    def __init__(self, directory: Path, index: int) -> None:
        self.directory = directory
        self.index = index

    @property
    def own_socket(self) -> Path:
        return self.directory / f"worker-{self.index}.sock"

    def page(self, accept: str | None) -> tuple[bytes, str]:
        """Every worker's metrics, in the format ``accept`` asks; blocks on the others."""
        registry = CollectorRegistry(auto_describe=False)
        registry.register(self)
        encoder, content_type = choose_encoder(accept or "")
        return encoder(registry), content_type

    def collect(self) -> Iterator[Metric]:
        """One family per metric name, with the samples of every worker that answers; a
        worker being restarted is missing from this scrape, not an error."""
        families: dict[str, Metric] = {}
        for path in sorted(self.directory.glob("worker-*.sock")):
            worker = path.stem.removeprefix("worker-")
            text = metrics_page(None)[0].decode() if path == self.own_socket else _fetch(path)
            for family in text_string_to_metric_families(text or ""):
                merged = families.setdefault(
                    family.name,
                    Metric(family.name, family.documentation, family.type, family.unit),
                )
                merged.samples.extend(
                    sample._replace(labels={**sample.labels, "worker": worker})
                    for sample in family.samples
                )
        yield from families.values()


def _fetch(socket_path: Path) -> str | None:
    try:
        with httpx.Client(
            transport=httpx.HTTPTransport(uds=str(socket_path)), timeout=_PEER_TIMEOUT_S
        ) as client:
            answer = client.get("http://worker/metrics?local")
    except httpx.HTTPError:
        return None
    return answer.text if answer.is_success else None


def _check_page(check: Check, good: str) -> tuple[int, bytes]:
    reason = check()
    if reason is None:
        return HTTPStatus.OK, json.dumps({"status": good}).encode()
    return HTTPStatus.SERVICE_UNAVAILABLE, json.dumps({"status": reason}).encode()


class HealthServer:
    """``/healthz``, ``/readyz`` and ``/metrics`` from a daemon thread; port 0 takes a free one."""

    def __init__(self, host: str, port: int, *, live: Check, ready: Check) -> None:
        """Bind ``host:port`` now; ConfigError naming RETAILSYNC_HTTP_PORT if it is taken."""
        checks = {"/healthz": (live, "ok"), "/readyz": (ready, "ready")}

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = self.path.partition("?")[0]
                if path == "/metrics":
                    body, content_type = metrics_page(self.headers.get("Accept"))
                    status = int(HTTPStatus.OK)
                elif path in checks:
                    status, body = _check_page(*checks[path])
                    content_type = "application/json"
                else:
                    status, body, content_type = HTTPStatus.NOT_FOUND, b"{}", "application/json"
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                """Probes every few seconds would drown the service's own lines."""

        try:
            self._server = ThreadingHTTPServer((host, port), Handler)
        except OSError as exc:
            raise ConfigError(
                "environment", "RETAILSYNC_HTTP_PORT", f"cannot listen on {host}:{port}: {exc}"
            ) from None
        self._server.daemon_threads = True
        self.host, self.port = host, self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="health", daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def __enter__(self) -> HealthServer:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


class Rounds:
    """Liveness and readiness of a service that works in rounds (a poller, a scheduled
    reconciliation): ``ended()`` after every round, well or not; ``whole()`` after a round
    over everything it serves."""

    def __init__(self, what: str) -> None:
        self._what = what
        self.last_end = time.monotonic()
        self.whole_rounds = 0

    def ended(self) -> None:
        self.last_end = time.monotonic()

    def whole(self) -> None:
        self.ended()
        self.whole_rounds += 1

    def checks(self, stall_s: float, interval_s: float) -> tuple[Check, Check]:
        """Live while a round ended within ``stall_s`` plus the interval; ready once one
        whole round has run. A system being away does not make the process unready (as a
        consumer's open breaker does not): the service counts its failed rounds."""

        def live() -> str | None:
            stalled = time.monotonic() - self.last_end
            if stalled > stall_s + interval_s:
                return f"no {self._what} round has ended for {stalled:.0f}s"
            return None

        def ready() -> str | None:
            return None if self.whole_rounds else f"the first {self._what} round is not done"

        return live, ready


def consumer_checks(runner: ServiceRunner, stall_s: float) -> tuple[Check, Check]:
    """Liveness and readiness of a consumer service.

    A service paused by an open circuit breaker is ready: it holds its partitions and its
    process is sound; the target is down, not the pod. Reporting it unready would stop a
    rollout for as long as Odoo or the storefront is away, and consumers take no traffic from
    a Service. The pause shows in ``retailsync_consumer_breaker_open`` and in the answer.
    """

    def live() -> str | None:
        stalled = time.monotonic() - runner.last_turn
        if stalled > stall_s:
            return f"the poll loop has not turned for {stalled:.0f}s"
        return None

    def ready() -> str | None:
        if not runner.joined.is_set():
            return "waiting for the group's assignment"
        return None

    return live, ready


def with_endpoints(
    app: ASGIApp,
    *,
    routes: Collection[str],
    live: Check,
    ready: Check | None = None,
    workers: WorkerMetrics | None = None,
) -> ASGIApp:
    """``app`` answering ``/metrics`` (and ``/healthz``, ``/readyz`` when ``ready`` is given)
    and timing every request by route and status. With ``workers``, ``/metrics`` answers
    every worker's metrics, and ``/metrics?local`` this worker's own.

    ``routes`` are the paths used as the ``http.route`` label; any other path counts as
    ``other``, so a scan of random paths cannot grow the label set.
    """
    checks = {} if ready is None else {"/healthz": (live, "ok"), "/readyz": (ready, "ready")}
    known = frozenset(routes) | checks.keys() | {"/metrics"}

    async def endpoints(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        path, method = scope["path"], scope["method"]
        started = time.perf_counter()
        status = HTTPStatus.INTERNAL_SERVER_ERROR.value

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        route = path if path in known else "other"
        traceparent = dict(scope["headers"]).get(b"traceparent")
        try:
            if method == "GET" and path == "/metrics":
                accept = dict(scope["headers"]).get(b"accept", b"").decode("latin-1")
                if workers is None or scope["query_string"] == b"local":
                    body, content_type = metrics_page(accept)
                else:
                    body, content_type = await asyncio.to_thread(workers.page, accept)
                await _answer(sending, HTTPStatus.OK, body, content_type)
            elif method == "GET" and path in checks:
                code, body = _check_page(*checks[path])
                await _answer(sending, code, body, "application/json")
            else:
                with server_span(
                    f"{method} {route}",
                    traceparent.decode("latin-1") if traceparent else None,
                    {"http.request.method": method, "http.route": route},
                ):
                    await app(scope, receive, sending)
        finally:
            HTTP_SERVER_DURATION.record(
                time.perf_counter() - started,
                {
                    "http.request.method": method if method in _METHODS else "_OTHER",
                    "http.route": route,
                    "http.response.status_code": status,
                },
            )

    return endpoints


async def _answer(send: Send, status: int, body: bytes, content_type: str) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": int(status),
            "headers": [
                (b"content-type", content_type.encode()),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
