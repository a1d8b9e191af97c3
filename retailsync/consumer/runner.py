"""The consumer loop: at-least-once delivery with retry topics, dead letters, key-ordered
retries and back-pressure.

Two consumers per instance. The group consumer (group id = the service's name) subscribes
to the source topics with cooperative-sticky assignment. The retry consumer is assigned by
hand, for every source partition the instance owns, the same partition of each of the
group's retry topics, and keeps its offsets under ``{name}.retry``; so the instance that
owns a source partition also owns every parked record of its keys.

A batch is: consume what is there (waiting only for the first record), handle each record
in order, flush the retry/dead-letter producer (every routed record acknowledged by the
brokers), then store the offsets of the handled records; stored offsets are committed
every few seconds, on revocation and on shutdown.
A crash anywhere re-delivers records after the last commit, never loses one.
"""

from __future__ import annotations

import gc
import hashlib
import logging
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from confluent_kafka import Consumer, KafkaError, KafkaException, Message, TopicPartition

from retailsync.consumer.breaker import CircuitBreaker
from retailsync.consumer.chains import KeyChains
from retailsync.consumer.dispatch import Dispatcher
from retailsync.consumer.invoke import Decoder, in_process_retrying
from retailsync.consumer.pause_mark import pause_mark
from retailsync.consumer.record import ConsumedRecord, PartitionId
from retailsync.consumer.recovery import rebuild_chains, rebuild_holds
from retailsync.consumer.retry_path import MAX_RECORD_BYTES, RetryPath
from retailsync.consumer.service import ConsumerService
from retailsync.headers import DUE, int_header
from retailsync.kafka.producer import BrokerWatch, KafkaProducer
from retailsync.metrics import ConsumerMetrics
from retailsync.settings import Settings
from retailsync.topology import Topology

log = logging.getLogger("retailsync.consumer")

# Of the subscriptions' digest in a static member id: 32 bits tell topologies apart.
_DIGEST_CHARS = 8


@dataclass(frozen=True, slots=True)
class RunnerOptions:
    batch_size: int = 500
    poll_timeout_s: float = 0.2
    flush_timeout_s: float = 30.0
    shutdown_timeout_s: float = 30.0
    commit_interval_ms: int = 1_000


