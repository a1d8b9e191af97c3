"""The pipeline as ``retailsync run`` wires it, with handles for faults: the sandboxes in this
process (their fault switches at hand), every service its own ``python -m commands``
process with a stable instance id, killable and restartable, and the traffic in a thread."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from confluent_kafka.admin import AdminClient
from pydantic import SecretStr

from commands.run import SERVICES
from commands.services import CONSUMER_SERVICES
from commands.traffic import SKUS, STOCK, Traffic, seed_odoo
from consumers.odoo_orders.settings import OrdersSettings
from consumers.storefront_inventory.settings import InventorySettings
from producers.commerce import WebhookSettings
from retailsync.broker import free_port_block
from retailsync.errors import RetailsyncError
from retailsync.events import load_catalogue
from retailsync.odoo import OdooClient, OdooSettings
from retailsync.serde import EventSerde, SingleObjectSerde
from retailsync.settings import load_settings
from retailsync.storefront import StorefrontSettings
from retailsync.topology import load_topology
from retailsync.topology.apply import apply_plan
from retailsync.topology.plan import make_plan, read_cluster
from sandbox.odoo import SandboxOdoo
from sandbox.storefront import SandboxStorefront, WebhookEmitter
from tests.faults.history import Verdict, check_effects, check_levels
from tests.integration.harness import Pipeline
from tests.integration.late_commit_proxy import LateCommitProxy

ROOT = Path(__file__).parents[2]
SECRET = "fault-suite-shopify-secret"
# Shopify's retry schedule, 4 hours in 144 s: a receiver restart is well inside it.
WEBHOOK_SPEEDUP = 100.0


def wait_for(condition: Callable[[], bool], what: str, timeout_s: float) -> float:
    """Seconds until ``condition`` held; AssertionError naming ``what`` after ``timeout_s``."""
    start = time.monotonic()
    while not condition():
        assert time.monotonic() - start < timeout_s, f"timed out after {timeout_s:.0f}s: {what}"
        time.sleep(0.1)
    return time.monotonic() - start


def process_start_s() -> float:
    """How long a service process takes to import the CLI on this machine now: the part of
    a restart that no group protocol can shorten."""
    start = time.monotonic()
    subprocess.run(
        [sys.executable, "-m", "commands", "--help"],
        check=True, cwd=ROOT, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    return time.monotonic() - start


@dataclass
class Stack:
    odoo: SandboxOdoo
    shop: SandboxStorefront
    odoo_client: OdooClient
    environment: dict[str, str]
    log_dir: Path
    receiver: str
    kafka: Pipeline  # the topology, and readers of its topics
    http_ports: dict[str, int]
    # In front of the sandbox Odoo for odoo-orders: its first order write commits late.
    late_commit: LateCommitProxy
    services: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    restarts: Counter[str] = field(default_factory=Counter)

    def start(self, name: str) -> None:
        command = dict(SERVICES)[name]
        with (self.log_dir / f"{name}.log").open("ab") as log:  # the child keeps its own copy
            self.services[name] = subprocess.Popen(
                [sys.executable, "-m", "commands", *command],
                env={
                    **self.environment,
                    "RETAILSYNC_INSTANCE_ID": f"{name}-0",
                    # Each its own health and metrics port, as `retailsync run` gives them.
                    "RETAILSYNC_HTTP_PORT": str(self.http_ports[name]),
                    **(
                        {"RETAILSYNC_ODOO_URL": self.late_commit.url}
                        if name == "odoo-orders"
                        else {}
                    ),
                },
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT,
            )  # fmt: skip

    def kill(self, name: str) -> None:
        """SIGKILL ``name`` and start it again at once, as a supervisor would."""
        process = self.services[name]
        process.send_signal(signal.SIGKILL)
        process.wait()
        self.restarts[name] += 1
        self.start(name)

    def dead(self) -> dict[str, int]:
        """The services that exited on their own, with their exit codes."""
        return {
            name: code
            for name, process in self.services.items()
            if (code := process.poll()) is not None
        }

    def assignments(self, name: str) -> int:
        """How many times ``name`` logged that it was assigned partitions."""
        log = (self.log_dir / f"{name}.log").read_text(errors="replace")
        return sum(f"{name} assigned " in line for line in log.splitlines())

    def log_tail(self, name: str, lines: int = 30) -> str:
        return "\n".join(
            (self.log_dir / f"{name}.log").read_text(errors="replace").splitlines()[-lines:]
        )

    def ready(self) -> bool:
        try:
            return httpx.get(f"{self.receiver}/readyz", timeout=2).is_success
        except httpx.TransportError:
            return False

    # What each sink applied -------------------------------------------------------------

    def odoo_orders(self) -> Counter[str]:
        rows = self.odoo_client.search_read(
            "sale.order", [("client_order_ref", "like", "shopify:%")], ["client_order_ref"]
        )
        return Counter(str(row["client_order_ref"]) for row in rows)

    def fulfilments(self) -> Counter[str]:
        with self.shop.store.locked() as store:
            return Counter(
                {
                    f"shopify:{order.id}": len(order.fulfilments)
                    for order in store.orders.values()
                    if order.fulfilments
                }
            )

    def levels_set(self) -> dict[str, list[int]]:
        """Units sold per sku@location as the storefront's available levels said, in order."""
        levels: dict[str, list[int]] = {}
        with self.shop.store.locked() as store:
            for sku, location, name, quantity in store.quantities_set:
                if name == "available":
                    levels.setdefault(f"{sku}@{location}", []).append(STOCK - quantity)
        return levels

    def units_sold(self) -> dict[str, int]:
        """Units sold per sku@location, from the storefront's own orders."""
        [location] = self.shop.locations.values()
        sold = dict.fromkeys((f"{sku}@{location}" for sku in SKUS), 0)
        with self.shop.store.locked() as store:
            for order in store.orders.values():
                for line in order.lines:
                    sold[f"{line.sku}@{location}"] += line.quantity
        return {key: units for key, units in sold.items() if units}

    def dead_letter_topics(self) -> list[str]:
        """The dead-letter topics of the consumer services running here."""
        groups = [self.kafka.topology.consumer(name) for name in CONSUMER_SERVICES]
        return [group.dead_letter_topic(topic) for group in groups for topic in group.subscriptions]

    def dead_lettered(self) -> int:
        return sum(self.kafka.size(topic) for topic in self.dead_letter_topics())

    def verdict(self, placed: list[str], shipped: set[str]) -> Verdict:
        orders = self.odoo_orders()
        fulfilled = self.fulfilments()
        # Each order is one effect per sink: its order in Odoo, its fulfilment once shipped.
        on_odoo = check_effects(
            {ref: [1] for ref in placed}, {ref: [1] * n for ref, n in orders.items()}
        )
        on_shop = check_effects(
            {ref: [1] for ref in shipped}, {ref: [1] * n for ref, n in fulfilled.items()}
        )
        return on_odoo.add(on_shop).add(check_levels(self.units_sold(), self.levels_set()))


