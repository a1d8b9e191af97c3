"""The live view of ``retailsync run``: what an operator reads in it, drawn from a given
snapshot of the pipeline, and how it follows the gathered figures."""

from __future__ import annotations

import logging
import re
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from rich.console import Console

from commands.live import ALERT_AFTER_S, DriftSeen, LiveStatus, Snapshot, render, shown
from commands.reconciler import Drift
from commands.status import DeadLetters, GroupHealth, Status
from commands.supervise import ServiceState

pytestmark = pytest.mark.unit

LOG = Path(".retailsync/logs/run-20261130T120000Z.log")
STOCK = Drift("stock", "shopify SKU-1@WH/Stock", "Odoo sellable 10, on the channel 5")
LOST = Drift("orders", "shopify:1012", "not in Odoo")


def drawn(snapshot: Snapshot) -> list[str]:
    """The view as the terminal shows it, one string per line."""
    console = Console(record=True, width=200)
    console.print(render(snapshot))
    return [line.rstrip() for line in console.export_text().splitlines()]


def line_of(lines: list[str], *words: str) -> str:
    """The one line holding every word, as the eye finds a row."""
    [found] = [line for line in lines if all(word in line for word in words)]
    return found


def cells(line: str) -> list[str]:
    return [cell.strip() for cell in re.split(r"[│┃]", line) if cell.strip()]


def row(lines: list[str], first: str, width: int) -> list[str]:
    """The ``width`` cells of the table row starting with the cell ``first``: tables drawn
    side by side share a line."""
    found = cells(line_of(lines, first))
    start = found.index(first)
    return found[start : start + width]


def status() -> Status:
    return Status(
        at_ms=0,
        groups=[
            GroupHealth("odoo-orders", 1, 0, None, 3, 1, ("odoo",), 40),
            GroupHealth("storefront-inventory", 0, 17, 12.0, 0, 0),
        ],
        dead_letters=[DeadLetters("odoo-orders", "InvalidInputError", 1, 0, 0)],
        events_per_minute={"order_placed": 12.5, "stock_changed": 3.0},
        orders_reached={"accepted": 10, "paid": 9, "shipped": 7},
        late={"shipped": 2, "paid": 0},
    )


def test_the_view_tells_services_flows_orders_dead_letters_and_drift() -> None:
    snapshot = Snapshot(
        services=[
            ServiceState("odoo-orders", restarts=0),
            ServiceState("storefront-inventory", restarts=2, restart_in_s=3.6),
            ServiceState("webhooks", restarts=0),
        ],
        log_file=LOG,
        ready={"odoo-orders": True, "storefront-inventory": False},
        status=status(),
        drift=[DriftSeen(STOCK, 400.0, True), DriftSeen(LOST, 31.0, False)],
        reconciled_at=datetime(2026, 11, 30, 12, 0, 30, tzinfo=UTC),
    )
    lines = drawn(snapshot)

    assert cells(line_of(lines, "odoo-orders", "running")) == [
        "odoo-orders", "running", "0", "yes", "paused by odoo", "0", "3", "1",
    ]  # fmt: skip
    assert cells(line_of(lines, "storefront-inventory", "restarting")) == [
        "storefront-inventory", "restarting in 4s", "2", "no", "down", "17", "0", "0",
    ]  # fmt: skip
    assert cells(line_of(lines, "webhooks")) == ["webhooks", "running", "0"]
    assert row(lines, "order_placed", 2) == ["order_placed", "12.5"]
    assert row(lines, "stock_changed", 2) == ["stock_changed", "3.0"]
    assert row(lines, "accepted", 2) == ["accepted", "10"]
    assert row(lines, "shipped", 3) == ["shipped", "7", "2"]
    assert row(lines, "InvalidInputError", 4) == ["InvalidInputError", "1", "0", "0"]
    assert cells(line_of(lines, "SKU-1@WH/Stock")) == [
        "stock", "shopify SKU-1@WH/Stock", "Odoo sellable 10, on the channel 5", "400s", "ALERT",
    ]  # fmt: skip
    assert cells(line_of(lines, "shopify:1012")) == ["orders", "shopify:1012", "not in Odoo", "31s"]
    assert "drift (checked 12:00:30 UTC)" in lines
    assert line_of(lines, "service logs:").startswith(f"service logs: {LOG}")


