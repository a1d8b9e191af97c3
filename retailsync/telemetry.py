"""OpenTelemetry in one place: spans with the standard ``messaging.kafka.*`` attributes.

Without an SDK configured by the deployment these are no-ops and cost next to nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from opentelemetry import trace
from opentelemetry.trace import SpanKind
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

_tracer = trace.get_tracer("retailsync")
_propagator = TraceContextTextMapPropagator()


@contextmanager
def process_span(
    topic: str, partition: int, offset: int, group: str, traceparent: str | None
) -> Iterator[trace.Span]:
    """A consumer span for handling one record, continuing the producer's trace."""
    parent = _propagator.extract({"traceparent": traceparent}) if traceparent else None
    with _tracer.start_as_current_span(
        f"{topic} process",
        context=parent,
        kind=SpanKind.CONSUMER,
        attributes={
            "messaging.system": "kafka",
            "messaging.operation.type": "process",
            "messaging.destination.name": topic,
            "messaging.destination.partition.id": str(partition),
            "messaging.kafka.offset": offset,
            "messaging.consumer.group.name": group,
        },
    ) as span:
        yield span


def current_traceparent() -> str | None:
    """The W3C traceparent of the current span, for a record's header."""
    carrier: dict[str, str] = {}
    _propagator.inject(carrier)
    return carrier.get("traceparent")