class ServiceRunner:
    """Runs one ConsumerService until ``stop`` is set (or SIGTERM/SIGINT arrives).

    The runner owns ``decoder``: it closes it (a schema registry client) when it stops.

    While it runs, the objects the process holds when it starts consuming (modules, schemas,
    models, clients: a hundred thousand or more) are frozen out of the cyclic garbage
    collector (``gc.freeze``). A batch keeps its events alive until its handlers return,
    so they outlive the young generations, and every full collection then walked that whole
    heap: in a batch handler's service, about a sixth of the CPU per event. Frozen objects
    that become garbage in a cycle are freed only after the runner stops.
    """

    def __init__(
        self,
        service: ConsumerService,
        settings: Settings,
        topology: Topology,
        decoder: Decoder,
        *,
        options: RunnerOptions = RunnerOptions(),
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.service = service
        self.group = topology.consumer(service.name)
        # By source topic (observed topics are read as their source topic's records).
        self._routed_types = {
            topic: frozenset(
                event_type
                for event_type, destination in topology.events.items()
                if destination.topic == topic
            )
            for topic in self.group.subscriptions
        }
        self.ordered = self.group.retry.ordering == "key"
        self._settings = settings
        self._decoder = decoder
        self._options = options
        self._clock = clock
        self._stop = threading.Event()
        self._breakers = {
            spec.target: CircuitBreaker(spec.target) for spec in service.handlers.values()
        }
        self._chains: dict[PartitionId, KeyChains] = {}
        self._not_due: dict[tuple[str, int], float] = {}
        # The targets the group's committed offsets say it is paused by (``pause_mark``).
        self._marked: frozenset[str] = frozenset()
        # Replaced, never mutated, so other threads may read it.
        self._assigned: frozenset[tuple[str, int]] = frozenset()
        self.metrics = ConsumerMetrics(
            self.group.name, self.group.subscriptions, self._breakers, clock
        )
        # For the liveness and readiness probes (retailsync.health), read from another thread.
        self.last_turn = time.monotonic()
        self.joined = threading.Event()
        self._retry_config = {
            **settings.consumer_config(f"{self.group.name}.retry"),
            "auto.commit.interval.ms": options.commit_interval_ms,
        }

    def stop(self) -> None:
        self._stop.set()

    @property
    def paused_by(self) -> frozenset[str]:
        """The targets whose circuit breaker is open: while any is, the service is paused."""
        return frozenset(
            breaker.target for breaker in list(self._breakers.values()) if breaker.open
        )

    @property
    def assigned(self) -> frozenset[tuple[str, int]]:
        """The source partitions this instance owns now."""
        return self._assigned

    def run(self) -> None:
        """Consume until stopped; on the way out, finish the batch, commit and close."""
        self._producer = KafkaProducer(
            self._settings,
            name=f"{self.group.name} retry path",
            options={"message.max.bytes": MAX_RECORD_BYTES},
            failures_only=True,
        )
        self._retry_path = RetryPath(self.group, self._producer)
        self._dispatcher = Dispatcher(
            handlers=self.service.handlers,
            routed_types=self._routed_types,
            decoder=self._decoder,
            retry_path=self._retry_path,
            chains=self._chains,
            breakers=self._breakers,
            retrying=self.metrics.counting_retries(
                in_process_retrying(self.group.retry.in_process_attempts)
            ),
            metrics=self.metrics,
            ordered=self.ordered,
            clock=self._clock,
        )
        main_config = {
            **self._settings.consumer_config(self.group.name),
            "auto.commit.interval.ms": self._options.commit_interval_ms,
            **self.metrics.kafka_config(),
        }
        if self._settings.instance_id is not None:
            # Static membership for the group consumer only: the retry consumer is assigned
            # by hand and joins no group.
            main_config["group.instance.id"] = static_member_id(
                self._settings.instance_id, self.group.reads
            )
        self._main_watch = BrokerWatch(self.group.name)
        self._main = Consumer({**main_config, **self._main_watch.config()})
        source_of = {
            retry: topic for topic in self.group.subscriptions
            for retry in self.group.retry_topics(topic)
        }  # fmt: skip
        self._retry = Consumer(
            {
                **self._retry_config,
                **self.metrics.retry_kafka_config(source_of),
                **BrokerWatch(f"{self.group.name}.retry").config(),
            }
        )
        gc.collect()  # what is garbage already is not frozen
        gc.freeze()
        with self._signals():
            self._main.subscribe(
                list(self.group.reads),
                on_assign=self._on_assign,
                on_revoke=self._on_revoke,
                on_lost=self._on_lost,
            )
            try:
                while not self._stop.is_set():
                    self._run_batch()
            finally:
                self._shutdown()

    # --- the batch -----------------------------------------------------------------------

    def _run_batch(self) -> None:
        self.last_turn = time.monotonic()
        now = self._clock()
        self._resume_due(now)
        self._probe_breakers(now)
        messages = self._consume()
        records = []
        for message in messages:
            error = message.error()
            if error is None:
                records.append(ConsumedRecord.of(message))
            else:
                _raise_if_fatal(error)
        if records:
            self._main_watch.reachable()
        outcome = self._dispatcher.dispatch(records)
        for record in outcome.not_due:
            self._hold_until_due(record)
        if outcome.unhandled is not None:
            self._pause_all(outcome.unhandled, outcome.handled)
        self._producer.flush(self._options.flush_timeout_s)
        self._store(outcome.handled)
        self.metrics.batch_done(records)
        # A probe of a paused target closes its breaker for a moment: a pause ends when
        # records were handled again.
        paused_by = self.paused_by
        if paused_by != self._marked and (paused_by or outcome.handled):
            self._marked = paused_by
            self._mark(self._main.assignment(), pause_mark(paused_by, time.time()))

    def _consume(self) -> list[Message]:
        """The records there are now, up to a batch from each consumer; when there are none,
        wait up to ``poll_timeout_s`` for the first. A batch is dispatched as soon as records
        are there: waiting to fill it would only add latency."""
        size = self._options.batch_size
        main = self._main.consume(size, 0)
        retry = self._retry.consume(size, 0)
        if not main and not retry:
            first = self._main.poll(self._options.poll_timeout_s)
            if first is not None:
                main = [first, *self._main.consume(size - 1, 0)]
        return [*main, *retry]

    # --- pausing ---------------------------------------------------------------------------

    def _mark(self, partitions: list[TopicPartition], mark: str) -> None:
        """Commit the offsets of ``partitions`` again with ``mark`` as their metadata: a
        pause (``pause_mark``), or none when it ends or the partitions leave this paused
        instance, so that ``retailsync status`` can tell a paused group. A mark that cannot
        be written is logged: it is for people, and consuming must go on."""
        if not partitions:
            return
        timeout_s = self._options.flush_timeout_s
        try:
            _commit(self._main)
            positions = {(tp.topic, tp.partition): tp for tp in self._main.position(partitions)}
            marked = []
            for tp in self._main.committed(partitions, timeout=timeout_s):
                # Where the group would resume: its commit, else (between batches
                # everything before it was handled) the position, else the log's start
                # (auto.offset.reset=earliest).
                offset = tp.offset if tp.offset >= 0 else positions[(tp.topic, tp.partition)].offset
                if offset < 0:
                    offset = self._main.get_watermark_offsets(tp, timeout_s, cached=False)[0]
                marked.append(TopicPartition(tp.topic, tp.partition, offset, metadata=mark))
            self._main.commit(offsets=marked, asynchronous=False)
        except KafkaException as exc:
            log.warning("%s: could not mark the pause in its offsets: %s", self.group.name, exc)

    def _hold_until_due(self, record: ConsumedRecord) -> None:
        partition = TopicPartition(record.topic, record.partition, record.offset)
        self._retry.seek(partition)
        self._retry.pause([partition])
        self._not_due[(record.topic, record.partition)] = (
            int_header(record.headers, DUE) or 0
        ) / 1000

    def _resume_due(self, now: float) -> None:
        if any(breaker.open for breaker in self._breakers.values()):
            return
        due = [key for key, at in self._not_due.items() if at <= now]
        for topic, partition in due:
            del self._not_due[(topic, partition)]
        if due:
            self._retry.resume([TopicPartition(topic, partition) for topic, partition in due])

    def _pause_all(self, unhandled: list[ConsumedRecord], handled: dict[PartitionId, int]) -> None:
        """Pause everything and rewind each partition to its first unhandled record."""
        rewind: dict[PartitionId, int] = {}
        for record in unhandled:
            partition = (record.topic, record.partition)
            rewind[partition] = min(record.offset, rewind.get(partition, record.offset))
        for partition, offset in rewind.items():
            # Offsets are stored in order: nothing at or after a rewound record counts.
            if handled.get(partition, -1) >= offset:
                handled[partition] = offset - 1
        for consumer in (self._main, self._retry):
            assigned = consumer.assignment()
            consumer.pause(assigned)
            for tp in assigned:
                start = rewind.get((tp.topic, tp.partition))
                if start is not None:
                    consumer.seek(TopicPartition(tp.topic, tp.partition, start))

    def _probe_breakers(self, now: float) -> None:
        tripped = [breaker for breaker in self._breakers.values() if breaker.open]
        if not tripped or not all(breaker.may_probe(now) for breaker in tripped):
            return
        # Half-open: consume again; the first record for the target is the probe, and a
        # failure pauses everything again with a longer delay.
        log.info("probing %s", ", ".join(breaker.target for breaker in tripped))
        self._main.resume(self._main.assignment())
        self._retry.resume(
            [tp for tp in self._retry.assignment() if (tp.topic, tp.partition) not in self._not_due]
        )

    # --- offsets and rebalances -----------------------------------------------------------

    def _store(self, handled: dict[PartitionId, int]) -> None:
        for consumer, positions in self._split(handled):
            if positions:
                consumer.store_offsets(offsets=positions)

    def _split(
        self, handled: dict[PartitionId, int]
    ) -> Iterator[tuple[Consumer, list[TopicPartition]]]:
        # An offset of -1 left by a rewind means nothing of that partition was handled.
        positions = [(t, p, o) for (t, p), o in handled.items() if o >= 0]
        main = [
            TopicPartition(t, p, o + 1)
            for t, p, o in positions
            if self._retry_path.position(t).level is None
        ]
        retry = [
            TopicPartition(t, p, o + 1)
            for t, p, o in positions
            if self._retry_path.position(t).level is not None
        ]
        yield self._main, main
        yield self._retry, retry

    def _retry_partitions(self, partitions: list[TopicPartition]) -> list[TopicPartition]:
        return [
            TopicPartition(topic, tp.partition)
            for tp in partitions
            for topic in self._retry_path.retry_topics(tp.topic)
        ]

    def _on_assign(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        retry = self._retry_partitions(partitions)
        if self.ordered:
            self._chains.update(
                rebuild_chains(
                    self._retry_config,
                    [
                        ((tp.topic, tp.partition), self._retry_path.retry_topics(tp.topic))
                        for tp in partitions
                        if not self._retry_path.position(tp.topic).observed
                    ],
                )
            )
            if self.group.publishing is not None:
                rebuild_holds(
                    self._retry_config,
                    self._chains,
                    [
                        ((tp.topic, tp.partition), self.group.held_topic(tp.topic))
                        for tp in partitions
                        if tp.topic in self.group.subscriptions
                    ],
                )
        self._retry.incremental_assign(retry)
        if any(breaker.open for breaker in self._breakers.values()):
            consumer.pause(partitions)
            self._retry.pause(retry)
        self._assigned |= {(tp.topic, tp.partition) for tp in partitions}
        self.joined.set()
        log.info("%s assigned %s", self.group.name, _names(partitions))

    def _on_revoke(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        self._producer.flush(self._options.flush_timeout_s)
        _commit(consumer)
        if self._marked:  # whoever gets them is not paused by this instance's breakers
            self._mark(partitions, "")
        _commit(self._retry)
        self._release(partitions)

    def _on_lost(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        self._release(partitions)

    def _release(self, partitions: list[TopicPartition]) -> None:
        # Only what the retry consumer holds: an assignment whose callback failed before it
        # assigned the retry partitions may still be revoked or lost, and unassigning what
        # is not assigned is an error in librdkafka.
        held = {(tp.topic, tp.partition) for tp in self._retry.assignment()}
        retry = [
            tp for tp in self._retry_partitions(partitions) if (tp.topic, tp.partition) in held
        ]
        if retry:
            self._retry.incremental_unassign(retry)
        self._assigned -= {(tp.topic, tp.partition) for tp in partitions}
        for tp in partitions:
            self._chains.pop((tp.topic, tp.partition), None)
        for tp in retry:
            self._not_due.pop((tp.topic, tp.partition), None)
        log.info("%s released %s", self.group.name, _names(partitions))

    def _shutdown(self) -> None:
        deadline = time.monotonic() + self._options.shutdown_timeout_s
        try:
            self._producer.flush(max(1.0, deadline - time.monotonic()))
            _commit(self._main)
            if self._marked:
                self._mark(self._main.assignment(), "")
            _commit(self._retry)
        finally:
            self.metrics.close()
            self._main.close()
            self._retry.close()
            self._producer.close(max(0.0, deadline - time.monotonic()))
            self._decoder.close()
            gc.unfreeze()

    @contextmanager
    def _signals(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
        for sig in previous:
            signal.signal(sig, lambda _signum, _frame: self._stop.set())
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def _commit(consumer: Consumer) -> None:
    try:
        consumer.commit(asynchronous=False)
    except KafkaException as exc:
        if exc.args[0].code() != KafkaError._NO_OFFSET:
            raise


def _raise_if_fatal(error: KafkaError) -> None:
    if error.fatal():
        raise KafkaException(error)
    if error.code() != KafkaError._PARTITION_EOF:
        log.warning("consumer error: %s", error.str())


def _names(partitions: list[TopicPartition]) -> str:
    return ", ".join(f"{tp.topic}[{tp.partition}]" for tp in partitions) or "nothing"


def static_member_id(instance_id: str, subscriptions: Iterable[str]) -> str:
    """The group.instance.id of ``instance_id`` reading ``subscriptions``: with a digest of
    them, because the broker hands a static member that rejoins under a known id its cached
    assignment, topics it no longer reads included; a changed subscription joins anew."""
    digest = hashlib.sha256(",".join(sorted(subscriptions)).encode()).hexdigest()
    return f"{instance_id}-{digest[:_DIGEST_CHARS]}"
