"""Which files one storefront order crosses, from the webhook to a confirmed Odoo order.

Runs the real path on this machine (a local Kafka broker, the sandbox Odoo, the webhook
receiver and the odoo-orders service) with a profile hook that notes, for every call and
return, the project file the running code is in. It prints the order's route through the
code: the files it enters (runtime, producers and consumers; the standard library and
third-party code are left out), how many distinct files that is, and how many times it
returns to a file it had already left. Fewer returns is a house where the data travels
one way.

    python -m bench.order_path
"""

from __future__ import annotations

import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

import httpx
from confluent_kafka.admin import AdminClient
from pydantic import SecretStr

from commands.traffic import seed_odoo
from consumers.odoo_orders import make_service
from consumers.odoo_orders.settings import OrdersSettings
from producers.commerce import WebhookSettings, receiver_app
from retailsync.broker import LocalCluster, free_port_block
from retailsync.consumer import ServiceRunner
from retailsync.events import default_schemas_dir, load_catalogue
from retailsync.odoo import OdooClient, OdooSettings
from retailsync.serde import EventSerde, serde_for
from retailsync.settings import load_settings
from retailsync.topology import load_topology
from retailsync.topology.apply import apply_plan
from retailsync.topology.plan import make_plan, read_cluster
from sandbox.http import LoopbackServer
from sandbox.odoo import SandboxOdoo
from sandbox.storefront import SandboxStorefront, shopify_delivery
from sandbox.storefront.payloads import order_payload

ROOT = Path(__file__).resolve().parents[1]
TRACED = tuple(str(ROOT / package) + "/" for package in ("retailsync", "producers", "consumers"))
# Where the runner's producer flush lives (retailsync/delivery.py before the Kafka wrapper).
FLUSHED_IN = ("retailsync/kafka/producer.py", "retailsync/delivery.py")
SECRET = "order-path-secret"


def _applying_test_orders() -> OrdersSettings:
    return OrdersSettings(odoo_orders_apply_test_orders=True)


@dataclass
class Route:
    """The project files one thread was in, in order, repeats folded."""

    files: list[str] = field(default_factory=list)

    def enter(self, path: str) -> None:
        if not self.files or self.files[-1] != path:
            self.files.append(path)

    def returns(self) -> int:
        seen: set[str] = set()
        again = 0
        for path in self.files:
            again += path in seen
            seen.add(path)
        return again


class Tracer:
    """A profile hook: per thread, the project files its code runs in."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.on = False

    def __call__(self, frame: FrameType, event: str, _arg: Any) -> None:
        if not self.on or event not in ("call", "return"):
            return
        place = frame if event == "call" else frame.f_back
        if place is None:
            return
        path = place.f_code.co_filename
        if path.startswith(TRACED):
            name = threading.current_thread().name
            self.routes.setdefault(name, Route()).enter(str(Path(path).relative_to(ROOT)))

    @contextmanager
    def installed(self) -> Iterator[None]:
        sys.setprofile(self)
        threading.setprofile(self)
        try:
            yield
        finally:
            threading.setprofile(None)
            sys.setprofile(None)


def handling(route: Route) -> list[str]:
    """The part of a consumer thread's route that handled the order: from the batch that
    reached the service's handlers to the flush that ends it."""
    files = route.files
    handler = next(i for i, path in enumerate(files) if path.startswith("consumers/"))
    # The batch begins where the runner turned the consumed messages into records.
    start = max(
        i
        for i in range(1, handler)
        if files[i] == "retailsync/consumer/record.py"
        and files[i - 1] == "retailsync/consumer/runner.py"
    )
    start -= 1
    # It ends where the runner flushes its producer, before storing the offsets.
    end = next(i for i in range(handler, len(files)) if files[i] in FLUSHED_IN)
    return files[start : end + 1]


def report(title: str, files: list[str]) -> tuple[int, int]:
    route = Route()
    for path in files:
        route.enter(path)
    print(f"{title}: {len(route.files)} stops, {len(set(route.files))} files, "
          f"{route.returns()} returns to a file already left")  # fmt: skip
    print("  " + " -> ".join(route.files))
    return len(set(route.files)), route.returns()


def main() -> None:
    tracer = Tracer()
    with (
        tempfile.TemporaryDirectory(prefix="retailsync-path-") as scratch,
        tracer.installed(),
    ):
        cluster = LocalCluster(
            Path(scratch), cache_dir=load_settings().cache_dir, port=free_port_block(2)
        )
        with cluster.running(), SandboxOdoo.running() as odoo, SandboxStorefront.running() as shop:
            settings = load_settings(bootstrap_servers=cluster.bootstrap_servers)
            topology = load_topology(ROOT / "topology.yaml")
            admin = AdminClient(settings.admin_config())
            apply_plan(admin, topology, make_plan(topology, read_cluster(admin, "retail")))
            serde = EventSerde(
                serde_for(
                    settings, load_catalogue(default_schemas_dir(ROOT / "topology.yaml")), topology
                )
            )
            odoo_settings = OdooSettings(
                odoo_url=odoo.url, odoo_db=odoo.db, odoo_api_key=SecretStr(odoo.api_key)
            )
            webhook = WebhookSettings(shopify_webhook_secrets=SecretStr(SECRET))
            receiver = LoopbackServer(
                receiver_app(settings, webhook, topology, serde), name="receiver", lifespan="on"
            )
            with OdooClient.from_settings(odoo_settings) as client, receiver.running():
                seed_odoo(client)
                order = shop.store.place_order([("DEMO-001", 2, "19.90")])
                delivery = shopify_delivery(
                    "orders/create", order_payload(order), secret=SECRET,
                    shop_domain=shop.shop_domain,
                )  # fmt: skip
                # The sandbox's orders are test orders: applied, as `retailsync run` does.
                service = make_service(lambda: client, settings=_applying_test_orders)
                runner = ServiceRunner(service, settings, topology, serde)
                consumer = threading.Thread(target=runner.run, name="odoo-orders")
                tracer.on = True
                answer = httpx.post(
                    f"{receiver.url}/webhooks/shopify",
                    content=delivery.body,
                    headers=dict(delivery.headers),
                    timeout=30,
                )
                consumer.start()
                ref = f"shopify:{order.id}"
                deadline = time.monotonic() + 120
                while not client.search_count(
                    "sale.order", [("client_order_ref", "=", ref), ("state", "=", "sale")]
                ):
                    if time.monotonic() > deadline:
                        raise SystemExit(f"{ref} was not confirmed in Odoo within 120 s")
                    time.sleep(0.2)
                tracer.on = False
                runner.stop()
                consumer.join()
    print(f"webhook answered {answer.status_code}; {ref} is a confirmed Odoo order")
    webhook_route = next(
        route for route in tracer.routes.values()
        if "producers/commerce/app.py" in route.files
    )  # fmt: skip
    files_in, returns_in = report("webhook -> Kafka", webhook_route.files)
    files_out, returns_out = report("Kafka -> Odoo", handling(tracer.routes["odoo-orders"]))
    print(f"in all: {files_in + files_out} files crossed, {returns_in + returns_out} returns")


if __name__ == "__main__":
    main()
