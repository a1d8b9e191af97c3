"""The report that ends a bounded ``retailsync run --orders N``: what flowed, how fast,
what was retried or dead-lettered, what restarted, and whether Odoo and the channels agree.

The figures come from where an operator would find them: each consumer service's own
``/metrics`` (events by type and outcome, latency, retry and dead-letter routing), the
dead-letter topics (each letter's error class and message pattern), the supervisor's
restart counts, and the reconciliation, which reads Odoo and the channels themselves.
"""

from __future__ import annotations

import html
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from commands.drift import OrderDifference
from consumers.storefront_inventory.drift import StockDifference
from retailsync.operate.dead_letters import Group as DeadLetters

_QUANTILES = (0.5, 0.95, 0.99)


@dataclass
class ServiceFigures:
    """One consumer service's counts, from its /metrics."""

    events: dict[str, dict[str, int]] = field(default_factory=dict)  # event type -> outcome
    routed: dict[str, int] = field(default_factory=dict)  # retry.N or dlt -> records
    # latency upper bounds by quantile ("p50"), seconds: the histogram's bucket bound
    latency_s: dict[str, float | None] = field(default_factory=dict)
    latency_buckets: list[tuple[float, int]] = field(default_factory=list)
    retries: int = 0  # in-process handler retries
    pauses: dict[str, int] = field(default_factory=dict)  # target -> times paused by it


@dataclass
class DayActivity:
    """What the run's retail day did besides placing orders (commands/traffic.py)."""

    fates: dict[str, int] = field(default_factory=dict)  # fate (and "paid") -> orders
    stock_moves: list[str] = field(default_factory=list)  # "SKU ±units", counted in Odoo
    bad_webhooks: dict[str, int] = field(default_factory=dict)  # "kind status" -> sent
    outage: tuple[datetime, datetime | None] | None = None  # Odoo answering 503

    @property
    def bad_webhooks_refused(self) -> bool:
        """Whether every bad webhook got a 4xx: refused at the edge, so never published."""
        return all(400 <= int(key.rpartition(" ")[2]) < 500 for key in self.bad_webhooks)


@dataclass
class RunReport:
    """Everything the bounded run ends with; ``reconciled`` decides its exit code."""

    started_at: datetime
    ended_at: datetime
    settled: bool
    orders: dict[str, int]  # channel -> orders placed
    services: dict[str, ServiceFigures]
    dead_letters: list[DeadLetters]
    restarts: dict[str, int]
    stock_drift: list[StockDifference]
    order_drift: list[OrderDifference]
    day: DayActivity = field(default_factory=DayActivity)

    @property
    def reconciled(self) -> bool:
        """Settled, with no drift, and no bad webhook let in."""
        return (
            self.settled
            and not self.stock_drift
            and not self.order_drift
            and self.day.bad_webhooks_refused
        )

    def to_json(self) -> dict[str, Any]:
        document = asdict(self)
        document["started_at"] = self.started_at.isoformat()
        document["ended_at"] = self.ended_at.isoformat()
        document["reconciled"] = self.reconciled
        document["dead_letters"] = [
            {"topic": g.topic, "error_class": g.error_class, "pattern": g.pattern, "open": g.open}
            for g in self.dead_letters
        ]
        document["order_drift"] = [
            {"order_ref": d.order_ref, "problem": d.problem} for d in self.order_drift
        ]
        document["stock_drift"] = [
            {"channel": d.channel, "key": d.key, "odoo_sellable": d.odoo_sellable,
             "channel_available": d.channel_available}
            for d in self.stock_drift
        ]  # fmt: skip
        return document

    def lines(self) -> list[str]:
        """The report as text, for the terminal."""
        seconds = (self.ended_at - self.started_at).total_seconds()
        placed = ", ".join(f"{count} on {channel}" for channel, count in self.orders.items())
        out = [f"run report: {sum(self.orders.values())} orders ({placed}) in {seconds:.0f} s"]
        out.extend(self._day_lines())
        for name, figures in self.services.items():
            handled = ", ".join(
                f"{event_type} {sum(outcomes.values())}"
                + (f" ({_outcomes(outcomes)})" if set(outcomes) - {"ok"} else "")
                for event_type, outcomes in sorted(figures.events.items())
            )
            latency = "  ".join(
                f"{q} ≤ {_seconds(bound)}"
                for q, bound in figures.latency_s.items()
                if bound is not None
            )
            routed = ", ".join(f"{where} {n}" for where, n in sorted(figures.routed.items()))
            paused = ", ".join(f"by {target} {n}" for target, n in sorted(figures.pauses.items()))
            out.append(f"  {name}: {handled or 'no events'}")
            out.append(
                f"    latency {latency or 'none'}; retries {figures.retries}"
                + (f"; routed {routed}" if routed else "")
                + (f"; paused {paused}" if paused else "")
            )
        for group in self.dead_letters:
            out.append(
                f"  dead letters in {group.topic}: {group.open} "
                f"{group.error_class}: {group.pattern}"
            )
        restarted = {name: n for name, n in self.restarts.items() if n}
        out.append("  restarts: " + (", ".join(f"{n} {c}" for n, c in restarted.items()) or "none"))
        for stock in self.stock_drift:
            out.append(
                f"  stock drift on {stock.channel}: {stock.key} Odoo sellable "
                f"{stock.odoo_sellable}, channel {stock.channel_available}"
            )
        for order in self.order_drift:
            out.append(f"  order drift: {order.order_ref} {order.problem}")
        if not self.settled:
            out.append("  the pipeline did not settle in time (lag, parked records or drift)")
        out.append("reconciled: yes" if self.reconciled else "reconciled: NO")
        return out

    def _day_lines(self) -> list[str]:
        day = self.day
        out = []
        if day.fates:
            fates = ", ".join(f"{fate} {n}" for fate, n in sorted(day.fates.items()))
            out.append(f"  orders by fate: {fates}")
        if day.stock_moves:
            out.append(f"  stock counted in Odoo: {', '.join(day.stock_moves)}")
        if day.bad_webhooks:
            verdict = "refused at the edge" if day.bad_webhooks_refused else "NOT all refused"
            sent = ", ".join(f"{kind} ({n})" for kind, n in sorted(day.bad_webhooks.items()))
            out.append(f"  bad webhooks {verdict}: {sent}")
        if day.outage is not None:
            start, end = day.outage
            since = (start - self.started_at).total_seconds()
            lasted = f"{(end - start).total_seconds():.0f} s" if end else "until the end"
            out.append(f"  Odoo outage (503): {lasted} from +{since:.0f} s")
        return out

    def write(self, directory: Path) -> tuple[Path, Path]:
        """The report as JSON and as an HTML page with a latency chart; their paths."""
        directory.mkdir(parents=True, exist_ok=True)
        stem = f"run-{self.started_at:%Y%m%dT%H%M%SZ}"
        as_json, as_html = directory / f"{stem}.json", directory / f"{stem}.html"
        as_json.write_text(json.dumps(self.to_json(), indent=2, default=str), encoding="utf-8")
        as_html.write_text(_page(self), encoding="utf-8")
        return as_json, as_html


