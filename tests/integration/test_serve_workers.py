"""`retailsync serve webhooks --workers N`: N processes share one port, each with its own
producer; every request is answered and published once, a scrape of /metrics shows every
worker, a killed worker is restarted, and SIGTERM stops them all."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.admin import AdminClient

from retailsync.broker import free_port_block
from retailsync.settings import Settings
from retailsync.topology import load_topology
from retailsync.topology.apply import apply_plan
from retailsync.topology.plan import make_plan, read_cluster
from sandbox.storefront import SandboxStorefront, shopify_delivery
from sandbox.storefront.payloads import order_payload

pytestmark = pytest.mark.integration

ROOT = Path(__file__).parents[2]
SECRET = "workers-test-secret"  # a test value, not a secret
WORKERS = 2
REQUESTS = 60


class Workers:
    def __init__(self, process: subprocess.Popen[str], port: int, topic: str) -> None:
        self.process = process
        self.port = port
        self.topic = topic
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip())

    def stopped(self) -> None:
        """Read the last lines, then close the pipe."""
        self._reader.join(30)
        assert self.process.stdout is not None
        self.process.stdout.close()

    def pids(self) -> dict[int, int]:
        """The latest pid of each worker, from the lines saying it was started."""
        found: dict[int, int] = {}
        for line in self.lines:
            if started := re.match(r"started webhooks-worker-(\d+) \(pid (\d+)\)", line):
                found[int(started.group(1))] = int(started.group(2))
        return found

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


def wait(condition: Callable[[], bool], what: str, log: list[str], timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}:\n" + "\n".join(log)
        time.sleep(0.2)


def ready(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.TransportError:
        return False


@pytest.fixture
def workers(
    kafka_bootstrap: str, kafka_settings: Settings, admin: AdminClient, unique: str, tmp_path: Path
) -> Iterator[Workers]:
    topology_file = tmp_path / "topology.yaml"
    topology_file.write_text((ROOT / "topology.yaml").read_text().replace("retail", unique))
    topology = load_topology(topology_file)
    apply_plan(admin, topology, make_plan(topology, read_cluster(admin, topology.namespace)))
    port = free_port_block(1)
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith("RETAILSYNC_")},
        "RETAILSYNC_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "RETAILSYNC_TOPOLOGY_FILE": str(topology_file),
        "RETAILSYNC_SCHEMAS_DIR": str(ROOT / "schemas"),
        "RETAILSYNC_SHOPIFY_WEBHOOK_SECRETS": SECRET,
    }
    command = ["serve", "webhooks", "--workers", str(WORKERS), "--port", str(port)]
    process = subprocess.Popen(
        [sys.executable, "-m", "commands", *command],
        cwd=ROOT, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    running = Workers(process, port, f"{unique}.orders")
    try:
        yield running
    finally:
        if process.poll() is None:
            process.kill()
            for pid in running.pids().values():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        process.wait(30)
        running.stopped()


def post_orders(workers: Workers, run: str, count: int) -> list[int]:
    """``count`` signed orders/create deliveries, each on a new connection (as webhooks from
    many shops arrive), each a new event; the status codes."""
    shop = SandboxStorefront(skus=["MUG-GREEN"])
    order = shop.store.place_order([("MUG-GREEN", 1, "12.90")])
    statuses = []
    for n in range(count):
        delivery = shopify_delivery(
            "orders/create",
            order_payload(order),
            secret=SECRET,
            shop_domain=shop.shop_domain,
            event_id=f"{run}-{n}",
        )
        answer = httpx.post(
            workers.url("/webhooks/shopify"), content=delivery.body, headers=delivery.headers
        )
        statuses.append(answer.status_code)
    return statuses


def records_in(settings: Settings, topic: str) -> int:
    consumer = Consumer({**settings.admin_config(), "group.id": "counter", "log_level": 0})
    try:
        marks = [
            consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10) for p in range(12)
        ]
    finally:
        consumer.close()
    return sum(high - low for low, high in marks)


def served_by_worker(metrics: str) -> dict[str, float]:
    """Requests to the webhook route answered 200, per worker, from a /metrics page."""
    served: dict[str, float] = {}
    for line in metrics.splitlines():
        if line.startswith("http_server_request_duration_seconds_count{") and (
            'http_route="/webhooks/shopify"' in line and 'status_code="200"' in line
        ):
            worker = re.search(r'worker="(\d+)"', line)
            assert worker is not None, line
            served[worker.group(1)] = served.get(worker.group(1), 0) + float(line.split()[-1])
    return served


def test_workers_share_the_port_and_publish_every_request_once(
    workers: Workers, kafka_settings: Settings
) -> None:
    wait(lambda: ready(workers.url("/readyz")), "a worker to be ready", workers.lines)
    wait(lambda: len(workers.pids()) == WORKERS, "every worker to start", workers.lines)

    assert post_orders(workers, "first", REQUESTS) == [200] * REQUESTS
    assert records_in(kafka_settings, workers.topic) == REQUESTS

    # Any worker may answer the scrape; it shows what each of them served.
    served = served_by_worker(httpx.get(workers.url("/metrics")).text)
    assert set(served) == {str(index) for index in range(WORKERS)}, served
    assert sum(served.values()) == REQUESTS
    assert all(count > 0 for count in served.values()), served


def test_a_killed_worker_is_restarted_and_sigterm_stops_them_all(
    workers: Workers, kafka_settings: Settings
) -> None:
    wait(lambda: len(workers.pids()) == WORKERS, "every worker to start", workers.lines)
    killed = workers.pids()[1]
    os.kill(killed, signal.SIGKILL)
    wait(lambda: workers.pids()[1] != killed, "worker 1 to be restarted", workers.lines)
    wait(lambda: ready(workers.url("/readyz")), "a worker to be ready", workers.lines)

    # Requests that reached the dying worker's queue may be refused; a sender retries them,
    # and the same delivery is then published once.
    assert post_orders(workers, "after", REQUESTS) == [200] * REQUESTS
    assert records_in(kafka_settings, workers.topic) == REQUESTS

    pids = list(workers.pids().values())
    workers.process.send_signal(signal.SIGTERM)
    assert workers.process.wait(60) == 0, "\n".join(workers.lines)
    workers.stopped()
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    assert any(line == "restarts: webhooks-worker-1 1" for line in workers.lines), workers.lines
