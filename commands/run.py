"""``retailsync run``: the whole pipeline on this machine, on the embedded defaults.

Whatever is not configured is started here: a local Kafka broker (no
RETAILSYNC_BOOTSTRAP_SERVERS), the sandbox Odoo (no RETAILSYNC_ODOO_URL) and the sandbox
storefront (no RETAILSYNC_STOREFRONT_URL), with a sandbox SFCC site and a sandbox
WooCommerce shop beside it (no RETAILSYNC_CHANNELS_FILE). Then topology.yaml is applied and
every producer and consumer service runs as its own process, as its container would in
production, until Ctrl-C or SIGTERM; one that exits is restarted with a backoff, as its
container would be.
With both sandboxes, traffic flows through them (commands/traffic.py). In a terminal the run
shows a live view of the pipeline (commands/live.py) and writes the log lines to a file;
otherwise (CI, a pipe, ``--no-live``) it prints them.
"""

from __future__ import annotations

import os
import secrets
import sys
import tempfile
import threading
import time
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Annotated

import httpx
import typer
import yaml
from confluent_kafka.admin import AdminClient
from pydantic import SecretStr

from commands.drift import OrderDifference, order_drift
from commands.live import LiveStatus, shown
from commands.operating import Operator
from commands.reconcile import finance_of
from commands.reconciler import Drift, Window
from commands.report import DayActivity, RunReport, scrape
from commands.services import CHANNEL_PRODUCER_SERVICES, CONSUMER_SERVICES, PRODUCER_SERVICES
from commands.status import gather
from commands.supervise import TEND_INTERVAL_S, Supervisor, stop_on_signals
from commands.traffic import SKUS, Traffic, WooTraffic, plan_day, seed_odoo
from consumers.odoo_orders.settings import OrdersSettings
from consumers.storefront_inventory.drift import StockDifference, stock_drift
from consumers.storefront_inventory.settings import InventorySettings
from producers.commerce import WebhookSettings
from producers.ingest import IngestSettings
from retailsync.broker import LocalCluster
from retailsync.channels import Channel, ChannelSettings, default_channel, load_channels_file
from retailsync.errors import RetailsyncError
from retailsync.odoo import OdooClient, OdooSettings
from retailsync.operate.dead_letters import dead_letters, summarize
from retailsync.operate.lag import group_lag
from retailsync.operate.reader import TopicReader
from retailsync.operate.settings import OperateSettings
from retailsync.settings import ENV_PREFIX, Settings, load_settings, registered_parts
from retailsync.storefront import StorefrontSettings
from retailsync.topology import Topology, load_topology
from retailsync.topology.apply import apply_plan
from retailsync.topology.plan import make_plan, read_cluster
from sandbox.odoo import SandboxOdoo
from sandbox.sfcc import SandboxSfcc
from sandbox.storefront import WOOCOMMERCE_RETRIES, SandboxStorefront, WebhookEmitter
from sandbox.woocommerce import SandboxWooCommerce

_SETTLE_POLL_S = 2.0
# The sandbox SFCC site's channel name, the channel part of its orders' refs.
SFCC_CHANNEL = "sfcc"
SFCC_INVENTORY_LIST = "inventory"
SFCC_LIST_PRICE_BOOK = "usd-list-prices"  # Odoo's list prices, as a merchant would name it
SERVICES = (
    *((name, ("serve", name)) for name in PRODUCER_SERVICES),
    *((name, ("consume", name)) for name in CONSUMER_SERVICES),
)
_READY_TIMEOUT_S = 60.0
# The live view judges only orders older than this: younger ones may still be on their way.
_ORDERS_IN_FLIGHT_S = 120.0


