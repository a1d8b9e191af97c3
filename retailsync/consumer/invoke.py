"""Calling handlers: decode and dispatch by event type, then run one handler call, for one
record or a run of them, retrying transient failures in process.

An unavailable target is never retried in process: its call may have hung for the whole
client timeout, and repeating it would hold the partition for minutes. It opens the
target's circuit breaker at once, which pauses the service and probes with backoff."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple, Protocol

from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential_jitter

from retailsync.consumer.record import ConsumedRecord
from retailsync.consumer.service import HandlerSpec, Item, Tombstone
from retailsync.errors import (
    MisroutedEventError,
    RetailsyncError,
    TargetUnavailableError,
    TransientError,
    classify,
)
from retailsync.headers import EVENT_TYPE, text_header
from retailsync.telemetry import process_span

# In-process retries are short: anything longer belongs in the retry topics, where it
# neither blocks the partition nor risks max.poll.interval.ms.
_FIRST_WAIT_S = 0.05
_MAX_WAIT_S = 1.0


class Decoder(Protocol):
    """Reads record values into events (``EventSerde``); a ``TargetUnavailableError`` from
    ``decode`` (its schema registry is down) pauses the service like a handler's."""

    def decode(
        self, value: bytes, *, topic: str, partition: int, offset: int, key: bytes | None
    ) -> Any: ...

    def close(self) -> None:
        """Release the decoder's clients; the runner calls it when it stops."""


class Decoded(NamedTuple):
    spec: HandlerSpec | None  # None: no handler takes this event, so nothing to do
    event: Any
    event_type: str | None  # the record's ``event_type`` header, read once for the metrics


def decode(
    decoder: Decoder,
    handlers: Mapping[str, HandlerSpec],
    record: ConsumedRecord,
    source_topic: str,
    routed_here: frozenset[str],
) -> Decoded:
    """The record's event and its handler (none when the handler does not accept it);
    raises the classified error if it cannot be read, or MisroutedEventError if its event
    type (``routed_here`` lists those the topology sends to ``source_topic``) does not
    belong there."""
    event_type = text_header(record.headers, EVENT_TYPE)
    if record.value is None:  # a tombstone: for the service that handles that erasure only
        if event_type is None or event_type not in handlers:
            return Decoded(None, None, event_type)
        return Decoded(handlers[event_type], Tombstone(event_type), event_type)
    if event_type is not None:
        if event_type not in routed_here:
            raise MisroutedEventError(event_type, source_topic)
        if event_type not in handlers:
            # Not this service's concern: skip without decoding.
            return Decoded(None, None, event_type)
    try:
        event = decoder.decode(
            record.value or b"",
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            key=record.key,
        )
    except Exception as exc:  # every failure becomes a dead letter or a retry
        raise classify(exc) from exc
    decoded_type: str = event.envelope.event_type
    if decoded_type not in routed_here:
        raise MisroutedEventError(decoded_type, source_topic)
    spec = handlers.get(decoded_type)
    if spec is not None and spec.accepts is not None and not spec.accepts(event):
        return Decoded(None, event, event_type)
    return Decoded(spec, event, event_type)


def in_process_retrying(attempts: int) -> Retrying:
    """``attempts`` tries of a handler, with capped, jittered backoff, for transient errors."""
    return Retrying(
        stop=stop_after_attempt(attempts),
        wait=wait_exponential_jitter(
            multiplier=_FIRST_WAIT_S, max=_MAX_WAIT_S, jitter=_FIRST_WAIT_S
        ),
        retry=retry_if_exception(lambda exc: isinstance(classify(exc), TransientError)),
        reraise=True,
    )


class _SomeFailedError(TransientError):
    """Some items of a batch failed transiently: try those again."""


def call(
    spec: HandlerSpec, items: Sequence[Item], *, group: str, retrying: Retrying, traced: bool
) -> list[RetailsyncError | None]:
    """Run ``spec``'s handler on ``items``; the outcome of each, None for success.

    Items that fail transiently are tried again, alone, until ``retrying`` gives up; none
    is once an item found its target unavailable (the breaker decides when to try again).
    With ``traced`` (``telemetry.tracing()``, asked once per consumer batch) the call is a
    span continuing the first item's trace.
    """
    if not traced:
        return _call(spec, items, retrying)
    first = items[0].context
    with process_span(first.topic, first.partition, first.offset, group, first.traceparent):
        return _call(spec, items, retrying)


def _call(
    spec: HandlerSpec, items: Sequence[Item], retrying: Retrying
) -> list[RetailsyncError | None]:
    outcomes: list[RetailsyncError | None] = [None] * len(items)
    # The first attempt runs bare: the retry machinery is built only when it failed.
    failures = _call_once(spec, items)
    if not failures:
        return outcomes
    pending = _record(failures, range(len(items)), outcomes)
    if not pending:
        return outcomes
    first_round = True
    try:
        for attempt in retrying:
            with attempt:
                # Round one is the attempt already made: ``retrying`` counts it and waits
                # after it, as if it had made it itself.
                if not first_round:
                    pending = _attempt(spec, [items[i] for i in pending], pending, outcomes)
                first_round = False
                if pending:
                    raise _SomeFailedError(f"{len(pending)} of {len(items)} failed")
    except _SomeFailedError:
        pass  # the outcomes say which, and why
    return outcomes


def _attempt(
    spec: HandlerSpec,
    items: Sequence[Item],
    indexes: Sequence[int],
    outcomes: list[RetailsyncError | None],
) -> list[int]:
    """Call the handler on ``items`` (at ``indexes`` of the whole call) and record their
    outcomes; the indexes worth another try: the transient failures, none once the target
    was found unavailable."""
    failures = _call_once(spec, items)
    if not failures:
        for index in indexes:
            outcomes[index] = None
        return []
    return _record(failures, indexes, outcomes)


def _record(
    failures: dict[int, RetailsyncError],
    indexes: Sequence[int],
    outcomes: list[RetailsyncError | None],
) -> list[int]:
    """Note the outcomes of a call that failed at ``failures`` (by position in the call);
    the indexes worth another try."""
    for position, index in enumerate(indexes):
        outcomes[index] = failures.get(position)
    again = [i for i in indexes if isinstance(outcomes[i], TransientError)]
    if any(isinstance(outcomes[i], TargetUnavailableError) for i in again):
        return []
    return again


def _call_once(spec: HandlerSpec, items: Sequence[Item]) -> dict[int, RetailsyncError]:
    try:
        if spec.batch:
            failures = spec.handler(items) or {}
            return {index: classify(error) for index, error in failures.items()}
        (item,) = items
        spec.handler(item.event, item.context)
    except Exception as exc:  # classified, never swallowed
        error = classify(exc)
        return dict.fromkeys(range(len(items)), error)
    return {}
