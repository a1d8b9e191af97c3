"""``retailsync run``: the whole pipeline on this machine, on the embedded defaults.

Whatever is not configured is started here: a local Kafka broker (no
RETAILSYNC_BOOTSTRAP_SERVERS), the sandbox Odoo (no RETAILSYNC_ODOO_URL) and the sandbox
storefront (no RETAILSYNC_STOREFRONT_URL). Then topology.yaml is applied and every producer
and consumer service runs as its own process, as its container would in production, until
Ctrl-C or SIGTERM. With both sandboxes, traffic flows through them (commands/traffic.py).
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Annotated

import httpx
import typer
from confluent_kafka.admin import AdminClient

from commands.services import CONSUMER_SERVICES, PRODUCER_SERVICES
from commands.traffic import SKUS, Traffic, seed_odoo
from retailsync.broker import LocalCluster
from retailsync.errors import RetailsyncError
from retailsync.odoo import OdooClient
from retailsync.settings import Settings, load_settings
from retailsync.topology import load_topology
from retailsync.topology.apply import apply_plan
from retailsync.topology.plan import make_plan, read_cluster
from sandbox.odoo import SandboxOdoo
from sandbox.storefront import SandboxStorefront

SERVICES = (
    *((name, ("serve", name)) for name in PRODUCER_SERVICES),
    *((name, ("consume", name)) for name in CONSUMER_SERVICES),
)
_STOP_TIMEOUT_S = 30.0
_READY_TIMEOUT_S = 60.0


@dataclass
class _Started:
    """What this run started, and the settings that point the services at it."""

    variables: dict[str, str] = field(default_factory=dict)
    odoo: SandboxOdoo | None = None
    shop: SandboxStorefront | None = None


def run(
    traffic: Annotated[bool, typer.Option(help="Send orders through the sandboxes")] = True,
    orders: Annotated[int, typer.Option(help="Stop sending after this many orders (0: never)")] = 0,
    interval: Annotated[float, typer.Option(help="Seconds between orders")] = 5.0,
) -> None:
    """Run the whole pipeline until Ctrl-C, starting Kafka and the sandboxes if not configured."""
    settings = load_settings()
    topology = load_topology(settings.topology_file)
    stop = threading.Event()
    with ExitStack() as stack, _stop_on_signals(stop):
        started = _start_missing(settings, stack)
        settings = _with_variables(started.variables)
        admin = AdminClient(settings.admin_config())
        plan = make_plan(topology, read_cluster(admin, topology.namespace))
        apply_plan(admin, topology, plan, report=typer.echo)
        typer.echo(plan.summary())
        children = {
            name: _spawn(command, {**os.environ, **started.variables}) for name, command in SERVICES
        }
        stack.callback(_terminate, children)
        typer.echo(f"running {', '.join(children)}; Ctrl-C stops them")
        generator = _traffic(settings, started, stack) if traffic else None
        sent = 0
        while not stop.wait(interval if generator is not None else 1.0):
            _check_alive(children)
            if generator is not None:
                if not orders or sent < orders:
                    generator.place_order()
                    sent += 1
                generator.ship_confirmed()


def _start_missing(settings: Settings, stack: ExitStack) -> _Started:
    started = _Started()
    if "bootstrap_servers" not in settings.model_fields_set:
        port = int(settings.bootstrap_servers.rpartition(":")[2])
        cluster = LocalCluster(settings.broker_data_dir, cache_dir=settings.cache_dir, port=port)
        cluster.start()
        typer.echo(f"Kafka is up at {cluster.bootstrap_servers}; `retailsync broker stop` ends it")
        started.variables["RETAILSYNC_BOOTSTRAP_SERVERS"] = cluster.bootstrap_servers
    if settings.odoo_url is None:
        started.odoo = stack.enter_context(SandboxOdoo.running())
        started.variables |= {
            "RETAILSYNC_ODOO_URL": started.odoo.url,
            "RETAILSYNC_ODOO_DB": started.odoo.db,
            "RETAILSYNC_ODOO_PROTOCOL": "json2",
            "RETAILSYNC_ODOO_API_KEY": started.odoo.api_key,
        }
        typer.echo(f"sandbox Odoo at {started.odoo.url} (database {started.odoo.db})")
    if settings.storefront_url is None:
        started.shop = stack.enter_context(SandboxStorefront.running(skus=SKUS))
        started.variables |= {
            "RETAILSYNC_STOREFRONT_URL": started.shop.url,
            "RETAILSYNC_STOREFRONT_ACCESS_TOKEN": started.shop.access_token,
            "RETAILSYNC_STOREFRONT_LOCATIONS": json.dumps(started.shop.locations),
        }
        typer.echo(f"sandbox storefront at {started.shop.url}")
    if settings.shopify_webhook_secrets is None:
        # A secret for this run only, shared by the receiver and the traffic generator.
        started.variables["RETAILSYNC_SHOPIFY_WEBHOOK_SECRETS"] = secrets.token_hex(32)
    return started


def _with_variables(variables: dict[str, str]) -> Settings:
    """The settings as the services will read them, from the environment plus ``variables``."""
    saved = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        return load_settings()
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _traffic(settings: Settings, started: _Started, stack: ExitStack) -> Traffic | None:
    if started.odoo is None or started.shop is None or settings.shopify_webhook_secrets is None:
        return None  # traffic only goes through systems this run owns
    odoo = stack.enter_context(OdooClient.from_settings(settings))
    seed_odoo(odoo)
    base = f"http://{settings.webhook_host}:{settings.webhook_port}"
    _wait_ready(f"{base}/readyz")
    receiver = f"{base}/webhooks/shopify"
    secret = settings.shopify_webhook_secrets.get_secret_value().split(",")[0]
    typer.echo(f"traffic: orders through {receiver}, shipments out of the sandbox Odoo")
    return Traffic(started.shop, odoo, receiver, secret, channel=settings.shopify_channel)


def _wait_ready(url: str) -> None:
    """Wait until the receiver answers ready: orders sent before would only be retried."""
    deadline = time.monotonic() + _READY_TIMEOUT_S
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).is_success:
                return
        except httpx.TransportError:
            pass  # not listening yet
        time.sleep(0.2)
    raise RetailsyncError(f"the webhook receiver was not ready at {url} in {_READY_TIMEOUT_S:.0f}s")


def _spawn(command: tuple[str, ...], environment: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "commands", *command], env=environment, stdin=subprocess.DEVNULL
    )


def _check_alive(children: dict[str, subprocess.Popen[bytes]]) -> None:
    for name, child in children.items():
        if child.poll() is not None:
            raise RetailsyncError(f"{name} exited with code {child.returncode}; see its log above")


def _terminate(children: dict[str, subprocess.Popen[bytes]]) -> None:
    for child in children.values():
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    for child in children.values():
        try:
            child.wait(_STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


@contextmanager
def _stop_on_signals(stop: threading.Event) -> Iterator[None]:
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    for sig in previous:
        signal.signal(sig, lambda _signum, _frame: stop.set())
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
