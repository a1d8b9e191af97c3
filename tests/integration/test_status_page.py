"""The status page in a headless Chromium (Debian's, driven by Playwright) on the real
broker: health, late orders and dead letters, an order searched by ref and its timeline,
without JavaScript and without personal data; screenshots under build/status-page/."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml
from confluent_kafka.admin import AdminClient
from playwright.sync_api import Page, sync_playwright

from consumers.order_lifecycle.checkpoints import CHECKPOINTS
from retailsync.broker import free_port_block
from retailsync.events import OrderCreated
from retailsync.events.examples import example_events
from retailsync.settings import Settings
from tests.integration.lifecycle_support import (
    REFUSED,
    flowing,
    lifecycle_group,
    make_lifecycle,
)
from tests.integration.operator_support import Operated

pytestmark = pytest.mark.integration

ARTEFACTS = Path(__file__).parents[2] / "build" / "status-page"
CHROMIUM = "/usr/bin/chromium"  # Debian's; Playwright downloads no browser


@pytest.fixture
def operated(
    kafka_settings: Settings, admin: AdminClient, unique: str, tmp_path: Path
) -> Iterator[Operated]:
    operated = make_lifecycle(kafka_settings, admin, unique, tmp_path)
    with flowing(operated):
        yield operated


@pytest.fixture
def page_url(operated: Operated) -> Iterator[str]:
    """``retailsync serve status`` as a process, ready."""
    port = free_port_block(1)
    log = operated.directory / "status-page.log"
    with log.open("wb") as output:
        server = subprocess.Popen(
            [sys.executable, "-m", "commands", "serve", "status", "--port", str(port)],
            env=operated.environment(),
            cwd=operated.directory,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while not _answers(f"{url}/healthz"):
            assert server.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "the status page did not start"
            time.sleep(0.2)
        yield url
    finally:
        server.terminate()
        assert server.wait(30) == 0, log.read_text()


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def test_the_status_page_in_a_browser_shows_health_and_an_orders_timeline(
    operated: Operated, page_url: str
) -> None:
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    applier = operated.pipeline.group
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            # No JavaScript: the page must work without it.
            context = browser.new_context(
                java_script_enabled=False, viewport={"width": 1100, "height": 800}
            )
            page = context.new_page()
            page.goto(page_url)
            assert page.title() == "retailsync status"
            assert page.get_attribute('meta[http-equiv="refresh"]', "content") == "15"
            groups = page.inner_text("#groups")
            assert applier in groups
            assert lifecycle_group(operated) in groups
            assert "retailsync.errors.PermanentError" in page.inner_text("#dead-letters")
            # Every checkpoint in the retailer's reading order; no SLO on allocation here.
            assert [row[0] for row in _rows(page, "#checkpoints")] == list(CHECKPOINTS)
            assert _cells(page, "#checkpoints", "allocated") == ["allocated", "1", ""]
            assert _cells(page, "#checkpoints", "invoiced") == ["invoiced", "1", ""]
            assert _cells(page, "#checkpoints", "shipped") == ["shipped", "1", "1"]
            page.screenshot(path=ARTEFACTS / "status.png", full_page=True)
            _no_personal_data(page)

            page.fill("#ref", REFUSED)
            page.click("button[type=submit]")
            page.wait_for_url(f"{page_url}/orders?ref=shop%3Arefused")
            timeline = page.inner_text("#timeline")
            assert "order_created" in timeline
            assert "payment_captured" in timeline
            assert f"dead-lettered by {applier}: retailsync.errors.PermanentError" in timeline
            assert f"retailsync dlt show {applier} --key {REFUSED}" in page.inner_text("#commands")
            page.screenshot(path=ARTEFACTS / "order.png", full_page=True)
            _no_personal_data(page)

            page.goto(f"{page_url}/orders?ref=shop:nothing")
            assert "No order shop:nothing" in page.inner_text("#not-found")
        finally:
            browser.close()
    document = yaml.safe_load(httpx.get(f"{page_url}/asyncapi.yaml").text)
    assert document["asyncapi"] == "3.0.0"
    assert f"{operated.unique}.orders" in {c["address"] for c in document["channels"].values()}


def _rows(page: Page, table: str) -> list[list[str]]:
    rows = [
        [cell.strip() for cell in row.locator("td").all_inner_texts()]
        for row in page.locator(f"{table} tr").all()
    ]
    return [cells for cells in rows if cells]


def _cells(page: Page, table: str, first: str) -> list[str]:
    for cells in _rows(page, table):
        if cells[0] == first:
            return cells
    raise AssertionError(f"no row {first} in {table}")


def _no_personal_data(page: Page) -> None:
    """The shipping address the orders carry (name, street, phone) is nowhere on the page."""
    created = next(e for e in example_events() if isinstance(e, OrderCreated))
    address = created.shipping_address
    assert address is not None
    text = page.content()
    for value in (address.name, address.line1, address.phone):
        assert value is not None
        assert value not in text
