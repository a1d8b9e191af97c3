"""Calling a handler: decode, dispatch by event type, and retry transient errors in process."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential_jitter

from retailsync.consumer.record import ConsumedRecord
from retailsync.consumer.service import HandlerContext, Route
from retailsync.errors import RetailsyncError, TransientError, classify
from retailsync.headers import EVENT_TYPE, text_header
from retailsync.telemetry import process_span

# In-process retries are short: anything longer belongs in the retry topics, where it
# neither blocks the partition nor risks max.poll.interval.ms.
_FIRST_WAIT_S = 0.05
_MAX_WAIT_S = 1.0


class Decoder(Protocol):
    def decode(
        self, value: bytes, *, topic: str, partition: int, offset: int, key: bytes | None
    ) -> Any: ...


@dataclass(frozen=True, slots=True)
class Invocation:
    """How handling one record went."""

    target: str | None  # the handler's downstream system; None when nothing was called
    error: RetailsyncError | None  # None: success, or no handler for this event type


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


def invoke(
    decoder: Decoder,
    routes: Mapping[str, Route],
    record: ConsumedRecord,
    *,
    context: HandlerContext,
    group: str,
    retrying: Retrying,
) -> Invocation:
    event_type = text_header(record.headers, EVENT_TYPE)
    if event_type is not None and event_type not in routes:
        return Invocation(None, None)  # not this service's concern: skip without decoding
    try:
        event = decoder.decode(
            record.value or b"",
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            key=record.key,
        )
    except Exception as exc:  # every failure becomes a dead letter or a retry
        return Invocation(None, classify(exc))
    route = routes.get(event.envelope.event_type)
    if route is None:
        return Invocation(None, None)
    with process_span(context.topic, context.partition, context.offset, group, context.traceparent):
        try:
            for attempt in retrying:
                with attempt:
                    route.handler(event, context)
        except Exception as exc:  # classified, never swallowed
            return Invocation(route.target, classify(exc))
    return Invocation(route.target, None)
