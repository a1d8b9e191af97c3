"""``retailsync serve reconcile`` on the sandboxes: a stock level changed on the shop
behind the pipeline's back shows in the drift metrics, becomes an alert (a log line and a
gauge) once it has persisted past the threshold, and clears when the level is right again;
SIGTERM stops the service cleanly."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from commands.traffic import seed_odoo
from retailsync.broker import free_port_block
from sandbox.odoo import SandboxOdoo
from sandbox.storefront import SandboxStorefront
from tests.integration.harness import odoo_client_of

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
SKUS = ("WATCH-A", "WATCH-B")
ON_HAND = 40


@pytest.fixture
def shop() -> Iterator[SandboxStorefront]:
    with SandboxStorefront.running(
        locations=["WH/Stock"], skus=list(SKUS), available=ON_HAND
    ) as shop:
        yield shop


def _gauge(page: str, name: str, kind: str) -> float | None:
    found = re.search(rf'^{name}{{[^}}]*kind="{kind}"[^}}]*}} (\S+)$', page, re.MULTILINE)
    return float(found.group(1)) if found else None


def _wait(condition: Callable[[], bool], what: str, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def test_a_persisting_difference_alerts_and_clears_when_fixed(
    shop: SandboxStorefront, tmp_path: Path
) -> None:
    channels_file = tmp_path / "channels.yaml"
    channels_file.write_text(
        f"""
channels:
  shop:
    platform: shopify
    url: '{shop.url}'
    access_token: {{env: WATCH_SHOP_TOKEN}}
    locations: {{"WH/Stock": "{shop.locations["WH/Stock"]}"}}
""",
        encoding="utf-8",
    )
    port = free_port_block(1)
    log = tmp_path / "reconcile.log"
    with SandboxOdoo.running() as odoo:
        with odoo_client_of(odoo) as client:
            seed_odoo(client, SKUS, ON_HAND)
        environment = {
            **{k: v for k, v in os.environ.items() if not k.startswith("RETAILSYNC_")},
            "RETAILSYNC_ODOO_URL": odoo.url,
            "RETAILSYNC_ODOO_DB": odoo.db,
            "RETAILSYNC_ODOO_API_KEY": odoo.api_key,
            "RETAILSYNC_CHANNELS_FILE": str(channels_file),
            "RETAILSYNC_HTTP_PORT": str(port),
            "WATCH_SHOP_TOKEN": shop.access_token,
        }
        # Someone sets a level on the shop by hand.
        level = shop.store.levels[(shop.store.items["WATCH-B"], shop.locations["WH/Stock"])]
        level["available"] = 3
        command = [sys.executable, "-m", "commands", "serve", "reconcile", "--every", "1s",
                   "--alert-after", "3s"]  # fmt: skip
        with log.open("wb") as output:
            service = subprocess.Popen(
                command, cwd=ROOT, env=environment, stdout=output, stderr=output
            )
        try:
            metrics = f"http://127.0.0.1:{port}/metrics"

            def page() -> str:
                try:
                    return httpx.get(metrics, timeout=5).text
                except httpx.TransportError:  # not listening yet
                    return ""

            _wait(lambda: _gauge(page(), "retailsync_drift_differences", "stock") == 1,
                  "the difference counted")  # fmt: skip
            assert _gauge(page(), "retailsync_drift_alerting", "stock") == 0
            _wait(lambda: _gauge(page(), "retailsync_drift_alerting", "stock") == 1,
                  "the alert")  # fmt: skip
            assert "drift alert: stock shop WATCH-B@WH/Stock" in log.read_text()
            level["available"] = ON_HAND  # put right
            _wait(lambda: _gauge(page(), "retailsync_drift_differences", "stock") == 0,
                  "the difference gone")  # fmt: skip
            assert _gauge(page(), "retailsync_drift_alerting", "stock") == 0
            assert _gauge(page(), "retailsync_drift_differences", "orders") == 0
        finally:
            service.send_signal(signal.SIGTERM)
            code = service.wait(30)
    assert code == 0, log.read_text()
    assert log.read_text().count("drift alert") == 1  # once, not every round