def scrape(url: str) -> ServiceFigures:
    """A consumer service's figures from its /metrics; empty if it does not answer."""
    figures = ServiceFigures()
    try:
        text = httpx.get(url, timeout=5).text
    except httpx.HTTPError:
        return figures
    buckets: dict[float, float] = defaultdict(float)
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = sample.labels
            if sample.name == "retailsync_consumer_events_total":
                outcomes = figures.events.setdefault(labels["event_type"], {})
                outcomes[labels["outcome"]] = outcomes.get(labels["outcome"], 0) + int(sample.value)
            elif sample.name == "retailsync_consumer_routed_total":
                where = labels["destination"]
                figures.routed[where] = figures.routed.get(where, 0) + int(sample.value)
            elif sample.name == "retailsync_consumer_retries_total":
                figures.retries += int(sample.value)
            elif sample.name == "retailsync_consumer_pauses_total":
                target = labels["target"]
                figures.pauses[target] = figures.pauses.get(target, 0) + int(sample.value)
            elif sample.name == "retailsync_consumer_latency_seconds_bucket":
                buckets[float(labels["le"])] += sample.value
    figures.latency_buckets = [(bound, int(count)) for bound, count in sorted(buckets.items())]
    figures.latency_s = {
        f"p{round(q * 100)}": _quantile(figures.latency_buckets, q) for q in _QUANTILES
    }
    return figures


def _quantile(buckets: Sequence[tuple[float, int]], q: float) -> float | None:
    """The upper bound of the bucket holding the ``q`` quantile (cumulative buckets)."""
    total = buckets[-1][1] if buckets else 0
    if not total:
        return None
    return next(bound for bound, count in buckets if count >= q * total)


def _outcomes(outcomes: Mapping[str, int]) -> str:
    return ", ".join(f"{outcome} {n}" for outcome, n in sorted(outcomes.items()))


def _seconds(bound: float | None) -> str:
    if bound is None:
        return "none"
    if bound == float("inf"):
        return "∞"
    return f"{bound:g} s" if bound >= 1 else f"{bound * 1000:g} ms"


def _page(report: RunReport) -> str:
    """A self-contained page: the text report, and per service a bar chart (inline SVG, no
    script) of how many records took up to each latency bound."""
    charts = "".join(
        _chart(name, figures.latency_buckets) for name, figures in report.services.items()
    )
    text = html.escape("\n".join(report.lines()))
    verdict = "reconciled" if report.reconciled else "NOT reconciled"
    return (
        "<!doctype html><html lang=en><meta charset=utf-8>"
        f"<title>retailsync run: {verdict}</title>"
        "<style>body{font-family:sans-serif;margin:2em}pre{background:#f4f4f4;padding:1em}"
        "svg{margin:0 2em 2em 0}</style>"
        f"<h1>retailsync run: {verdict}</h1><pre>{text}</pre>"
        f"<h2>Latency, record timestamp to handled</h2>{charts}</html>"
    )


def _chart(name: str, buckets: Iterable[tuple[float, int]]) -> str:
    """Records per latency bucket (not cumulative), as SVG bars."""
    cumulative = list(buckets)
    counts, previous = [], 0
    for bound, count in cumulative:
        counts.append((bound, count - previous))
        previous = count
    # Up to the slowest bucket that holds a record: the empty tail says nothing.
    while counts and counts[-1][1] == 0:
        counts.pop()
    highest = max((count for _, count in counts), default=0) or 1
    width, height, bar = 40 * max(len(counts), 1), 160, 32
    bars = "".join(
        f"<rect x={i * 40 + 4} y={height - 20 - count * 120 // highest} width={bar} "
        f"height={count * 120 // highest} fill=#4a7><title>{count}</title></rect>"
        f"<text x={i * 40 + 4} y={height - 4} font-size=9>{_seconds(bound)}</text>"
        for i, (bound, count) in enumerate(counts)
    )
    return (
        f"<figure><figcaption>{html.escape(name)}</figcaption>"
        f"<svg width={width} height={height} role=img>{bars}</svg></figure>"
    )