@dataclass
class Load:
    """Steady traffic: an order every ``interval_s``, shipments as Odoo confirms them."""

    traffic: Traffic
    interval_s: float = 0.4
    placing: threading.Event = field(default_factory=threading.Event)
    stopped: threading.Event = field(default_factory=threading.Event)
    errors: Counter[str] = field(default_factory=Counter)

    def run(self) -> None:
        while not self.stopped.wait(self.interval_s):
            if self.placing.is_set():
                self.traffic.place_order()
            try:
                self.traffic.ship_confirmed()
            except (RetailsyncError, httpx.HTTPError) as error:  # Odoo faulted: ship later
                self.errors[type(error).__name__] += 1


@contextmanager
def running_stack(bootstrap: str, namespace: str, tmp_path: Path) -> Iterator[Stack]:
    topology_file = tmp_path / "topology.yaml"
    text = (ROOT / "topology.yaml").read_text().replace("retail", namespace)
    topology_file.write_text(text)
    core = load_settings(bootstrap_servers=bootstrap, topology_file=topology_file)
    admin = AdminClient(core.admin_config())
    topology = load_topology(topology_file)
    apply_plan(admin, topology, make_plan(topology, read_cluster(admin, topology.namespace)))
    serde = EventSerde(SingleObjectSerde(load_catalogue(ROOT / "schemas")))
    kafka = Pipeline(text, core, topology, admin, serde)
    with ExitStack() as stack:
        odoo = stack.enter_context(SandboxOdoo.running())
        shop = stack.enter_context(SandboxStorefront.running(skus=SKUS))
        odoo_settings = OdooSettings(
            odoo_url=odoo.url, odoo_db=odoo.db, odoo_protocol="json2",
            odoo_api_key=SecretStr(odoo.api_key), odoo_timeout_s=10,
        )  # fmt: skip
        odoo_client = stack.enter_context(OdooClient.from_settings(odoo_settings))
        seed_odoo(odoo_client)
        port = free_port_block(2)
        parts = (
            core,
            odoo_settings,
            StorefrontSettings(**shop.settings()),
            InventorySettings(storefront_locations=dict(shop.locations)),
            WebhookSettings(shopify_webhook_secrets=SecretStr(SECRET), webhook_port=port),
            # The sandbox's orders are test orders: apply them, as `retailsync run` does.
            OrdersSettings(odoo_orders_apply_test_orders=True),
        )
        environment = {k: v for k, v in os.environ.items() if not k.startswith("RETAILSYNC_")}
        for part in parts:
            environment |= part.environment()
        environment |= {
            "RETAILSYNC_SCHEMAS_DIR": str(ROOT / "schemas"),
            "RETAILSYNC_ODOO_CHECKPOINT_TOPIC": f"{namespace}.odoo-changes.checkpoints",
            "RETAILSYNC_ODOO_PRODUCER_ID": f"odoo-changes-{namespace}",
            "RETAILSYNC_ODOO_POLL_INTERVAL_S": "1",
            "RETAILSYNC_ODOO_TRIGGER_PORT": str(port + 1),
        }
        late_commit = stack.enter_context(LateCommitProxy.running(odoo.url))
        first_http_port = free_port_block(len(SERVICES))
        http_ports = {name: first_http_port + n for n, (name, _) in enumerate(SERVICES)}
        environment["RETAILSYNC_INGEST_PORT"] = str(http_ports["ingest"])
        pipeline = Stack(
            odoo, shop, odoo_client, environment, tmp_path, f"http://127.0.0.1:{port}", kafka,
            http_ports, late_commit,
        )  # fmt: skip
        for name, _ in SERVICES:
            pipeline.start(name)
        try:
            yield pipeline
        finally:
            for process in pipeline.services.values():
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)
            for process in pipeline.services.values():
                try:
                    process.wait(30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


def load_on(stack: Stack, exit_stack: ExitStack) -> Load:
    emitter = exit_stack.enter_context(
        WebhookEmitter(f"{stack.receiver}/webhooks/shopify", speedup=WEBHOOK_SPEEDUP)
    )
    load = Load(Traffic(stack.shop, stack.odoo_client, emitter, SECRET))
    thread = threading.Thread(target=load.run, name="fault-suite-load", daemon=True)
    thread.start()
    exit_stack.callback(thread.join, 30)
    exit_stack.callback(load.stopped.set)
    return load
