"""``retailsync serve``: the long-running producers, one command each."""

from __future__ import annotations

import os
import signal
import socket
import tempfile
import threading
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from starlette.types import ASGIApp

from commands.operating import operator
from commands.reconciler import Window, run_reconciler
from commands.status import gather
from commands.status_page import ROUTES as STATUS_ROUTES
from commands.status_page import StatusPageSettings, asyncapi_text, status_app
from commands.supervise import TEND_INTERVAL_S, Supervisor, stop_on_signals
from producers.commerce import WebhookSettings, receiver_app
from producers.commerce.app import channels_from
from producers.ingest import ROUTES, IngestSettings, ingest_app
from producers.odoo import ChangeCaptureSettings, run_change_capture
from producers.payouts import PayoutSettings, run_shopify_payouts
from producers.sfcc import SfccOrdersSettings, run_sfcc_orders
from retailsync import telemetry
from retailsync.channels import ChannelSettings, load_channels
from retailsync.durations import parse_duration_ms
from retailsync.errors import ConfigError
from retailsync.health import Check, HealthServer, Rounds, WorkerMetrics, ok, with_endpoints
from retailsync.logs import identify
from retailsync.odoo import OdooSettings
from retailsync.settings import load_settings
from retailsync.storefront import StorefrontSettings

app = typer.Typer(
    help="Run a producer service, or the status page, until SIGTERM.", no_args_is_help=True
)


Workers = Annotated[
    int,
    typer.Option(
        min=1,
        help="worker processes sharing the port (SO_REUSEPORT), each with its own producer; "
        "one that exits is restarted",
    ),
]
# A worker started by --workers: the directory of the workers' private sockets, and its index.
WorkerOf = Annotated[str | None, typer.Option(hidden=True)]


@app.command()
def webhooks(
    host: Annotated[
        str | None, typer.Option(help="address to listen on [default: RETAILSYNC_WEBHOOK_HOST]")
    ] = None,
    port: Annotated[
        int | None, typer.Option(help="port [default: RETAILSYNC_WEBHOOK_PORT]")
    ] = None,
    workers: Workers = 1,
    worker_of: WorkerOf = None,
) -> None:
    """Receive Shopify, WooCommerce and generic webhooks until SIGTERM; each is answered 2xx
    only once its event is on Kafka. /healthz, /readyz and /metrics answer on the same port."""
    settings = WebhookSettings.load()
    host = host or settings.webhook_host
    port = settings.webhook_port if port is None else port
    if workers > 1:
        _supervise_workers("webhooks", host, port, workers)
        return
    telemetry.configure("webhooks")
    identify("webhooks")
    _serve(
        receiver_app(load_settings(), settings),
        [f"/webhooks/{channel.name}" for channel in channels_from(settings)],
        host=host,
        port=port,
        worker=_worker(worker_of),
    )


@app.command()
def ingest(
    host: Annotated[
        str | None, typer.Option(help="address to listen on [default: RETAILSYNC_INGEST_HOST]")
    ] = None,
    port: Annotated[int | None, typer.Option(help="port [default: RETAILSYNC_INGEST_PORT]")] = None,
    workers: Workers = 1,
    worker_of: WorkerOf = None,
) -> None:
    """Take events from other teams' services over HTTP until SIGTERM.

    POST /events/EVENT_TYPE with a service's bearer token (RETAILSYNC_INGEST_TOKENS) is
    answered 202 only once the event is on Kafka. /healthz, /readyz and /metrics answer on
    the same port."""
    settings = IngestSettings.load()
    host = host or settings.ingest_host
    port = settings.ingest_port if port is None else port
    if workers > 1:
        _supervise_workers("ingest", host, port, workers)
        return
    telemetry.configure("ingest")
    identify("ingest")
    _serve(
        ingest_app(load_settings(), settings),
        list(ROUTES),
        host=host,
        port=port,
        worker=_worker(worker_of),
    )


