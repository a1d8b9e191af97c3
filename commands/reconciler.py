"""``retailsync serve reconcile``: the reconciliations on a schedule, what they find as
metrics, and an alert for a difference that persists.

Every round runs what ``retailsync reconcile stock``, ``orders`` and ``finance`` run, reading
the systems themselves. A difference is known by its kind and key (stock: the channel and
``sku@location``; orders: the order ref; finance: the Odoo document), and the watch keeps
when it first saw each: its age is how long it has persisted, as far as this service has
seen. One older than the alert threshold is an alert: a log line at ERROR, once per
difference, and the ``retailsync.drift.alerting`` gauge while it lasts. A round that fails
(a system down or throttling) is logged and counted, and the next one runs on time; a
setting that is wrong stops the service.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import httpx

from commands.drift import OrderDifference
from commands.reconcile import finance_report, order_differences, stock_differences
from consumers.odoo_orders.finance import Finding
from consumers.storefront_inventory.drift import StockDifference
from retailsync.errors import ConfigError, RetailsyncError
from retailsync.health import Rounds
from retailsync.metrics import DRIFT_ALERTS, DRIFT_ROUNDS, watch_drift

log = logging.getLogger(__name__)

KINDS = ("stock", "orders", "finance")


@dataclass(frozen=True, slots=True)
class Drift:
    """One difference: its kind, the key it is about, and what differs."""

    kind: str
    key: str
    what: str

    @classmethod
    def of_stock(cls, difference: StockDifference) -> Drift:
        return cls(
            "stock",
            f"{difference.channel} {difference.key}",
            f"Odoo sellable {difference.odoo_sellable}, "
            f"on the channel {difference.channel_available}",
        )

    @classmethod
    def of_order(cls, difference: OrderDifference) -> Drift:
        return cls("orders", difference.order_ref, difference.problem)

    @classmethod
    def of_finance(cls, finding: Finding) -> Drift:
        return cls("finance", finding.document, finding.reason)


@dataclass(frozen=True, slots=True)
class Window:
    """How far back the reconciliations look: orders settle for ``settle_min`` minutes,
    finance reads ``days`` of documents, a return is due a refund after ``returns_days``."""

    settle_min: float = 15.0
    days: int = 30
    returns_days: int = 14


def find_drift(window: Window) -> list[Drift]:
    """Every difference the three reconciliations find now."""
    found = [Drift.of_stock(d) for d in stock_differences()]
    found += [Drift.of_order(d) for d in order_differences(window.settle_min)]
    report = finance_report(window.days, window.returns_days)
    found += [Drift.of_finance(f) for f in report.findings()]
    return found


class DriftWatch:
    """The differences of the last round, when each was first seen, and which alerted."""

    def __init__(self, alert_after_s: float, clock: Callable[[], float] = time.time) -> None:
        self._alert_after_s = alert_after_s
        self._clock = clock
        self._first_seen: dict[tuple[str, str], float] = {}
        self._alerted: frozenset[tuple[str, str]] = frozenset()

    def observe(self, found: Iterable[Drift]) -> list[Drift]:
        """Take a round's differences; the ones that alert for the first time."""
        now = self._clock()
        current = {(d.kind, d.key): d for d in found}
        # New dicts, swapped in whole: the metrics thread reads them.
        self._first_seen = {key: self._first_seen.get(key, now) for key in current}
        due = {key for key, first in self._first_seen.items() if now - first >= self._alert_after_s}
        fresh = [current[key] for key in sorted(due - self._alerted)]
        self._alerted = frozenset(due)
        return fresh

    def age_s(self, drift: Drift) -> float:
        return self._clock() - self._first_seen[(drift.kind, drift.key)]

    def is_alerting(self, drift: Drift) -> bool:
        """Whether the difference has persisted past the alert threshold."""
        return (drift.kind, drift.key) in self._alerted

    def differences(self) -> dict[str, int]:
        counts = Counter(kind for kind, _ in self._first_seen)
        return {kind: counts[kind] for kind in KINDS}

    def oldest_seconds(self) -> dict[str, float]:
        now, first_seen = self._clock(), self._first_seen
        return {
            kind: max((now - at for (k, _), at in first_seen.items() if k == kind), default=0.0)
            for kind in KINDS
        }

    def alerting(self) -> dict[str, int]:
        counts = Counter(kind for kind, _ in self._alerted)
        return {kind: counts[kind] for kind in KINDS}


def run_reconciler(
    window: Window,
    *,
    every_s: float,
    alert_after_s: float,
    stop: threading.Event,
    say: Callable[[str], None],
    rounds: Rounds,
    find: Callable[[Window], list[Drift]] = find_drift,
) -> None:
    """A round now and every ``every_s`` until ``stop`` is set; each ends in ``rounds``."""
    watch = DriftWatch(alert_after_s)
    watch_drift(watch)
    while True:
        try:
            found = find(window)
        except ConfigError:
            raise
        except (RetailsyncError, httpx.HTTPError) as exc:
            DRIFT_ROUNDS.add(1, {"outcome": "failed"})
            log.warning("reconciliation round failed: %s", exc)
        else:
            DRIFT_ROUNDS.add(1, {"outcome": "ok"})
            for drift in watch.observe(found):
                DRIFT_ALERTS.add(1, {"kind": drift.kind})
                log.error("drift alert: %s %s has persisted %.0f s: %s",
                          drift.kind, drift.key, watch.age_s(drift), drift.what)  # fmt: skip
            counts = ", ".join(f"{kind} {n}" for kind, n in watch.differences().items())
            say(f"reconciled: {len(found)} difference(s) ({counts})")
        rounds.whole()
        if stop.wait(every_s):
            return