def test_before_the_first_figures_the_view_says_it_is_gathering_them() -> None:
    lines = drawn(Snapshot([ServiceState("odoo-orders", restarts=0)], LOG))

    assert "gathering the pipeline's status…" in lines
    assert "reconciling Odoo and the channels…" in lines
    assert cells(line_of(lines, "odoo-orders")) == ["odoo-orders", "running", "0"]


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def test_a_difference_that_persists_past_the_threshold_becomes_an_alert() -> None:
    clock = Clock()
    found: list[Drift] = [STOCK]
    view = LiveStatus(
        lambda: [],
        log_file=LOG,
        gather=status,
        reconcile=lambda: list(found),
        health={},
        clock=clock,
    )
    view.update_drift()
    clock.now += ALERT_AFTER_S
    view.update_drift()
    assert view.snapshot().drift == [DriftSeen(STOCK, ALERT_AFTER_S, True)]

    found[:] = []  # set right: gone from the view
    clock.now += 30
    view.update_drift()
    snapshot = view.snapshot()
    assert snapshot.drift == []
    assert any("drift: none, Odoo and the channels agree" in line for line in drawn(snapshot))


def test_a_failed_gathering_is_shown_and_the_last_figures_are_kept() -> None:
    answers: list[Status | Exception] = [status(), ConnectionError("broker unreachable")]

    def gather() -> Status:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    def reconcile() -> list[Drift]:
        raise TimeoutError("Odoo did not answer")

    view = LiveStatus(
        lambda: [ServiceState("odoo-orders", restarts=1)],
        log_file=LOG,
        gather=gather,
        reconcile=reconcile,
        health={"odoo-orders": "http://127.0.0.1:9/readyz"},  # nothing listens on port 9
    )
    view.update_status()
    view.update_status()
    view.update_drift()
    lines = drawn(view.snapshot())

    assert "status not gathered: broker unreachable" in lines
    assert "reconciliation failed: Odoo did not answer" in lines
    assert cells(line_of(lines, "odoo-orders", "running"))[:5] == [
        "odoo-orders", "running", "1", "no", "paused by odoo",
    ]  # fmt: skip
    assert row(lines, "order_placed", 2) == ["order_placed", "12.5"]


def test_while_the_view_is_shown_output_and_log_lines_go_to_the_log_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Standard output stands for a wide terminal (rich's own switch), as under `make run`.
    monkeypatch.setenv("TTY_COMPATIBLE", "1")
    monkeypatch.setenv("COLUMNS", "300")
    view = LiveStatus(
        lambda: [ServiceState("odoo-orders", restarts=0)],
        log_file=tmp_path / "run.log",
        gather=status,
        reconcile=lambda: [],
        health={},
    )
    # The run's log lines reach the terminal through a handler on the root logger.
    terminal = logging.StreamHandler(sys.stderr)
    logging.getLogger().addHandler(terminal)
    try:
        with (tmp_path / "run.log").open("a", encoding="utf-8") as log, shown(view, log):
            print("started odoo-orders (pid 4242)")
            logging.getLogger("retailsync.traffic").warning("placed shopify:1012")
        logging.getLogger("retailsync.traffic").warning("stopped: the view is gone")
    finally:
        logging.getLogger().removeHandler(terminal)

    logged = (tmp_path / "run.log").read_text(encoding="utf-8")
    assert "started odoo-orders (pid 4242)" in logged
    assert "placed shopify:1012" in logged
    assert "stopped" not in logged
    shown_out = capsys.readouterr()
    assert "pid 4242" not in shown_out.out + shown_out.err
    assert "shopify:1012" not in shown_out.out + shown_out.err
    assert "stopped: the view is gone" in shown_out.err
    terminal_text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", shown_out.out)
    assert f"service logs: {tmp_path / 'run.log'}" in terminal_text
