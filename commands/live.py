"""The live view of ``retailsync run`` in a terminal: the pipeline's story, redrawn about
once a second in place of scrolling log lines.

It shows each service (running, or waiting for its restart, how often it was restarted,
whether it answers ready on its health endpoint), its consumer group's lag, records in retry
and dead letters, events per minute by type, orders by checkpoint and late orders (all
``retailsync status`` figures, from ``gather``), dead letters by error class, and what the
reconciliation of Odoo against the channels finds, with each difference's age. The figures
are gathered in background threads (the status every few seconds; the reconciliation, which
reads Odoo and every channel, every 30 s), so neither drawing nor gathering holds up the
supervisor. Meanwhile this process's output, its log lines and the services' output go to a
log file, which the view names.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

import httpx
from rich.columns import Columns
from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.text import Text

from commands.operating import grid
from commands.reconciler import Drift, DriftWatch
from commands.status import (
    DEAD_COLUMNS,
    WINDOW_MIN,
    GroupHealth,
    Status,
    checkpoint_rows,
    dead_rows,
)
from commands.supervise import ServiceState

STATUS_EVERY_S = 2.0
RECONCILE_EVERY_S = 30.0
# A difference older than this is shown as an alert, as ``serve reconcile`` would raise one.
ALERT_AFTER_S = 300.0
_PROBE_TIMEOUT_S = 1.0
# A gathering round still running at the end is left to finish on its own (daemon thread).
_JOIN_TIMEOUT_S = 5.0
SERVICE_COLUMNS = (
    "service", "process", "restarts", "ready", "group", "lag", "in retry", "dead letters",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class DriftSeen:
    """A difference the last reconciliation found, how long it has persisted, and whether
    that is long enough to be an alert."""

    drift: Drift
    age_s: float
    alerting: bool


@dataclass
class Snapshot:
    """What the view shows at one moment; ``None`` figures are not gathered yet."""

    services: list[ServiceState]
    log_file: Path
    ready: dict[str, bool] = field(default_factory=dict)
    status: Status | None = None
    drift: list[DriftSeen] | None = None
    reconciled_at: datetime | None = None
    problems: list[str] = field(default_factory=list)


def render(snapshot: Snapshot) -> Group:
    """The view of one snapshot."""
    status = snapshot.status
    groups = {} if status is None else {g.group: g for g in status.groups}
    services = [
        _service_row(service, groups.get(service.name), snapshot.ready.get(service.name))
        for service in snapshot.services
    ]
    parts: list[RenderableType] = [grid("services", SERVICE_COLUMNS, services)]
    if status is None:
        parts.append(Text("gathering the pipeline's status…"))
    else:
        events = grid(f"events per minute (last {WINDOW_MIN} min)", ("event type", "per minute"),
                      sorted(status.events_per_minute.items()))  # fmt: skip
        orders = grid("orders", ("checkpoint", "reached", "late"), checkpoint_rows(status))
        dead = grid("dead letters", DEAD_COLUMNS, dead_rows(status))
        parts.append(Columns([events, orders, dead]))
        if status.projection is not None:
            parts.append(Text(f"No order figures: {status.projection}"))
    parts.append(_drift(snapshot))
    parts += [Text(problem, style="red") for problem in snapshot.problems]
    parts.append(Text(f"service logs: {snapshot.log_file} · Ctrl-C stops everything"))
    return Group(*parts)


def _service_row(
    service: ServiceState, health: GroupHealth | None, ready: bool | None
) -> tuple[object, ...]:
    """A service's process, its health endpoint's answer and its consumer group's figures
    (a producer has no group)."""
    answered = "" if ready is None else ("yes" if ready else "no")
    row = (service.name, service.state, service.restarts, answered)
    if health is None:
        return row
    return (*row, health.state, health.lag, health.in_retry, health.dead_letters)


def _drift(snapshot: Snapshot) -> RenderableType:
    if snapshot.drift is None or snapshot.reconciled_at is None:
        return Text("reconciling Odoo and the channels…")
    at = snapshot.reconciled_at.strftime("%H:%M:%S")
    if not snapshot.drift:
        return Text(f"drift: none, Odoo and the channels agree (checked {at} UTC)")
    rows = [
        (seen.drift.kind, seen.drift.key, seen.drift.what, f"{seen.age_s:.0f}s",
         "ALERT" if seen.alerting else "")
        for seen in snapshot.drift
    ]  # fmt: skip
    return grid(f"drift (checked {at} UTC)", ("kind", "key", "difference", "for", ""), rows)


class LiveStatus:
    """Gathers what the view shows, in background threads, and draws the latest on demand
    (rich calls ``__rich__`` at each refresh)."""

    def __init__(
        self,
        services: Callable[[], list[ServiceState]],
        *,
        log_file: Path,
        gather: Callable[[], Status],
        reconcile: Callable[[], list[Drift]],
        health: Mapping[str, str],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._services = services
        self._log_file = log_file
        self._gather = gather
        self._reconcile = reconcile
        self._health = health
        self._clock = clock
        self._watch = DriftWatch(ALERT_AFTER_S, clock)
        # Each is replaced whole by its gathering thread, and read by the drawing one.
        self._status: Status | None = None
        self._ready: dict[str, bool] = {}
        self._drift: list[Drift] | None = None
        self._reconciled_at: datetime | None = None
        self._problems: dict[str, str] = {}
        self._drift_lock = threading.Lock()

    def update_status(self) -> None:
        """Gather the status, and ask each service's health endpoint whether it is ready."""
        try:
            self._status = self._gather()
        # Whatever fails, the view keeps its last figures, says why, and tries again.
        except Exception as exc:
            self._problems = self._problems | {"status": f"status not gathered: {exc}"}
        else:
            self._problems = {k: v for k, v in self._problems.items() if k != "status"}
        self._ready = {name: _answers(url) for name, url in self._health.items()}

    def update_drift(self) -> None:
        """Reconcile once; the watch keeps when each difference was first seen."""
        try:
            found = self._reconcile()
        except Exception as exc:  # as in update_status: shown, and tried again next round
            self._problems = self._problems | {"drift": f"reconciliation failed: {exc}"}
            return
        with self._drift_lock:
            self._watch.observe(found)
            self._drift = found
            self._reconciled_at = datetime.fromtimestamp(self._clock(), UTC)
        self._problems = {k: v for k, v in self._problems.items() if k != "drift"}

    def snapshot(self) -> Snapshot:
        drift = None
        with self._drift_lock:  # the watch and the round's differences, of the same round
            if self._drift is not None:
                watch = self._watch
                drift = [DriftSeen(d, watch.age_s(d), watch.is_alerting(d)) for d in self._drift]
            reconciled_at = self._reconciled_at
        return Snapshot(
            self._services(),
            self._log_file,
            ready=self._ready,
            status=self._status,
            drift=drift,
            reconciled_at=reconciled_at,
            problems=list(self._problems.values()),
        )

    def __rich__(self) -> RenderableType:
        return render(self.snapshot())

    @contextmanager
    def gathering(self) -> Iterator[None]:
        """The gathering threads, while in this block."""
        done = threading.Event()
        threads = [
            threading.Thread(target=_every, args=(work, every_s, done), daemon=True)
            for work, every_s in (
                (self.update_status, STATUS_EVERY_S),
                (self.update_drift, RECONCILE_EVERY_S),
            )
        ]
        for thread in threads:
            thread.start()
        try:
            yield
        finally:
            done.set()
            for thread in threads:
                thread.join(_JOIN_TIMEOUT_S)


