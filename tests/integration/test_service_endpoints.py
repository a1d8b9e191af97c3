"""Every shipped service as its own process, as its container runs it: probes and metrics
answer, a storefront order becomes a confirmed Odoo order, no personal data reaches a log
line or a metric label, and SIGTERM ends every service cleanly."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from commands.run import SERVICES
from commands.services import CONSUMER_SERVICES
from commands.traffic import SKUS, seed_odoo
from retailsync.broker import free_port_block
from retailsync.odoo import OdooClient, OdooSettings
from sandbox.odoo import SandboxOdoo
from sandbox.storefront import SandboxStorefront, shopify_delivery
from sandbox.storefront.payloads import order_payload

pytestmark = pytest.mark.integration

ROOT = Path(__file__).parents[2]
SECRET = "endpoint-test-secret"  # a test value, not a secret
# What the consumer services need at least 30 s for: the grace period of the manifests.
GRACE_S = 30
# Personal data of one customer, each value unlikely anywhere else.
EMAIL = "pii.probe.4711@example.org"
PHONE = "+49 30 5550 4711"
STREET = "4711 Probestrasse"
PERSONAL = (EMAIL, PHONE, STREET, "5550 4711", "pii.probe")


@dataclass
class Services:
    environment: dict[str, str]
    ports: dict[str, int]
    odoo: OdooClient
    shop: SandboxStorefront
    logs: Path
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def url(self, service: str, path: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}{path}"

    def log_lines(self) -> list[str]:
        return [
            line
            for path in sorted(self.logs.glob("*.log"))
            for line in path.read_text(errors="replace").splitlines()
        ]


def wait(condition: Callable[[], bool], what: str, timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.3)


def wait_ready(services: Services) -> None:
    for name, _ in SERVICES:
        url = services.url(name, "/readyz")

        def ready(url: str = url) -> bool:
            return answers(url)

        wait(ready, f"{name} to be ready")


def answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.TransportError:
        return False


@pytest.fixture(scope="module")
def services(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    namespace = f"t{uuid.uuid4().hex[:12]}"
    work = tmp_path_factory.mktemp("services")
    topology = work / "topology.yaml"
    topology.write_text((ROOT / "topology.yaml").read_text().replace("retail", namespace))
    first = free_port_block(len(SERVICES))
    ports = {name: first + index for index, (name, _) in enumerate(SERVICES)}
    with SandboxOdoo.running() as odoo, SandboxStorefront.running(skus=SKUS) as shop:
        environment = {
            **{k: v for k, v in os.environ.items() if not k.startswith("RETAILSYNC_")},
            "RETAILSYNC_BOOTSTRAP_SERVERS": kafka_bootstrap,
            "RETAILSYNC_TOPOLOGY_FILE": str(topology),
            "RETAILSYNC_SCHEMAS_DIR": str(ROOT / "schemas"),
            "RETAILSYNC_LOG_FORMAT": "json",
            "RETAILSYNC_LOG_LEVEL": "DEBUG",
            "RETAILSYNC_ODOO_URL": odoo.url,
            "RETAILSYNC_ODOO_DB": odoo.db,
            "RETAILSYNC_ODOO_API_KEY": odoo.api_key,
            "RETAILSYNC_ODOO_POLL_INTERVAL_S": "1",
            # The sandbox storefront's orders are test orders.
            "RETAILSYNC_ODOO_ORDERS_APPLY_TEST_ORDERS": "true",
            "RETAILSYNC_ODOO_CHECKPOINT_TOPIC": f"{namespace}.odoo-changes.checkpoints",
            "RETAILSYNC_ODOO_PRODUCER_ID": f"odoo-changes-{namespace}",
            "RETAILSYNC_ODOO_TRIGGER_PORT": str(ports["odoo-changes"]),
            "RETAILSYNC_WEBHOOK_PORT": str(ports["webhooks"]),
            "RETAILSYNC_INGEST_PORT": str(ports["ingest"]),
            "RETAILSYNC_SHOPIFY_WEBHOOK_SECRETS": SECRET,
            "RETAILSYNC_STOREFRONT_URL": shop.url,
            "RETAILSYNC_STOREFRONT_ACCESS_TOKEN": shop.access_token,
            "RETAILSYNC_STOREFRONT_LOCATIONS": json.dumps(shop.locations),
        }
        subprocess.run(
            [sys.executable, "-m", "commands", "topology", "apply"],
            env=environment, cwd=ROOT, check=True, capture_output=True,
        )  # fmt: skip
        settings = OdooSettings(odoo_url=odoo.url, odoo_db=odoo.db, odoo_api_key=odoo.api_key)
        with OdooClient.from_settings(settings) as client:
            seed_odoo(client)
            running = Services(environment, ports, client, shop, work)
            try:
                for name, command in SERVICES:
                    port = {"RETAILSYNC_HTTP_PORT": str(ports[name])}
                    with (work / f"{name}.log").open("wb") as log:
                        running.processes[name] = subprocess.Popen(
                            [sys.executable, "-m", "commands", *command],
                            env=environment | port, cwd=ROOT, stdout=log,
                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                        )  # fmt: skip
                yield running
            finally:
                for process in running.processes.values():
                    if process.poll() is None:
                        process.kill()
                        process.wait()


def test_every_service_answers_its_probes_and_metrics(services: Services) -> None:
    wait_ready(services)
    for name, _ in SERVICES:
        assert httpx.get(services.url(name, "/healthz")).status_code == 200, name
        metrics = httpx.get(services.url(name, "/metrics"))
        assert metrics.status_code == 200, name
        assert metrics.headers["content-type"].startswith("text/plain"), name
        if name in CONSUMER_SERVICES:
            assert re.search(
                rf'retailsync_consumer_breaker_open\{{[^}}]*group="{name}"', metrics.text
            ), name
    webhook_metrics = httpx.get(services.url("webhooks", "/metrics")).text
    assert re.search(
        r'http_server_request_duration_seconds_count\{[^}]*http_route="/readyz"[^}]*\} [1-9]',
        webhook_metrics,
    )
    assert "retailsync_odoo_lag" in httpx.get(services.url("odoo-changes", "/metrics")).text


def test_an_order_reaches_odoo_without_personal_data_in_logs_or_metrics(
    services: Services,
) -> None:
    wait_ready(services)
    order = services.shop.store.place_order([(SKUS[0], 2, "19.90")])
    payload = order_payload(order)
    address = {
        **payload["shipping_address"],
        "address1": STREET,
        "phone": PHONE,
    }
    payload |= {
        "email": EMAIL,
        "phone": PHONE,
        "shipping_address": address,
        "billing_address": address,
        "customer": {**payload["customer"], "email": EMAIL, "phone": PHONE},
    }
    delivery = shopify_delivery(
        "orders/create", payload, secret=SECRET, shop_domain=services.shop.shop_domain
    )
    reply = httpx.post(
        services.url("webhooks", "/webhooks/shopify"),
        content=delivery.body,
        headers=dict(delivery.headers),
    )
    assert reply.status_code == 200, reply.text
    ref = f"shopify:{order.id}"

    def confirmed() -> bool:
        found = services.odoo.search_read(
            "sale.order", [("client_order_ref", "=", ref), ("state", "=", "sale")], ["id"]
        )
        return bool(found)

    wait(confirmed, f"{ref} to be a confirmed Odoo order")
    wait(
        lambda: "odoo-orders" in _counted_ok(services),
        "odoo-orders to count the order in its metrics",
    )
    # The consumer needed the address and phone: they are in Odoo, so the probe values did
    # travel through every log-writing step.
    [partner] = services.odoo.search_read("res.partner", [("street", "=", STREET)], ["phone"])
    assert partner["phone"] == PHONE

    lines = services.log_lines()
    assert lines
    for line in lines:
        for value in PERSONAL:
            assert value not in line, f"personal data in a log line: {line}"
    for line in lines:
        if line.startswith("{"):
            assert {"time", "level", "logger", "message", "service"} <= json.loads(line).keys()
    for name, _ in SERVICES:
        page = httpx.get(services.url(name, "/metrics")).text
        for value in PERSONAL:
            assert value not in page, f"personal data in the metrics of {name}"


def test_an_order_that_does_not_add_up_is_counted_and_flagged_in_odoo(
    services: Services,
) -> None:
    wait_ready(services)
    order = services.shop.store.place_order([(SKUS[1], 1, "19.90")])
    payload = order_payload(order)
    # A tip: in the total, and nowhere the mapping reads.
    tipped = Decimal(payload["total_price"]) + Decimal("2.00")
    payload |= {"total_price": str(tipped), "total_tip_received": "2.00"}
    delivery = shopify_delivery(
        "orders/create", payload, secret=SECRET, shop_domain=services.shop.shop_domain
    )
    reply = httpx.post(
        services.url("webhooks", "/webhooks/shopify"),
        content=delivery.body,
        headers=dict(delivery.headers),
    )
    assert reply.status_code == 200, reply.text
    ref = f"shopify:{order.id}"

    def tagged() -> bool:
        found = services.odoo.search_read(
            "sale.order", [("client_order_ref", "=", ref), ("state", "=", "sale")], ["tag_ids"]
        )
        return bool(found and found[0]["tag_ids"])

    wait(tagged, f"{ref} to be a confirmed Odoo order flagged for finance")
    differences = httpx.get(services.url("webhooks", "/metrics")).text
    assert re.search(
        r'retailsync_commerce_mapping_differences_total\{[^}]*platform="SHOPIFY"[^}]*\} [1-9]',
        differences,
    )
    # Counted as the receiver hands events to its producer (an observable counter).
    assert re.search(
        r'retailsync_events_published_total\{[^}]*event_type="order_created"[^}]*\} [1-9]',
        differences,
    )
    flagged = httpx.get(services.url("odoo-orders", "/metrics")).text
    assert re.search(
        r'retailsync_odoo_orders_flagged_total\{[^}]*reason="mapping_difference"[^}]*\} [1-9]',
        flagged,
    )


def _counted_ok(services: Services) -> set[str]:
    found = set()
    for name in CONSUMER_SERVICES:
        page = httpx.get(services.url(name, "/metrics")).text
        if re.search(
            r'retailsync_consumer_events_total\{[^}]*event_type="order_created"'
            r'[^}]*outcome="ok"[^}]*\} [1-9]',
            page,
        ):
            found.add(name)
    return found


def test_sigterm_ends_every_service_cleanly_within_the_grace_period(services: Services) -> None:
    wait_ready(services)
    for process in services.processes.values():
        process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + GRACE_S
    for name, process in services.processes.items():
        code = process.wait(max(0.1, deadline - time.monotonic()))
        assert code == 0, f"{name} exited with {code}:\n" + "\n".join(services.log_lines()[-30:])
