"""Probes and metrics over HTTP, without a broker: what the answers say and when."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from retailsync.errors import ConfigError
from retailsync.health import HealthServer, Rounds, consumer_checks, ok, with_endpoints

pytestmark = pytest.mark.unit


@dataclass
class Runner:
    """What the checks read of a ServiceRunner."""

    last_turn: float = field(default_factory=time.monotonic)
    joined: threading.Event = field(default_factory=threading.Event)


def test_a_consumer_is_unhealthy_once_its_loop_stalls_and_ready_once_assigned() -> None:
    runner = Runner()
    live, ready = consumer_checks(runner, stall_s=60)  # type: ignore[arg-type]
    assert live() is None
    assert ready() == "waiting for the group's assignment"
    runner.joined.set()
    assert ready() is None
    runner.last_turn -= 61
    assert live() is not None
    assert "has not turned" in (live() or "")


def test_the_server_answers_probes_with_503_and_the_reason_and_serves_metrics() -> None:
    reasons: list[str | None] = ["not yet"]
    with HealthServer("127.0.0.1", 0, live=ok, ready=lambda: reasons[-1]) as server:
        assert httpx.get(f"{server.url}/healthz").status_code == 200
        waiting = httpx.get(f"{server.url}/readyz")
        assert (waiting.status_code, waiting.json()) == (503, {"status": "not yet"})
        reasons.append(None)
        assert httpx.get(f"{server.url}/readyz").json() == {"status": "ready"}
        metrics = httpx.get(f"{server.url}/metrics")
        assert metrics.status_code == 200
        assert metrics.headers["content-type"].startswith("text/plain")
        assert httpx.get(f"{server.url}/other").status_code == 404


def test_the_wrapper_adds_the_endpoints_and_leaves_the_rest_to_the_app() -> None:
    async def hello(_request: object) -> PlainTextResponse:
        return PlainTextResponse("hello")

    app = with_endpoints(
        Starlette(routes=[Route("/hello", hello)]),
        routes=["/hello"],
        live=ok,
        ready=lambda: "warming up",
    )
    client = TestClient(app)
    assert client.get("/hello").text == "hello"
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 503
    assert client.get("/metrics").status_code == 200
    assert client.get("/unknown").status_code == 404


def test_a_port_in_use_is_a_config_error_naming_the_setting() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(ConfigError) as raised:
            HealthServer("127.0.0.1", taken.getsockname()[1], live=ok, ready=ok)
    assert raised.value.key == "RETAILSYNC_HTTP_PORT"


def test_a_round_based_service_is_ready_after_its_first_whole_round_and_live_while_rounds_end() -> (
    None
):
    rounds = Rounds("export")
    live, ready = rounds.checks(stall_s=60, interval_s=5)
    assert ready() == "the first export round is not done"
    assert live() is None
    rounds.ended()  # one site's round: not yet all of them
    assert ready() is not None
    rounds.whole()
    assert ready() is None
    rounds.last_end -= 66  # nothing ended for longer than the stall allowance and the interval
    assert live() == "no export round has ended for 66s"