def _every(work: Callable[[], None], every_s: float, done: threading.Event) -> None:
    """``work`` every ``every_s``, or back to back when one round takes longer."""
    while not done.is_set():
        began = time.monotonic()
        work()
        done.wait(max(every_s - (time.monotonic() - began), 0.0))


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=_PROBE_TIMEOUT_S).is_success
    except httpx.TransportError:
        return False


@contextmanager
def shown(view: LiveStatus, log: IO[str]) -> Iterator[None]:
    """The view on this terminal while in this block; this process's output and log lines
    go to ``log`` meanwhile, so that nothing scrambles it. The view is cleared at the end:
    what follows (a bounded run's report, the restarts) is not contradicted by a last frame
    up to a reconciliation round old."""
    console = Console(file=sys.stdout)
    # The handlers writing to the terminal; a FileHandler (a subclass) keeps its file.
    handlers = [
        handler
        for handler in logging.getLogger().handlers
        if type(handler) is logging.StreamHandler
    ]
    previous = [handler.setStream(log) for handler in handlers]
    try:
        with (
            Live(view, console=console, refresh_per_second=1, transient=True,
                 redirect_stdout=False, redirect_stderr=False),
            redirect_stdout(log),
            redirect_stderr(log),
            view.gathering(),
        ):  # fmt: skip
            yield
    finally:
        for handler, stream in zip(handlers, previous, strict=True):
            if stream is not None:
                handler.setStream(stream)
