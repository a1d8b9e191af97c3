"""What happens to each record of a consumer batch: wait, park, handle, retry, dead-letter or
hold (a record that broke a publishing rule, and with key ordering the later ones of its key).

Records are handled in batch order. Consecutive records for one handler form a run: a batch
handler's is one call, a plain handler's a call per record. A run ends at a record for
another handler and, with key ordering, before a second record of a key already in it, so
the first one's outcome (perhaps parking the key) is known before the next is looked at;
unless the handler takes a key's events in order (``in_key_order``) and both come from the
topic itself, not a retry topic (whose records wait on their chains).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from tenacity import Retrying

from retailsync.consumer.breaker import CircuitBreaker
from retailsync.consumer.chains import KeyChains
from retailsync.consumer.invoke import Decoder, call, decode
from retailsync.consumer.record import ConsumedRecord, PartitionId
from retailsync.consumer.retry_path import Position, RetryPath, source_offset
from retailsync.consumer.service import HandlerContext, HandlerSpec, Item
from retailsync.errors import (
    ConfigError,
    HeldError,
    PermanentError,
    RetailsyncError,
    TargetUnavailableError,
    UsageError,
)
from retailsync.headers import (
    APPROVED,
    DUE,
    EVENT_TYPE,
    REJECTED,
    REPLAY,
    TRACEPARENT,
    header,
    int_header,
    text_header,
)
from retailsync.metrics import SAMPLE_EVERY_S, ConsumerMetrics
from retailsync.telemetry import tracing

log = logging.getLogger("retailsync.consumer")

# Makes the tuples (``Item``, ``HandlerContext``) made per record without their Python-level
# ``__new__``, which cost as much again.
_new = tuple.__new__


@dataclass(slots=True)
class Outcome:
    """What the runner does after a batch: store, hold back, or pause and rewind."""

    handled: dict[PartitionId, int] = field(default_factory=dict)  # last handled offset
    not_due: list[ConsumedRecord] = field(default_factory=list)
    # Set when a target went down: these records were not handled and must be read again.
    unhandled: list[ConsumedRecord] | None = None


@dataclass(slots=True)
class _Ready:
    index: int
    record: ConsumedRecord
    position: Position
    spec: HandlerSpec
    event: object
    event_type: str | None  # the record's header, for the metrics


@dataclass(slots=True)
class _Run:
    ready: list[_Ready] = field(default_factory=list)
    keys: set[bytes | None] = field(default_factory=set)
    # Keys with a record from a retry topic in the run.
    retried_keys: set[bytes | None] = field(default_factory=set)

    def has_key(self, key: bytes | None) -> bool:
        return key in self.keys

    def takes_in_key_order(self, spec: HandlerSpec | None, key: bytes | None) -> bool:
        """Whether a topic record of ``key``, which the run has, can join it all the same."""
        if spec is None or not self.ready or key in self.retried_keys:
            return False
        return spec is self.ready[0].spec and spec.in_key_order and len(self.ready) < spec.max_items

    def accepts(self, ready: _Ready) -> bool:
        if not self.ready:
            return True
        spec = self.ready[0].spec
        # A plain handler's run is called a record at a time, so any length will do.
        return ready.spec is spec and (not spec.batch or len(self.ready) < spec.max_items)

    def add(self, ready: _Ready) -> None:
        self.ready.append(ready)
        self.keys.add(ready.record.key)
        if ready.position.level is not None:
            self.retried_keys.add(ready.record.key)

    def take(self) -> list[_Ready]:
        """The run's records, leaving it empty."""
        ready, self.ready = self.ready, []
        self.keys.clear()
        self.retried_keys.clear()
        return ready


