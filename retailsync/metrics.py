"""The product's metrics: OpenTelemetry instruments, exposed in Prometheus' text format.

Instruments are created on the global meter at import; until ``serve_prometheus`` installs
a meter provider (once per process, at start) they are no-ops. Names follow OpenTelemetry
(``retailsync.consumer.events``) and become Prometheus names on the way out
(``retailsync_consumer_events_total``); durations are in seconds.

The consumer loop's hot path adds to plain dicts and hands them on once per batch
(``ConsumerMetrics.batch_done``), and the counts of events are observable counters, read at
each collection: an instrument call costs a few microseconds, a dict increment a few tens of
nanoseconds. Labels are bounded sets (groups, topics, event types, outcomes, targets,
methods, routes); never a key, an id or any value from a payload.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, Literal, Protocol

from opentelemetry import metrics
from opentelemetry.metrics import CallbackOptions, Observation
from tenacity import RetryCallState, Retrying

from retailsync.errors import (
    ConfigError,
    PermanentError,
    TargetUnavailableError,
    TransientError,
    classify,
)

_meter = metrics.get_meter("retailsync")

# Seconds, from a fast handler call to a record that waited in the last retry topic.
_DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
_LATENCY_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600)

# The consumer's histograms (a handler call's duration, a batch's latency) observe at most
# once in this many seconds: a histogram's record cost about 71k instructions in
# OpenTelemetry's SDK (counted with cachegrind), a sixth of decoding an order.
SAMPLE_EVERY_S = 0.01

Outcome = Literal["ok", "retried", "dead_lettered", "parked", "held", "skipped"]


class _Counts:
    """A counter's values by its labels (in ``labels``' order), kept in a dict under a lock
    and read by an observable counter at each collection. A counter's ``add`` cost several
    microseconds with the SDK: as much as encoding an event, or, at a steady rate, where
    consumer batches hold a few records, as much as handling one."""

    def __init__(self, labels: tuple[str, ...]) -> None:
        self._labels = labels
        self._counts: Counter[tuple[str, ...]] = Counter()
        self._lock = threading.Lock()  # publishers and consumers may run on several threads

    def add(self, *values: str) -> None:
        with self._lock:
            self._counts[values] += 1

    def add_all(self, counts: Mapping[tuple[str, ...], int]) -> None:
        with self._lock:
            self._counts.update(counts)

    def observe(self, _options: CallbackOptions) -> Iterable[Observation]:
        with self._lock:
            counts = list(self._counts.items())
        return [
            Observation(n, dict(zip(self._labels, values, strict=True))) for values, n in counts
        ]


def _observed_counter(name: str, counts: _Counts, *, unit: str, description: str) -> _Counts:
    _meter.create_observable_counter(name, [counts.observe], unit=unit, description=description)
    return counts


EVENTS_PUBLISHED = _observed_counter(
    "retailsync.events.published",
    _Counts(("event_type", "topic")),
    unit="{event}",
    description="events produced, by type",
)
EVENTS_CONSUMED = _observed_counter(
    "retailsync.consumer.events",
    _Counts(("group", "topic", "event_type", "outcome")),
    unit="{event}",
    description="records a consumer group dealt with, by event type and outcome",
)
HANDLER_DURATION = _meter.create_histogram(
    "retailsync.consumer.handler.duration",
    unit="s",
    description=(
        "one handler call (a batch handler's call covers its whole batch); sampled, at most "
        "one call in 10 ms"
    ),
    explicit_bucket_boundaries_advisory=_DURATION_BUCKETS,
)
LATENCY = _meter.create_histogram(
    "retailsync.consumer.latency",
    unit="s",
    description=(
        "record timestamp to handled, for the oldest source record of a batch; sampled, at "
        "most one batch in 10 ms"
    ),
    explicit_bucket_boundaries_advisory=_LATENCY_BUCKETS,
)
RETRIES = _meter.create_counter(
    "retailsync.consumer.retries", unit="{retry}", description="in-process handler retries"
)
ROUTED = _observed_counter(
    "retailsync.consumer.routed",
    _Counts(("group", "topic", "destination")),
    unit="{record}",
    description="records sent to a retry topic (destination retry.<delay>) or the dead-letter "
    "topic (destination dlt); retry.1 is the first retry topic",
)
PAUSES = _meter.create_counter(
    "retailsync.consumer.pauses",
    unit="{pause}",
    description="times a consumer group paused because a target was unavailable",
)
CLIENT_DURATION = _meter.create_histogram(
    "retailsync.client.duration",
    unit="s",
    description="calls to Odoo and the storefront, by method and outcome",
    explicit_bucket_boundaries_advisory=_DURATION_BUCKETS,
)
MAPPING_DIFFERENCES = _meter.create_counter(
    "retailsync.commerce.mapping_differences",
    unit="{event}",
    description="orders whose webhook body does not add up (lines + shipping + fees - "
    "discounts (+ tax) != total): published with the difference, by platform",
)
ORDERS_FLAGGED = _meter.create_counter(
    "retailsync.odoo_orders.flagged",
    unit="{order}",
    description="Odoo orders flagged for finance, by reason: mapping_difference (the event "
    "did not add up) or totals (Odoo's totals differ from the channel's)",
)
SFCC_ORDERS = _meter.create_counter(
    "retailsync.sfcc.orders",
    unit="{order}",
    description="SFCC orders the export took, by channel and outcome: exported (published, "
    "then marked) or failed (dead-lettered, then marked); and exported orders whose change "
    "(a cancellation, a payment) was published: changed",
)
SFCC_ROUNDS = _meter.create_counter(
    "retailsync.sfcc.rounds",
    unit="{round}",
    description="SFCC export rounds of one site, by channel and outcome: ok, or failed "
    "(the site or the brokers away: tried again next round)",
)
HTTP_SERVER_DURATION = _meter.create_histogram(
    "http.server.request.duration",
    unit="s",
    description="HTTP requests served, by route and status (webhooks: one route per channel)",
    explicit_bucket_boundaries_advisory=_DURATION_BUCKETS,
)


class _Breaker(Protocol):
    @property
    def target(self) -> str: ...
    @property
    def open(self) -> bool: ...


class _Record(Protocol):
    @property
    def topic(self) -> str: ...
    @property
    def partition(self) -> int: ...
    @property
    def timestamp_ms(self) -> int: ...


class ConsumerMetrics:
    """The metrics of one consumer group's instance, fed by the consumer loop."""

    def __init__(
        self,
        group: str,
        sources: Iterable[str],
        breakers: Mapping[str, _Breaker],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.group = group
        self._sources = frozenset(sources)
        self._breakers = breakers
        self._clock = clock
        self._outcomes: Counter[tuple[str, str, Outcome]] = Counter()
        self._routed: Counter[tuple[str, str]] = Counter()
        # Written by the consumer loop (stats_cb runs inside consume), read by the scrape thread.
        self._lock = threading.Lock()
        self._lag: dict[tuple[str, int], int] = {}
        self._parked: dict[str, int] = {}
        self._last_timestamp: dict[tuple[str, int], float] = {}
        # When (by ``clock``) the next batch's latency is observed.
        self._next_latency = 0.0
        _LIVE.append(self)

    # --- fed by the dispatcher, per record: plain dict increments ------------------------

    def count(self, topic: str, event_type: str | None, outcome: Outcome) -> None:
        self._outcomes[(topic, event_type or "unknown", outcome)] += 1

    def routed(self, topic: str, destination: str) -> None:
        self._routed[(topic, destination)] += 1

    def handled(self, event_type: str | None, seconds: float) -> None:
        """One handler call took ``seconds``."""
        HANDLER_DURATION.record(
            seconds, {"group": self.group, "event_type": event_type or "unknown"}
        )

    def waited(self, topic: str, seconds: float) -> None:
        """The oldest record of ``topic`` in a batch was handled ``seconds`` after its
        timestamp."""
        LATENCY.record(seconds, {"group": self.group, "topic": topic})

    def paused(self, target: str) -> None:
        PAUSES.add(1, {"group": self.group, "target": target})

    def counting_retries(self, retrying: Retrying) -> Retrying:
        """``retrying`` that counts each in-process retry."""
        attributes = {"group": self.group}

        def count(_state: RetryCallState) -> None:
            RETRIES.add(1, attributes)

        return retrying.copy(before_sleep=count)

    # --- once per batch ------------------------------------------------------------------

    def batch_done(self, records: Sequence[_Record]) -> None:
        """Hand the batch's counts on, and note how old its records were."""
        group = self.group
        if self._outcomes:
            EVENTS_CONSUMED.add_all({(group, *labels): n for labels, n in self._outcomes.items()})
            self._outcomes.clear()
        if self._routed:
            ROUTED.add_all({(group, *labels): n for labels, n in self._routed.items()})
            self._routed.clear()
        if not records:
            return
        # Comprehensions, not one loop: a few hundred records a batch.
        newest = {(record.topic, record.partition): record.timestamp_ms for record in records}
        now = self._clock()
        # Sampled in time, as handler durations are: at a steady rate a batch holds a record
        # or two, and a histogram's record cost a sixth of handling one.
        if now >= self._next_latency:
            self._next_latency = now + SAMPLE_EVERY_S
            for topic in self._sources.intersection(topic for topic, _ in newest):
                oldest = min(record.timestamp_ms for record in records if record.topic == topic)
                self.waited(topic, max(0.0, now - oldest / 1000))
        with self._lock:
            for partition, timestamp_ms in newest.items():
                self._last_timestamp[partition] = timestamp_ms / 1000

    # --- lag, from librdkafka's statistics -----------------------------------------------

    def kafka_config(self, interval_ms: int = 10_000) -> dict[str, Any]:
        """librdkafka properties that report the group consumer's lag here."""
        return {"statistics.interval.ms": interval_ms, "stats_cb": self._on_statistics}

    def _on_statistics(self, document: str) -> None:
        lag = dict(_partition_lags(document))
        with self._lock:
            self._lag = lag

    def retry_kafka_config(
        self, source_of: Mapping[str, str], interval_ms: int = 10_000
    ) -> dict[str, Any]:
        """librdkafka properties that report here, from the retry consumer, how many records
        wait in the group's retry topics; ``source_of`` maps each retry topic to its source."""

        def on_statistics(document: str) -> None:
            parked: Counter[str] = Counter()
            for topic, entry in json.loads(document).get("topics", {}).items():
                for partition, stats in entry.get("partitions", {}).items():
                    if partition != "-1" and stats.get("fetch_state") != "none":
                        parked[source_of.get(topic, topic)] += _unread(stats)
            with self._lock:
                self._parked = dict(parked)

        return {"statistics.interval.ms": interval_ms, "stats_cb": on_statistics}

    def parked(self) -> dict[str, int]:
        """Per source topic, the records waiting in the group's retry topics."""
        with self._lock:
            return dict(self._parked)

    def lag(self) -> list[tuple[tuple[str, int], int, float]]:
        """(topic, partition), records behind, and seconds behind, per assigned partition.

        Seconds behind: zero when caught up, else the age of the last record handled there.
        """
        now = self._clock()
        with self._lock:
            return [
                (
                    partition,
                    records,
                    0.0
                    if records == 0
                    else max(0.0, now - self._last_timestamp.get(partition, now)),
                )
                for partition, records in self._lag.items()
            ]

    def breaker_states(self) -> list[tuple[str, bool]]:
        return [(breaker.target, breaker.open) for breaker in self._breakers.values()]

    def close(self) -> None:
        """Stop reporting this instance's gauges."""
        if self in _LIVE:
            _LIVE.remove(self)


def _partition_lags(document: str) -> Iterator[tuple[tuple[str, int], int]]:
    """(topic, partition) and records behind, from a librdkafka statistics document."""
    for topic, entry in json.loads(document).get("topics", {}).items():
        for partition, stats in entry.get("partitions", {}).items():
            # -1 is librdkafka's unassigned pseudo-partition; a lag of -1 is unknown.
            records = stats.get("consumer_lag", -1)
            if partition != "-1" and stats.get("fetch_state") != "none" and records >= 0:
                yield (topic, int(partition)), records


def _unread(stats: Mapping[str, Any]) -> int:
    """Records of a partition past the group's committed offset, or all of them when the
    group never committed there (its retry consumers start at the earliest record); the
    last stable offset, as we read committed records only."""
    end = stats.get("ls_offset", -1)
    committed = stats.get("committed_offset", -1)
    start = committed if committed >= 0 else stats.get("lo_offset", -1)
    return max(0, end - start) if end >= 0 and start >= 0 else 0


# Instances whose gauges are reported; a process usually runs one.
_LIVE: list[ConsumerMetrics] = []


def _breaker_gauge(_options: CallbackOptions) -> Iterable[Observation]:
    return [
        Observation(int(is_open), {"group": live.group, "target": target})
        for live in list(_LIVE)
        for target, is_open in live.breaker_states()
    ]


def _lag_records(_options: CallbackOptions) -> Iterable[Observation]:
    return [
        Observation(records, _partition_attributes(live, partition))
        for live in list(_LIVE)
        for partition, records, _seconds in live.lag()
    ]


def _lag_seconds(_options: CallbackOptions) -> Iterable[Observation]:
    return [
        Observation(seconds, _partition_attributes(live, partition))
        for live in list(_LIVE)
        for partition, _records, seconds in live.lag()
    ]


def _parked_records(_options: CallbackOptions) -> Iterable[Observation]:
    return [
        Observation(records, {"group": live.group, "topic": topic})
        for live in list(_LIVE)
        for topic, records in live.parked().items()
    ]


def _partition_attributes(live: ConsumerMetrics, partition: tuple[str, int]) -> dict[str, str]:
    return {"group": live.group, "topic": partition[0], "partition": str(partition[1])}


DRIFT_ROUNDS = _meter.create_counter(
    "retailsync.drift.rounds",
    unit="{round}",
    description="scheduled reconciliation rounds, by outcome (ok or failed)",
)
DRIFT_ALERTS = _meter.create_counter(
    "retailsync.drift.alerts",
    unit="{alert}",
    description="differences between the systems that persisted past the alert threshold, "
    "by kind, once each",
)


class DriftFigures(Protocol):
    """What a scheduled reconciliation found last, by kind (stock, orders, finance)."""

    def differences(self) -> Mapping[str, int]: ...

    def oldest_seconds(self) -> Mapping[str, float]: ...

    def alerting(self) -> Mapping[str, int]: ...


_DRIFT: list[DriftFigures] = []


def watch_drift(figures: DriftFigures) -> None:
    """Report ``figures`` as the drift gauges from now on (one watch per process)."""
    _DRIFT[:] = [figures]


def _drift_gauge(read: Callable[[DriftFigures], Mapping[str, float]]) -> Any:
    def observe(_options: CallbackOptions) -> Iterable[Observation]:
        return [
            Observation(value, {"kind": kind})
            for figures in list(_DRIFT)
            for kind, value in read(figures).items()
        ]

    return observe


_meter.create_observable_gauge(
    "retailsync.drift.differences",
    [_drift_gauge(lambda figures: figures.differences())],
    unit="{difference}",
    description="differences between Odoo and the channels the last reconciliation found",
)
_meter.create_observable_gauge(
    "retailsync.drift.oldest",
    [_drift_gauge(lambda figures: figures.oldest_seconds())],
    unit="s",
    description="how long the oldest difference of a kind has persisted; 0 without one",
)
_meter.create_observable_gauge(
    "retailsync.drift.alerting",
    [_drift_gauge(lambda figures: figures.alerting())],
    unit="{difference}",
    description="differences persisting past the alert threshold",
)
_meter.create_observable_gauge(
    "retailsync.consumer.breaker.open",
    [_breaker_gauge],
    unit="1",
    description="1 while the circuit breaker of a target is open (the group is paused)",
)
_meter.create_observable_gauge(
    "retailsync.consumer.lag",
    [_lag_records],
    unit="{record}",
    description="records behind the partition's end (librdkafka statistics, every 10 s)",
)
_meter.create_observable_gauge(
    "retailsync.consumer.parked",
    [_parked_records],
    unit="{record}",
    description="records of a source topic waiting in the group's retry topics",
)
_meter.create_observable_gauge(
    "retailsync.consumer.lag.age",
    [_lag_seconds],
    unit="s",
    description="age of the last record handled in a partition that is behind; 0 caught up",
)


@contextmanager
def client_call(target: str, method: str) -> Iterator[None]:
    """Time one call to ``target`` (odoo, storefront) and count its outcome."""
    started = time.perf_counter()
    outcome = "ok"
    try:
        yield
    except BaseException as exc:
        outcome = _outcome_of(exc)
        raise
    finally:
        CLIENT_DURATION.record(
            time.perf_counter() - started,
            {"target": target, "method": method, "outcome": outcome},
        )


def _outcome_of(exc: BaseException) -> str:
    error = classify(exc)
    for kind, name in (
        (TargetUnavailableError, "unavailable"),
        (TransientError, "transient"),
        (ConfigError, "config"),
        (PermanentError, "permanent"),
    ):
        if isinstance(error, kind):
            return name
    return "error"