@dataclass
class _Wiring:
    """The settings every service gets, and the stand-ins this run started for them."""

    core: Settings
    odoo: OdooSettings
    storefront: StorefrontSettings
    inventory: InventorySettings
    webhook: WebhookSettings
    orders: OrdersSettings
    channels: ChannelSettings
    sandbox_odoo: SandboxOdoo | None = None
    sandbox_shop: SandboxStorefront | None = None
    sandbox_sfcc: SandboxSfcc | None = None
    sandbox_woo: SandboxWooCommerce | None = None
    # Credentials the channels file names by reference, for the services' environment.
    secrets: dict[str, str] = field(default_factory=dict)

    def services(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """Every service this run starts: the SFCC order export too with an SFCC channel."""
        if self.sandbox_sfcc is None:
            return SERVICES
        return (*SERVICES, *((name, ("serve", name)) for name in CHANNEL_PRODUCER_SERVICES))

    def environment(self) -> dict[str, str]:
        """The RETAILSYNC_ variables a service process is started with: these settings,
        handed over explicitly rather than re-read from an edited environment."""
        variables = {
            name: value for name, value in os.environ.items() if not name.startswith(ENV_PREFIX)
        }
        wired = (
            self.core,
            self.odoo,
            self.storefront,
            self.inventory,
            self.webhook,
            self.orders,
            self.channels,
        )
        # The other parts' settings go to the services as the operator gave them.
        others = [part.load() for part in registered_parts() if part not in map(type, wired)]
        for part in (*wired, *others):
            variables |= part.environment()
        return variables | self.secrets


def run(
    *,
    traffic: Annotated[bool, typer.Option(help="Send orders through the sandboxes")] = True,
    orders: Annotated[
        int,
        typer.Option(
            help="Place this many orders, wait for the pipeline to settle, print the report and "
            "exit: 0 when Odoo and the channels agree (0: run until Ctrl-C)"
        ),
    ] = 0,
    interval: Annotated[float, typer.Option(help="Seconds between orders")] = 5.0,
    webhook_speedup: Annotated[
        float,
        typer.Option(help="Run the storefront's webhook retry schedule this many times faster"),
    ] = 1.0,
    settle_timeout: Annotated[
        float, typer.Option(help="Seconds a bounded run waits for the pipeline to settle")
    ] = 300.0,
    outage: Annotated[
        float,
        typer.Option(
            help="Seconds the sandbox Odoo answers 503 in the middle of a bounded run (0: none)"
        ),
    ] = 60.0,
    seed: Annotated[int, typer.Option(help="Seed of a bounded run's retail day")] = 7,
    report_dir: Annotated[
        Path | None,
        typer.Option(help="Where a bounded run writes its report [default: .retailsync/reports]"),
    ] = None,
    live: Annotated[
        bool,
        typer.Option(
            help="In a terminal, show a live view of the pipeline and write the log lines to "
            ".retailsync/logs/ (without a terminal they are printed)"
        ),
    ] = True,
) -> None:
    """Run the whole pipeline until Ctrl-C, starting Kafka and the sandboxes if not configured."""
    wiring = _Wiring(
        core=load_settings(),
        odoo=OdooSettings.load(),
        storefront=StorefrontSettings.load(),
        inventory=InventorySettings.load(),
        webhook=WebhookSettings.load(),
        orders=OrdersSettings.load(),
        channels=ChannelSettings.load(),
    )
    topology = load_topology(wiring.core.topology_file)
    stop = threading.Event()
    started = datetime.now(UTC)
    report: RunReport | None = None
    with ExitStack() as stack, stop_on_signals(stop):
        _start_missing(wiring, stack)
        admin = AdminClient(wiring.core.admin_config())
        plan = make_plan(topology, read_cluster(admin, topology.namespace))
        apply_plan(admin, topology, plan, report=typer.echo)
        typer.echo(plan.summary())
        environment = wiring.environment()
        log = _log_file(wiring, started, stack) if live and sys.stdout.isatty() else None
        # A stable instance id per service process (static membership), as a StatefulSet or
        # a supervisor's slot gives: a restarted service takes its partitions back at once.
        supervisor = Supervisor(
            {
                name: (
                    command,
                    {
                        **environment,
                        "RETAILSYNC_INSTANCE_ID": f"{name}-0",
                        **_http_port(wiring.core, name),
                    },
                )
                for name, command in wiring.services()
            },
            output=log,
        )
        stack.callback(supervisor.terminate)
        view = stack.enter_context(ExitStack())  # the live view, closed before the report
        if log is not None:
            view.enter_context(shown(_live_status(wiring, topology, supervisor, log), log))
        typer.echo(f"running {', '.join(name for name, _ in wiring.services())}; Ctrl-C stops them")
        generator = _traffic(wiring, stack, webhook_speedup) if traffic else None
        if generator is not None and orders:
            # A bounded run sends a retail day: the same one for the same seed.
            generator.day = plan_day(
                orders,
                seed=seed,
                sfcc=generator.sfcc is not None,
                woocommerce=generator.woocommerce is not None,
                outage_s=outage,
            )
        sent = 0
        next_tick = time.monotonic()
        while not stop.wait(TEND_INTERVAL_S):
            supervisor.tend()
            if generator is None or time.monotonic() < next_tick:
                continue
            next_tick += interval
            place = not orders or sent < orders
            generator.step(place=place)
            sent += place
            if orders and sent >= orders and generator.done():
                break
        if orders and generator is not None and not stop.is_set():
            report = _settle(
                wiring,
                topology,
                supervisor=supervisor,
                generator=generator,
                started=started,
                stop=stop,
                timeout_s=settle_timeout,
            )
            view.close()
            for line in report.lines():
                typer.echo(line)
            as_json, as_html = report.write(
                report_dir or wiring.core.broker_data_dir.parent / "reports"
            )
            typer.echo(f"report written to {as_json} and {as_html}")
    if report is not None and not report.reconciled:
        raise typer.Exit(1)


def _settle(
    wiring: _Wiring,
    topology: Topology,
    *,
    supervisor: Supervisor,
    generator: Traffic,
    started: datetime,
    stop: threading.Event,
    timeout_s: float,
) -> RunReport:
    """Wait until every running group has caught up with nothing parked and Odoo and the
    channels agree, or ``timeout_s``; then gather the report."""
    typer.echo(
        f"{len(generator.placed)} orders placed and shipped or cancelled; "
        "waiting for the pipeline to settle"
    )
    groups = [topology.consumer(name) for name in CONSUMER_SERVICES if name in topology.consumers]
    channels = _channels(wiring)
    deadline = time.monotonic() + timeout_s
    admin = AdminClient(wiring.core.admin_config())
    settled = False
    stock: list[StockDifference] = []
    orders: list[OrderDifference] = []
    with TopicReader(wiring.core) as reader, OdooClient.from_settings(wiring.odoo) as odoo:
        while not settled and time.monotonic() < deadline and not stop.is_set():
            supervisor.tend()
            lags = [lag for group in groups for lag in group_lag(reader, admin, group)]
            # Refunds made since are told to the pipeline as Shopify tells them.
            generator.step(place=False)
            caught_up = all(lag.lag == 0 and not lag.parked.records for lag in lags)
            if caught_up and not generator.awaiting_refunds():
                stock, orders = _drift(wiring, odoo, channels, settled_before=datetime.now(UTC))
                settled = not stock and not orders
            if not settled:
                stop.wait(_SETTLE_POLL_S)
        started_ms = int(started.timestamp() * 1000)
        dead = [
            record
            for group in groups
            for record in dead_letters(reader, group)
            if record.timestamp_ms >= started_ms
        ]
    return RunReport(
        started_at=started,
        ended_at=datetime.now(UTC),
        settled=settled,
        orders=dict(Counter(ref.partition(":")[0] for ref in generator.placed)),
        services={
            name: scrape(f"http://{wiring.core.http_host}:{port}/metrics")
            for name in CONSUMER_SERVICES
            for port in [int(_http_port(wiring.core, name)[f"{ENV_PREFIX}HTTP_PORT"])]
        },
        dead_letters=summarize(dead, {}),
        restarts=supervisor.restarts(),
        stock_drift=stock,
        order_drift=orders,
        day=DayActivity(
            fates=generator.day.fates() if generator.day is not None else {},
            stock_moves=list(generator.stock_moves),
            bad_webhooks=dict(generator.bad_webhooks),
            outage=generator.outage,
        ),
    )


def _drift(
    wiring: _Wiring, odoo: OdooClient, channels: list[Channel], *, settled_before: datetime
) -> tuple[list[StockDifference], list[OrderDifference]]:
    """What ``retailsync reconcile stock`` and ``orders`` find, with this run's settings."""
    timeout = wiring.storefront.storefront_timeout_s
    safety = wiring.inventory.storefront_safety_stock
    stock = stock_drift(odoo, channels, safety, timeout_s=timeout)
    orders = order_drift(
        odoo,
        channels,
        settled_before=settled_before,
        include_test=wiring.orders.odoo_orders_apply_test_orders,
        timeout_s=timeout,
    )
    return stock, orders


def _log_file(wiring: _Wiring, started: datetime, stack: ExitStack) -> IO[str]:
    """This run's log file, beside its reports: one line at a time, for ``tail -f``."""
    path = wiring.core.broker_data_dir.parent / "logs" / f"run-{started:%Y%m%dT%H%M%SZ}.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    return stack.enter_context(path.open("a", encoding="utf-8", buffering=1))


def _live_status(
    wiring: _Wiring, topology: Topology, supervisor: Supervisor, log: IO[str]
) -> LiveStatus:
    """The live view's sources: ``retailsync status``'s figures, the consumer services'
    health endpoints, and the reconciliations of stock, orders and finance."""
    context = Operator(wiring.core, OperateSettings.load(), topology)
    channels = _channels(wiring)

    def reconcile() -> list[Drift]:
        settled_before = datetime.now(UTC) - timedelta(seconds=_ORDERS_IN_FLIGHT_S)
        window = Window()
        timeout_s = wiring.storefront.storefront_timeout_s
        with OdooClient.from_settings(wiring.odoo) as odoo:
            stock, orders = _drift(wiring, odoo, channels, settled_before=settled_before)
            finance = finance_of(
                odoo, channels, window.days, window.returns_days, timeout_s=timeout_s
            ).findings()
        return [
            *map(Drift.of_stock, stock),
            *map(Drift.of_order, orders),
            *map(Drift.of_finance, finance),
        ]

    started = {name for name, _ in wiring.services()}
    health = {
        name: f"http://{wiring.core.http_host}:{port}/readyz"
        for name in started
        for port in _http_port(wiring.core, name).values()
    }
    # The HTTP producers answer readiness on their own ports (the change capture has none).
    ingest = IngestSettings.load()
    health["webhooks"] = (
        f"http://{wiring.webhook.webhook_host}:{wiring.webhook.webhook_port}/readyz"
    )
    health["ingest"] = f"http://{ingest.ingest_host}:{ingest.ingest_port}/readyz"
    return LiveStatus(
        supervisor.states,
        log_file=Path(log.name),
        gather=lambda: gather(context),
        reconcile=reconcile,
        health=health,
    )


def _channels(wiring: _Wiring) -> list[Channel]:
    """The channels this run's services use: its channels file, or the one storefront."""
    if wiring.channels.channels_file is not None:
        return list(load_channels_file(wiring.channels.channels_file))
    return [
        default_channel(
            wiring.storefront,
            name=wiring.webhook.shopify_channel,
            locations=wiring.inventory.storefront_locations,
        )
    ]


def _start_missing(wiring: _Wiring, stack: ExitStack) -> None:
    """Start what is not configured, and point the settings at it."""
    core = wiring.core
    if "bootstrap_servers" not in core.model_fields_set:
        port = int(core.bootstrap_servers.rpartition(":")[2])
        cluster = LocalCluster(core.broker_data_dir, cache_dir=core.cache_dir, port=port)
        cluster.start()
        typer.echo(f"Kafka is up at {cluster.bootstrap_servers}; `retailsync broker stop` ends it")
        wiring.core = core.model_copy(update={"bootstrap_servers": cluster.bootstrap_servers})
    if wiring.odoo.odoo_url is None:
        odoo = wiring.sandbox_odoo = stack.enter_context(SandboxOdoo.running())
        wiring.odoo = wiring.odoo.model_copy(
            update={
                "odoo_url": odoo.url,
                "odoo_db": odoo.db,
                "odoo_protocol": "json2",
                "odoo_api_key": SecretStr(odoo.api_key),
            }
        )
        typer.echo(f"RETAILSYNC_ODOO_URL is not set: started a sandbox Odoo at {odoo.url}")
    if wiring.storefront.storefront_url is None:
        shop = wiring.sandbox_shop = stack.enter_context(SandboxStorefront.running(skus=SKUS))
        wiring.storefront = wiring.storefront.model_copy(
            update={
                "storefront_url": shop.url,
                "storefront_access_token": SecretStr(shop.access_token),
            }
        )
        wiring.inventory = wiring.inventory.model_copy(
            update={"storefront_locations": dict(shop.locations)}
        )
        # The sandbox's orders are test orders (as a development store's are): apply them.
        wiring.orders = wiring.orders.model_copy(update={"odoo_orders_apply_test_orders": True})
        typer.echo(
            f"RETAILSYNC_STOREFRONT_URL is not set: started a sandbox storefront at {shop.url}"
        )
        if wiring.channels.channels_file is None:
            _start_sfcc(wiring, stack)
    # Secrets for this run only, shared by the receiver and the traffic generator.
    for name in ("shopify_webhook_secrets", "woocommerce_webhook_secrets"):
        if getattr(wiring.webhook, name) is None:
            wiring.webhook = wiring.webhook.model_copy(
                update={name: SecretStr(secrets.token_hex(32))}
            )


def _start_sfcc(wiring: _Wiring, stack: ExitStack) -> None:
    """A sandbox SFCC site and a sandbox WooCommerce shop beside the sandbox Shopify shop,
    and a channels file naming all three, so that the run shows orders from three platforms."""
    assert wiring.sandbox_shop is not None  # started just before
    shop = wiring.sandbox_shop
    sfcc = wiring.sandbox_sfcc = stack.enter_context(SandboxSfcc.running())
    sfcc.store.add_inventory_list(SFCC_INVENTORY_LIST, products=SKUS)
    sfcc.store.add_price_book(SFCC_LIST_PRICE_BOOK, "USD")
    woo = wiring.sandbox_woo = stack.enter_context(SandboxWooCommerce.running())
    for sku in SKUS:
        woo.store.add_product(sku)  # stock not managed until retailsync sends it
    directory = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="retailsync-run-")))
    channels = {
        "channels": {
            wiring.webhook.shopify_channel: {
                "platform": "shopify",
                "url": shop.url,
                "access_token": {"env": "SANDBOX_SHOP_TOKEN"},
                "locations": dict(shop.locations),
            },
            SFCC_CHANNEL: {
                **sfcc.channel_entry(),
                "ocapi_url": sfcc.url,
                "client_id": {"env": "SANDBOX_SFCC_CLIENT_ID"},
                "client_secret": {"env": "SANDBOX_SFCC_CLIENT_SECRET"},
                "currency": "USD",
                "locations": {location: SFCC_INVENTORY_LIST for location in shop.locations},
                # storefront-catalog imports Odoo's list prices into it (WebDAV + import job).
                "list_price_book": SFCC_LIST_PRICE_BOOK,
                "webdav_username": {"env": "SANDBOX_SFCC_WEBDAV_USER"},
                "webdav_access_key": {"env": "SANDBOX_SFCC_WEBDAV_ACCESS_KEY"},
            },
            wiring.webhook.woocommerce_channel: {
                **woo.channel_entry(),
                "consumer_key": {"env": "SANDBOX_WOO_CONSUMER_KEY"},
                "consumer_secret": {"env": "SANDBOX_WOO_CONSUMER_SECRET"},
                "currency": "USD",
                # One stock per product in WooCommerce: the first location the shop sells.
                "locations": {next(iter(shop.locations)): "shop"},
            },
        }
    }
    path = directory / "channels.yaml"
    path.write_text(yaml.safe_dump(channels, sort_keys=False), encoding="utf-8")
    wiring.channels = ChannelSettings(channels_file=path)
    # The run reads the channels too (its report reconciles them): the same references.
    wiring.secrets = {
        "SANDBOX_SHOP_TOKEN": shop.access_token,
        "SANDBOX_SFCC_CLIENT_ID": sfcc.client_id,
        "SANDBOX_SFCC_CLIENT_SECRET": sfcc.client_secret,
        "SANDBOX_SFCC_WEBDAV_USER": sfcc.webdav_user,
        "SANDBOX_SFCC_WEBDAV_ACCESS_KEY": sfcc.webdav_access_key,
        "SANDBOX_WOO_CONSUMER_KEY": woo.consumer_key,
        "SANDBOX_WOO_CONSUMER_SECRET": woo.consumer_secret,
    }
    os.environ.update(wiring.secrets)
    typer.echo(f"RETAILSYNC_CHANNELS_FILE is not set: started a sandbox SFCC site at {sfcc.url}")
    typer.echo(f"and a sandbox WooCommerce shop at {woo.url}")