@app.command()
def status(
    host: Annotated[
        str | None, typer.Option(help="address to listen on [default: RETAILSYNC_STATUS_HOST]")
    ] = None,
    port: Annotated[int | None, typer.Option(help="port [default: RETAILSYNC_STATUS_PORT]")] = None,
) -> None:
    """Serve the read-only status page until SIGTERM: what `retailsync status` shows, an
    order's timeline by ref (/orders?ref=REF), and /asyncapi.yaml."""
    settings = StatusPageSettings.load()
    context = operator()
    identify("status")
    _serve(
        status_app(lambda: gather(context), asyncapi_text()),
        list(STATUS_ROUTES),
        host=host or settings.status_host,
        port=settings.status_port if port is None else port,
        ready=ok,  # it reads on each request: once it answers, it can
    )


def _supervise_workers(command: str, host: str, port: int, workers: int) -> None:
    """Run ``workers`` processes of ``serve COMMAND`` on one port until SIGTERM."""
    if port == 0:
        raise ConfigError("--port", "", "workers share one port: give it, not 0")
    stop = threading.Event()
    with (
        tempfile.TemporaryDirectory(prefix="retailsync-workers-") as directory,
        stop_on_signals(stop),
    ):
        arguments = ("serve", command, "--host", host, "--port", str(port))
        supervisor = Supervisor(
            {
                f"{command}-worker-{index}": (
                    (*arguments, "--worker-of", f"{directory}:{index}"),
                    dict(os.environ),
                )
                for index in range(workers)
            }
        )
        try:
            while not stop.wait(TEND_INTERVAL_S):
                supervisor.tend()
        finally:
            supervisor.terminate()


def _worker(worker_of: str | None) -> WorkerMetrics | None:
    if worker_of is None:
        return None
    directory, _, index = worker_of.rpartition(":")
    return WorkerMetrics(Path(directory), int(index))


def _serve(
    app: ASGIApp,
    routes: list[str],
    *,
    host: str,
    port: int,
    worker: WorkerMetrics | None = None,
    ready: Check | None = None,
) -> None:
    """Serve ``app`` with /metrics beside ``routes`` until SIGTERM, and /healthz and /readyz
    from ``app`` itself, or from ``ready`` when given; as one of several workers when
    ``worker`` is given."""
    # uvicorn shuts down gracefully on SIGTERM, then raises the signal again for the handler
    # it found: with this one the process ends with 0, a clean stop, rather than 143.
    signal.signal(signal.SIGTERM, lambda _signum, _frame: None)
    config = uvicorn.Config(
        with_endpoints(
            app, routes=[*routes, "/healthz", "/readyz"], live=ok, ready=ready, workers=worker
        ),
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        server_header=False,
    )
    if worker is None:
        uvicorn.Server(config).run()
        return
    # Each worker binds the port itself: the kernel spreads the connections over them.
    shared = socket.create_server((host, port), reuse_port=True)
    worker.own_socket.unlink(missing_ok=True)  # left by this worker's last life
    private = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    private.bind(str(worker.own_socket))
    uvicorn.Server(config).run(sockets=[shared, private])


@app.command(name="odoo-changes")
def odoo_changes(
    once: Annotated[
        bool, typer.Option("--once", help="poll every model once, print the lag and exit")
    ] = False,
) -> None:
    """Publish Odoo's changes as events, exactly once, until SIGTERM.

    Each page of changes is one Kafka transaction with the feed's checkpoint. An Odoo
    automation rule's "Send Webhook Notification" to /odoo/webhook makes it poll at once.
    Needs RETAILSYNC_ODOO_URL: only `retailsync run` starts a sandbox Odoo in its place.
    """
    telemetry.configure("odoo-changes")
    identify("odoo-changes")
    run_change_capture(
        load_settings(),
        OdooSettings.load(),
        ChangeCaptureSettings.load(),
        once=once,
        say=typer.echo,
    )


