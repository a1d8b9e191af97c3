"""OpenTelemetry in one place: spans with the standard ``messaging.kafka.*`` attributes,
and gauges.

Without an SDK configured by the deployment these are no-ops; hot paths ask ``tracing()``
first and skip even building a no-op span (a few microseconds a record).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

from opentelemetry import metrics, trace
from opentelemetry.metrics import CallbackOptions, Observation
from opentelemetry.sdk.trace.id_generator import RandomIdGenerator
from opentelemetry.trace import SpanKind
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

_tracer = trace.get_tracer("retailsync")
_meter = metrics.get_meter("retailsync")
_propagator = TraceContextTextMapPropagator()


def tracing() -> bool:
    """True once the deployment configured a tracer provider (an OpenTelemetry SDK)."""
    return not isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider)


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


def current_traceparent() -> str:
    """The W3C traceparent of the current span, for a record's header.

    Without a span (no tracing configured, or none started) a new trace is begun here, so
    that every record carries a traceparent and what one event causes downstream can be
    correlated all the same.
    """
    carrier: dict[str, str] = {}
    _propagator.inject(carrier)
    found = carrier.get("traceparent")
    if found is not None:
        return found
    trace_id = RandomIdGenerator().generate_trace_id()
    span_id = RandomIdGenerator().generate_span_id()
    return f"00-{trace_id:032x}-{span_id:016x}-01"


def observe_gauge(name: str, read: Callable[[], float], *, unit: str, description: str) -> None:
    """An OpenTelemetry gauge whose value is ``read()`` at each collection."""

    def observe(_options: CallbackOptions) -> Iterable[Observation]:
        return [Observation(read())]

    _meter.create_observable_gauge(name, [observe], unit=unit, description=description)
