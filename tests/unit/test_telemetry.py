"""Spans where they go somewhere: without an export, a record's or a request's handling
takes on its trace's context only, which is what logs and published events need."""

from __future__ import annotations

import pytest
from opentelemetry import trace
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from retailsync import telemetry

pytestmark = pytest.mark.unit

TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
TRACE_ID = 0x4BF92F3577B34DA6A3CE929D0E0E4736


@pytest.fixture
def not_exported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(telemetry, "_exported", [])


@pytest.mark.usefixtures("not_exported")
def test_a_record_is_handled_in_its_producers_trace_without_a_span_of_its_own() -> None:
    with telemetry.process_span("orders", 3, 42, "odoo-orders", TRACEPARENT):
        current = trace.get_current_span()
        published = telemetry.current_traceparent()

    assert not current.is_recording()
    assert current.get_span_context().trace_id == TRACE_ID
    # What the handler publishes continues the same trace.
    assert published.split("-")[1] == f"{TRACE_ID:032x}"
    # The context is left as it was found.
    assert trace.get_current_span().get_span_context().trace_id != TRACE_ID


@pytest.mark.usefixtures("not_exported")
def test_a_request_without_a_traceparent_begins_a_trace_its_events_share() -> None:
    with telemetry.server_span("POST /webhooks/shop", None, {}):
        trace_id = trace.get_current_span().get_span_context().trace_id
        first = telemetry.current_traceparent()
        second = telemetry.current_traceparent()

    assert trace_id != 0
    assert first.split("-")[1] == second.split("-")[1] == f"{trace_id:032x}"


@pytest.mark.parametrize(
    "traceparent",
    [
        TRACEPARENT,
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00",  # not sampled
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01",  # an invalid trace id
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",  # an invalid span id
        "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-later",  # a later version
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",  # not lower-case
        "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "not a traceparent",
    ],
)
@pytest.mark.usefixtures("not_exported")
def test_a_record_continues_the_trace_opentelemetry_would_extract(traceparent: str) -> None:
    extracted = TraceContextTextMapPropagator().extract({"traceparent": traceparent})
    expected = trace.get_current_span(extracted).get_span_context()

    with telemetry.process_span("orders", 3, 42, "odoo-orders", traceparent):
        continued = trace.get_current_span().get_span_context()

    assert continued == expected
