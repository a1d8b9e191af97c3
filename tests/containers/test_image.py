"""The pipeline from the container image, as production runs it: every service its own
container (podman, host network, read-only root filesystem, no capabilities) against the
local broker and the sandboxes. Orders become confirmed Odoo orders and storefront
fulfilments; SIGTERM ends every container with 0 within its grace period.

`make test-containers` builds the image and runs this with RETAILSYNC_TEST_IMAGE set.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import httpx
import pytest

from commands.run import SERVICES
from commands.traffic import SKUS, Traffic, seed_odoo
from retailsync.broker import free_port_block
from retailsync.odoo import OdooClient, OdooSettings
from retailsync.storefront import StorefrontClient, StorefrontSettings
from sandbox.odoo import SandboxOdoo
from sandbox.storefront import SandboxStorefront, WebhookEmitter

pytestmark = pytest.mark.containers

IMAGE = os.environ.get("RETAILSYNC_TEST_IMAGE", "localhost/retailsync:0.1.0")
PODMAN = ["podman", "--runtime", "runc"]
SECRET = "container-test-secret"  # a test value, not a secret
ORDERS = 3
# terminationGracePeriodSeconds of the manifests: a batch, its flush and commit fit in it.
GRACE_S = 30
# A metric family each service exports from its start (consumers: the breaker gauge).
FAMILY = {
    "webhooks": "http_server_request_duration_seconds",
    "ingest": "http_server_request_duration_seconds",
    "odoo-changes": "retailsync_odoo_lag",
}
FULFILMENTS = """
query Order($id: ID!) {
  order(id: $id) { fulfillments(first: 5) { trackingInfo(first: 5) { number } } }
}
"""


@dataclass
class Containers:
    ports: dict[str, int]
    names: dict[str, str] = field(default_factory=dict)
    started: dict[str, float] = field(default_factory=dict)

    def url(self, service: str, path: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}{path}"

    def logs(self, service: str) -> str:
        found = subprocess.run(
            [*PODMAN, "logs", "--tail", "30", self.names[service]],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        return found.stdout + found.stderr


def podman(*args: str) -> str:
    return subprocess.run(
        [*PODMAN, *args], capture_output=True, text=True, check=True
    ).stdout.strip()


def wait(condition: Callable[[], bool], what: str, timeout_s: float = 180) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.TransportError:
        return False


# What a service keeps on a volume of its own (the manifests give it one), here a tmpfs.
STATE = {
    "order-lifecycle": (
        "--tmpfs", "/var/lib/retailsync:rw,mode=1777",
        "--env", "RETAILSYNC_LIFECYCLE_DATABASE=/var/lib/retailsync/order-lifecycle.sqlite3",
    ),
}  # fmt: skip


def run_options(environment: dict[str, str]) -> list[str]:
    """What the Kubernetes manifests ask of the runtime, asked of podman."""
    options = ["--network", "host", "--read-only", "--cap-drop", "ALL"]
    options += ["--security-opt", "no-new-privileges", "--user", "10001:10001"]
    for name, value in environment.items():
        options += ["--env", f"{name}={value}"]
    return options


@pytest.fixture(scope="module")
def sandboxes() -> Iterator[tuple[SandboxOdoo, SandboxStorefront]]:
    assert shutil.which("podman"), "podman is needed: `make test-containers` on Debian"
    with SandboxOdoo.running() as odoo, SandboxStorefront.running(skus=SKUS) as shop:
        yield odoo, shop


@pytest.fixture(scope="module")
def containers(
    kafka_bootstrap: str, sandboxes: tuple[SandboxOdoo, SandboxStorefront]
) -> Iterator[tuple[Containers, dict[str, str]]]:
    odoo, shop = sandboxes
    first = free_port_block(len(SERVICES))
    running = Containers({name: first + index for index, (name, _) in enumerate(SERVICES)})
    suffix = uuid.uuid4().hex[:8]
    environment = {
        "RETAILSYNC_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "RETAILSYNC_ODOO_URL": odoo.url,
        "RETAILSYNC_ODOO_DB": odoo.db,
        "RETAILSYNC_ODOO_API_KEY": odoo.api_key,
        "RETAILSYNC_ODOO_POLL_INTERVAL_S": "1",
        # The sandbox storefront's orders are test orders.
        "RETAILSYNC_ODOO_ORDERS_APPLY_TEST_ORDERS": "true",
        "RETAILSYNC_ODOO_TRIGGER_PORT": str(running.ports["odoo-changes"]),
        "RETAILSYNC_WEBHOOK_PORT": str(running.ports["webhooks"]),
        "RETAILSYNC_INGEST_PORT": str(running.ports["ingest"]),
        "RETAILSYNC_SHOPIFY_WEBHOOK_SECRETS": SECRET,
        "RETAILSYNC_STOREFRONT_URL": shop.url,
        "RETAILSYNC_STOREFRONT_ACCESS_TOKEN": shop.access_token,
        "RETAILSYNC_STOREFRONT_LOCATIONS": json.dumps(shop.locations),
    }
    podman("run", "--rm", *run_options(environment), IMAGE, "topology", "apply")
    try:
        for name, command in SERVICES:
            running.names[name] = f"retailsync-{name}-{suffix}"
            port = {"RETAILSYNC_HTTP_PORT": str(running.ports[name])}
            running.started[name] = time.monotonic()
            podman(
                "run", "--detach", "--name", running.names[name],
                *run_options(environment | port), *STATE.get(name, ()), IMAGE, *command,
            )  # fmt: skip
        yield running, environment
    finally:
        for name in running.names.values():
            subprocess.run(
                [*PODMAN, "rm", "--force", "--time", "0", name], capture_output=True, check=False
            )


def test_every_container_gets_ready(
    containers: tuple[Containers, dict[str, str]], capsys: pytest.CaptureFixture[str]
) -> None:
    running, environment = containers
    ready_after: dict[str, float] = {}
    for name, _command in SERVICES:

        def ready(name: str = name) -> bool:
            if answers(running.url(name, "/readyz")):
                ready_after[name] = time.monotonic() - running.started[name]
                return True
            return False

        wait(ready, f"{name} to be ready:\n{running.logs(name)}")
        assert (
            FAMILY.get(name, "retailsync_consumer_breaker_open")
            in httpx.get(running.url(name, "/metrics")).text
        )
    # One more odoo-orders instance, started alone into the running pipeline: podman run to
    # ready (it joined the group and got its assignment), then a clean stop.
    port = free_port_block(1)
    name = f"{running.names['odoo-orders']}-extra"
    started = time.monotonic()
    podman(
        "run", "--detach", "--name", name,
        *run_options(environment | {"RETAILSYNC_HTTP_PORT": str(port)}),
        IMAGE, "consume", "odoo-orders",
    )  # fmt: skip
    try:
        wait(lambda: answers(f"http://127.0.0.1:{port}/readyz"), "the extra odoo-orders")
        alone = time.monotonic() - started
    finally:
        podman("stop", "--time", str(GRACE_S), name)
        podman("rm", name)
    with capsys.disabled():
        figures = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in ready_after.items())
        print(f"\npodman run to ready, all five started at once: {figures}")
        print(f"podman run to ready, one more odoo-orders alone: {alone:.1f} s")


def test_orders_become_confirmed_odoo_orders_and_fulfilments(
    containers: tuple[Containers, dict[str, str]],
    sandboxes: tuple[SandboxOdoo, SandboxStorefront],
) -> None:
    running, _ = containers
    odoo, shop = sandboxes
    for name, _command in SERVICES:
        url = running.url(name, "/readyz")

        def ready(url: str = url) -> bool:
            return answers(url)

        wait(ready, f"{name} to be ready")
    odoo_settings = OdooSettings(odoo_url=odoo.url, odoo_db=odoo.db, odoo_api_key=odoo.api_key)
    shop_settings = StorefrontSettings(
        storefront_url=shop.url, storefront_access_token=shop.access_token
    )
    with (
        OdooClient.from_settings(odoo_settings) as client,
        StorefrontClient.from_settings(shop_settings) as storefront,
        # Shopify's retry schedule, sped up: a retry comes within seconds, not hours.
        WebhookEmitter(running.url("webhooks", "/webhooks/shopify"), speedup=1000) as webhooks,
    ):
        seed_odoo(client)
        traffic = Traffic(shop, client, webhooks, SECRET)
        refs = [traffic.place_order() for _ in range(ORDERS)]

        def all_shipped() -> bool:
            traffic.ship_confirmed()
            return traffic.shipped == set(refs)

        wait(all_shipped, "the orders to be confirmed in Odoo and shipped")
        for ref in refs:
            order_id = ref.split(":")[1]

            def fulfilled(order_id: str = order_id) -> bool:
                found = storefront.execute(FULFILMENTS, {"id": f"gid://shopify/Order/{order_id}"})
                return any(
                    info["number"].startswith("TRACK")
                    for fulfilment in found["order"]["fulfillments"]
                    for info in fulfilment["trackingInfo"]
                )

            wait(fulfilled, f"the fulfilment of {ref}:\n{running.logs('storefront-fulfillment')}")


def test_sigterm_ends_every_container_cleanly_within_the_grace_period(
    containers: tuple[Containers, dict[str, str]],
) -> None:
    running, _ = containers
    stopped = time.monotonic()
    for name in running.names.values():
        podman("kill", "--signal", "TERM", name)
    for service, name in running.names.items():
        remaining = GRACE_S - (time.monotonic() - stopped)
        waited = subprocess.run(
            [*PODMAN, "wait", name],
            capture_output=True, text=True, timeout=max(1, remaining), check=True,
        )  # fmt: skip
        assert waited.stdout.strip() == "0", f"{service} exited with {waited.stdout}:\n" + (
            running.logs(service)
        )