@app.command(name="sfcc-orders")
def sfcc_orders(
    once: Annotated[
        bool, typer.Option("--once", help="export what is ready once, print the counts and exit")
    ] = False,
) -> None:
    """Export Salesforce B2C Commerce orders as events until SIGTERM.

    Every sfcc channel of RETAILSYNC_CHANNELS_FILE (or those RETAILSYNC_SFCC_CHANNELS names)
    is polled for orders ready for export; each is published, then marked exported once
    Kafka acknowledged it. An order that cannot be taken is dead-lettered and marked failed
    with a note. Exported orders cancelled or paid afterwards are found by when they last
    changed and published as order_cancelled or payment_captured. Only `retailsync run`
    would start a sandbox; this never does.
    """
    telemetry.configure("sfcc-orders")
    identify("sfcc-orders")
    channels = load_channels(ChannelSettings.load(), StorefrontSettings.load())

    stop = threading.Event()
    with stop_on_signals(stop):
        run_sfcc_orders(
            load_settings(),
            SfccOrdersSettings.load(),
            channels,
            once=once,
            say=typer.echo,
            stop=stop,
        )


@app.command()
def reconcile(
    every: Annotated[
        str, typer.Option(envvar="RETAILSYNC_RECONCILE_EVERY", help="between rounds: 30s, 15m, 1h")
    ] = "15m",
    alert_after: Annotated[
        str,
        typer.Option(
            envvar="RETAILSYNC_RECONCILE_ALERT_AFTER",
            help="how long a difference may persist before it is an alert",
        ),
    ] = "1h",
    settle: Annotated[
        float, typer.Option(help="minutes an order may take to reach Odoo before it counts")
    ] = 15.0,
    days: Annotated[int, typer.Option(help="days of Odoo documents finance reads")] = 30,
    returns_days: Annotated[
        int, typer.Option(min=0, help="days after which a received return is due a refund")
    ] = 14,
) -> None:
    """Reconcile stock, orders and finance every EVERY until SIGTERM, as the
    `retailsync reconcile` commands do; differences become metrics
    (retailsync_drift_*), and one that persists past ALERT_AFTER an alert.

    /healthz, /readyz and /metrics answer on RETAILSYNC_HTTP_HOST:RETAILSYNC_HTTP_PORT."""
    try:
        every_s, alert_after_s = (
            parse_duration_ms(every) / 1000,
            parse_duration_ms(alert_after) / 1000,
        )
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    settings = load_settings()
    telemetry.configure("reconcile")
    identify("reconcile")
    stop = threading.Event()
    rounds = Rounds("reconciliation")
    live, ready = rounds.checks(settings.liveness_timeout_s, every_s)
    with (
        stop_on_signals(stop),
        HealthServer(settings.http_host, settings.http_port, live=live, ready=ready),
    ):
        run_reconciler(
            Window(settle, days, returns_days),
            every_s=every_s,
            alert_after_s=alert_after_s,
            stop=stop,
            say=typer.echo,
            rounds=rounds,
        )


@app.command(name="shopify-payouts")
def shopify_payouts(
    once: Annotated[
        bool, typer.Option("--once", help="publish what is paid once, print the counts and exit")
    ] = False,
) -> None:
    """Publish Shopify Payments payouts as payout_paid events until SIGTERM.

    Every shopify channel of RETAILSYNC_CHANNELS_FILE (or those RETAILSYNC_PAYOUTS_CHANNELS
    names) is polled for paid payouts; each is published with its balance transactions,
    with the shop's checkpoint, in one Kafka transaction. The channel's access token needs
    read_shopify_payments_payouts. Only `retailsync run` would start a sandbox; this never does.
    """
    telemetry.configure("shopify-payouts")
    identify("shopify-payouts")
    channels = load_channels(ChannelSettings.load(), StorefrontSettings.load())

    stop = threading.Event()
    with stop_on_signals(stop):
        run_shopify_payouts(
            load_settings(),
            PayoutSettings.load(),
            channels,
            once=once,
            say=typer.echo,
            stop=stop,
        )