class Dispatcher:
    """Handles the records of one service's batches."""

    def __init__(
        self,
        *,
        handlers: Mapping[str, HandlerSpec],
        routed_types: Mapping[str, frozenset[str]],
        decoder: Decoder,
        retry_path: RetryPath,
        chains: dict[PartitionId, KeyChains],
        breakers: dict[str, CircuitBreaker],
        retrying: Retrying,
        ordered: bool,
        clock: Callable[[], float],
        metrics: ConsumerMetrics,
    ) -> None:
        self._handlers = handlers
        # By source topic: the event types the topology sends there; any other is misrouted.
        self._routed_types = routed_types
        self._decoder = decoder
        self._retry_path = retry_path
        self._chains = chains
        self._breakers = breakers
        self._retrying = retrying
        self._ordered = ordered
        self._clock = clock
        # The breaker of what the decoder depends on (a schema registry), while it is open.
        self._decoding_down: CircuitBreaker | None = None
        self._traced = False
        self._metrics = metrics
        # When (by ``clock``) the next handler call's duration is observed.
        self._next_duration = 0.0

    def dispatch(self, records: list[ConsumedRecord]) -> Outcome:
        outcome = Outcome()
        self._traced = tracing()
        held: set[PartitionId] = set()
        run = _Run()
        for index, record in enumerate(records):
            partition = (record.topic, record.partition)
            if partition in held:
                continue
            # With key ordering, a key's earlier outcome (perhaps parking it) comes first.
            if (
                self._ordered
                and run.has_key(record.key)
                and not self._joins_in_key_order(run, record)
                and not self._flush(run.take(), outcome, records)
            ):
                return outcome
            try:
                ready = self._prepare(index, record, outcome, held)
            except TargetUnavailableError as error:
                # The decoder could not reach what it reads schemas from: no record is at
                # fault, so nothing goes to the retry topics; pause until it answers.
                self._decoding_down = self._trip(error.target or "decoder", error)
                outcome.unhandled = [r.record for r in run.ready] + records[index:]
                return outcome
            if ready is None:
                continue
            if not run.accepts(ready) and not self._flush(run.take(), outcome, records):
                return outcome
            run.add(ready)
        self._flush(run.take(), outcome, records)
        return outcome

    def _prepare(
        self, index: int, record: ConsumedRecord, outcome: Outcome, held: set[PartitionId]
    ) -> _Ready | None:
        """A record ready for its handler, or None when it was dealt with here."""
        position = self._retry_path.position(record.topic)
        partition = (record.topic, record.partition)
        if position.level is not None and (int_header(record.headers, DUE) or 0) > self._now_ms():
            held.add(partition)
            outcome.not_due.append(record)
            return None
        chains = self._chains_of(record, position)
        key = record.key
        # Most records come from the topic itself, of a key with nothing parked or held.
        if not (position.level is None and (chains is None or key is None or chains.quiet(key))):
            if self._held(chains, record, position):
                outcome.handled[partition] = record.offset
                return None
            if (
                chains is not None
                and key is not None
                and self._waits(chains, record, key, position)
            ):
                self._metrics.count(position.source_topic, _event_type(record), "parked")
                outcome.handled[partition] = record.offset
                return None
        try:
            decoded = decode(
                self._decoder,
                self._handlers,
                record,
                position.source_topic,
                self._routed_types[position.source_topic],
            )
        except (TargetUnavailableError, ConfigError):
            raise  # the registry is down (pause), or refuses our credentials (stop)
        except RetailsyncError as error:
            if position.observed:
                # Another group's retry or dead letter already: not one more of ours.
                self._metrics.count(position.source_topic, _event_type(record), "skipped")
            else:
                self._route_failure(record, position, error)
            outcome.handled[partition] = record.offset
            return None
        if self._decoding_down is not None:
            self._decoding_down.close()
            self._decoding_down = None
        if decoded.spec is None:
            self._metrics.count(position.source_topic, decoded.event_type, "skipped")
            self._settle(record, position)
            outcome.handled[partition] = record.offset
            return None
        return _Ready(index, record, position, decoded.spec, decoded.event, decoded.event_type)

    def _flush(self, ready: list[_Ready], outcome: Outcome, records: list[ConsumedRecord]) -> bool:
        """Call the handler of a run (``ready``) and settle each record; False if its target
        went down."""
        if not ready:
            return True
        spec = ready[0].spec
        unhandled = ready
        if spec.batch:
            unavailable = self._call_batch(spec, ready, outcome)
        else:
            # A plain handler's run: one call per record, in order, each settled before the
            # next is called.
            for at, item in enumerate(ready):
                unavailable = self._call_one(spec, item, outcome)
                if unavailable is not None:
                    unhandled = ready[at:]
                    break
        if unavailable is None:
            return True
        self._trip(spec.target, unavailable)
        outcome.unhandled = [r.record for r in unhandled] + records[ready[-1].index + 1 :]
        return False

    def _call_batch(
        self, spec: HandlerSpec, ready: list[_Ready], outcome: Outcome
    ) -> TargetUnavailableError | None:
        """One call of a batch handler on ``ready``, whose records it settles unless their
        target went down (returned, and nothing is settled)."""
        context = self._context
        items = [_new(Item, (r.event, context(r.record, r.position))) for r in ready]
        started = time.perf_counter()
        errors = call(
            spec, items, group=self._retry_path.group.name, retrying=self._retrying,
            traced=self._traced,
        )  # fmt: skip
        self._took(ready[0].event_type, time.perf_counter() - started)
        if any(errors):
            unavailable = next((e for e in errors if isinstance(e, TargetUnavailableError)), None)
            if unavailable is not None:
                return unavailable
        self._reached(spec)
        for item, error in zip(ready, errors, strict=True):
            self._settle_handled(item, error, outcome)
        return None

    def _call_one(
        self, spec: HandlerSpec, ready: _Ready, outcome: Outcome
    ) -> TargetUnavailableError | None:
        """``_call_batch`` of a plain handler on one record, without the lists."""
        item = _new(Item, (ready.event, self._context(ready.record, ready.position)))
        started = time.perf_counter()
        (error,) = call(
            spec, (item,), group=self._retry_path.group.name, retrying=self._retrying,
            traced=self._traced,
        )  # fmt: skip
        self._took(ready.event_type, time.perf_counter() - started)
        if isinstance(error, TargetUnavailableError):
            return error
        self._reached(spec)
        self._settle_handled(ready, error, outcome)
        return None

    def _took(self, event_type: str | None, seconds: float) -> None:
        # Sampled: every call on a quiet topic, a hundred a second at full speed.
        now = self._clock()
        if now >= self._next_duration:
            self._next_duration = now + SAMPLE_EVERY_S
            self._metrics.handled(event_type, seconds)

    def _reached(self, spec: HandlerSpec) -> None:
        """The handler's target answered: its breaker, if open, closes."""
        breaker = self._breakers[spec.target]
        if breaker.open:
            breaker.close()

    def _settle_handled(
        self, item: _Ready, error: RetailsyncError | None, outcome: Outcome
    ) -> None:
        """Settle a record its handler was called on, by the call's outcome (``error``)."""
        record = item.record
        if error is None:
            self._metrics.count(item.position.source_topic, item.event_type, "ok")
            self._settle(record, item.position)
        elif isinstance(error, ConfigError | UsageError):
            raise error  # every record would fail alike: stop, do not dead-letter them all
        elif isinstance(error, HeldError) and self._retry_path.group.publishing is not None:
            # (A group without publishing rules has no held topic: retried, then a dead
            # letter like any other failure.)
            self._hold(record, item.position, error)
        else:
            self._route_failure(record, item.position, error)
        # A later record of the partition may be settled already: one that joined the
        # run's key and was then parked or skipped before the run was called.
        partition = (record.topic, record.partition)
        handled = outcome.handled
        handled[partition] = max(record.offset, handled.get(partition, -1))

    def _trip(self, target: str, error: TargetUnavailableError) -> CircuitBreaker:
        """Open ``target``'s breaker (made on first need), which pauses the service."""
        breaker = self._breakers.get(target)
        if breaker is None:
            breaker = self._breakers[target] = CircuitBreaker(target)
        breaker.trip(self._clock())
        self._metrics.paused(target)
        log.warning(
            "%s is unavailable (%s); pausing %s", target, error, self._retry_path.group.name
        )
        return breaker

    def _waits(
        self, chains: KeyChains, record: ConsumedRecord, key: bytes, position: Position
    ) -> bool:
        """Park or move a record that must wait for an earlier one of its key; a record whose
        handler overtakes never waits (a failed one keeps its place in the chain, so the
        records behind it still wait for it)."""
        if position.level is None:
            if not chains.parked(key) or self._overtakes(record):
                return False
            offset = source_offset(record, position)
            level = chains.tail_level(key)
            chains.add(key, offset, level)
            self._retry_path.to_retry(record, level, _ParkedError(), self._now_ms())
            return True
        offset = source_offset(record, position)
        entry = chains.find(key, offset)
        if entry is None and header(record.headers, REPLAY) is not None:
            # An operator's replay or redrive enters the retry path unannounced: it starts
            # its key's chain, or is handled at once while the key waits on another record.
            if not chains.parked(key):
                chains.add(key, offset, position.level)
            return False
        if entry is None or entry.level > position.level:
            return True  # a copy left behind by a move before a crash
        if chains.is_head(key, offset) or self._overtakes(record):
            return False
        entry.level = max(chains.level_ahead(key, offset), position.level)
        self._retry_path.to_retry(record, entry.level, _ParkedError(), self._now_ms())
        return True

    def _joins_in_key_order(self, run: _Run, record: ConsumedRecord) -> bool:
        """Whether a topic record joins a run holding its key, its handler taking a key's
        events in order; asked only of a repeated key, so the common path reads no header."""
        if self._retry_path.position(record.topic).level is not None:
            return False
        return run.takes_in_key_order(self._handlers.get(_event_type(record) or ""), record.key)

    def _held(self, chains: KeyChains | None, record: ConsumedRecord, position: Position) -> bool:
        """Whether the record was dealt with as part of a hold: with key ordering, a source
        record of a held key joins it in the held topic; the operator's copy of a held
        record lifts the hold, and a rejected one goes no further."""
        key = record.key
        if position.level is None:
            if chains is None or key is None or not chains.is_held(key):
                return False
            self._retry_path.to_held(record, _HeldBehindError(), self._now_ms())
            self._metrics.count(position.source_topic, _event_type(record), "held")
            return True
        approved = header(record.headers, APPROVED) is not None
        rejected = header(record.headers, REJECTED) is not None
        if (approved or rejected) and chains is not None and key is not None:
            chains.release(key)
        if rejected:
            self._metrics.count(position.source_topic, _event_type(record), "skipped")
        return rejected

    def _hold(self, record: ConsumedRecord, position: Position, error: HeldError) -> None:
        log.info(
            "%s[%d] %d held: %s", position.source_topic, record.partition,
            source_offset(record, position), error,
        )  # fmt: skip
        self._retry_path.to_held(record, error, self._now_ms())
        self._metrics.count(position.source_topic, _event_type(record), "held")
        self._settle(record, position)
        chains = self._chains_of(record, position)
        if chains is not None and record.key is not None:
            chains.hold(record.key)

    def _overtakes(self, record: ConsumedRecord) -> bool:
        """Whether the record's handler lets it pass the parked records of its key; asked
        only of a record whose key is parked, so the common path reads no header."""
        event_type = text_header(record.headers, EVENT_TYPE) or ""
        spec = self._handlers.get(event_type)
        return spec is not None and event_type in spec.overtakes

    def _settle(self, record: ConsumedRecord, position: Position) -> None:
        # Only a record read from a retry topic can be in a chain.
        if position.level is None or record.key is None:
            return
        chains = self._chains_of(record, position)
        if chains is not None:
            chains.remove(record.key, source_offset(record, position))

    def _route_failure(
        self, record: ConsumedRecord, position: Position, error: RetailsyncError
    ) -> None:
        next_level = 0 if position.level is None else position.level + 1
        offset = source_offset(record, position)
        if isinstance(error, PermanentError) or next_level > self._retry_path.last_level:
            log.warning(
                "%s[%d] %d to the dead-letter topic: %s",
                position.source_topic, record.partition, offset, error,
                extra={"topic": position.source_topic, "partition": record.partition,
                       "offset": offset},
            )  # fmt: skip
            self._retry_path.to_dead_letter(record, error, self._now_ms())
            self._metrics.count(position.source_topic, _event_type(record), "dead_lettered")
            self._metrics.routed(position.source_topic, "dlt")
            self._settle(record, position)
            return
        self._retry_path.to_retry(record, next_level, error, self._now_ms())
        self._metrics.count(position.source_topic, _event_type(record), "retried")
        self._metrics.routed(position.source_topic, f"retry.{next_level + 1}")
        chains = self._chains_of(record, position)
        if chains is not None and record.key is not None:
            chains.add(record.key, offset, next_level)

    def _chains_of(self, record: ConsumedRecord, position: Position) -> KeyChains | None:
        if not self._ordered:
            return None
        partition = (position.source_topic, record.partition)
        chains = self._chains.get(partition)
        if chains is None:
            chains = self._chains[partition] = KeyChains()
        return chains

    def _context(self, record: ConsumedRecord, position: Position) -> HandlerContext:
        return _new(
            HandlerContext,
            (
                record.text_key,
                record.headers,
                position.source_topic,
                record.partition,
                source_offset(record, position),
                position.attempt,
                text_header(record.headers, TRACEPARENT),
                (record.topic, record.offset) if position.observed else None,
            ),
        )

    def _now_ms(self) -> int:
        return int(self._clock() * 1000)


def _event_type(record: ConsumedRecord) -> str | None:
    return text_header(record.headers, EVENT_TYPE)


class _HeldBehindError(Exception):
    """Why a record went to the held topic without being tried: its key is held."""

    def __str__(self) -> str:
        return "waiting behind a held record of the same key"


class _ParkedError(Exception):
    """Why a record went to a retry topic without being tried: its key is parked."""

    def __str__(self) -> str:
        return "waiting behind an earlier record of the same key"