def _traffic(wiring: _Wiring, stack: ExitStack, webhook_speedup: float) -> Traffic | None:
    webhook = wiring.webhook
    if wiring.sandbox_odoo is None or wiring.sandbox_shop is None:
        return None  # traffic only goes through systems this run owns
    assert webhook.shopify_webhook_secrets is not None  # set by _start_missing
    assert webhook.woocommerce_webhook_secrets is not None
    odoo = stack.enter_context(OdooClient.from_settings(wiring.odoo))
    seed_odoo(odoo)
    base = f"http://{webhook.webhook_host}:{webhook.webhook_port}"
    _wait_ready(f"{base}/readyz")
    receiver = f"{base}/webhooks/shopify"
    secret = webhook.shopify_webhook_secrets.get_secret_value().split(",")[0]
    typer.echo(f"traffic: orders through {receiver}, shipments out of the sandbox Odoo")
    # Shopify's real retry schedule (8 retries over 4 hours), unless sped up.
    webhooks = stack.enter_context(WebhookEmitter(receiver, speedup=webhook_speedup))
    woocommerce = None
    if wiring.sandbox_woo is not None:
        # WooCommerce tries a delivery once, and disables the webhook after 5 failures.
        woo_webhooks = stack.enter_context(
            WebhookEmitter(f"{base}/webhooks/woocommerce", schedule=WOOCOMMERCE_RETRIES)
        )
        woo_secret = webhook.woocommerce_webhook_secrets.get_secret_value().split(",")[0]
        woocommerce = WooTraffic(
            wiring.sandbox_woo, woo_webhooks, woo_secret, webhook.woocommerce_channel
        )
    return Traffic(
        wiring.sandbox_shop,
        odoo,
        webhooks,
        secret,
        channel=webhook.shopify_channel,
        sfcc=wiring.sandbox_sfcc,
        sfcc_channel=SFCC_CHANNEL,
        woocommerce=woocommerce,
        odoo_faults=wiring.sandbox_odoo.faults,
    )


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


def _http_port(core: Settings, service: str) -> dict[str, str]:
    """One health and metrics port per consumer service and channel order export, from
    RETAILSYNC_HTTP_PORT up."""
    served = (*CONSUMER_SERVICES, *CHANNEL_PRODUCER_SERVICES)
    if service not in served:
        return {}  # the other producers answer on their own port
    return {f"{ENV_PREFIX}HTTP_PORT": str(core.http_port + served.index(service))}
