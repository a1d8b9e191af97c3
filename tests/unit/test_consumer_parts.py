from collections.abc import Callable
from typing import Any

import httpx
import pydantic
import pytest

from retailsync import headers as h
from retailsync.consumer import ConsumerService, HandlerContext
from retailsync.consumer.breaker import CircuitBreaker
from retailsync.consumer.chains import KeyChains
from retailsync.consumer.dispatch import Dispatcher
from retailsync.consumer.invoke import decode, in_process_retrying
from retailsync.consumer.record import ConsumedRecord
from retailsync.consumer.retry_path import RetryPath
from retailsync.errors import (
    DeserializationError,
    PermanentError,
    TargetUnavailableError,
    TransientError,
    UsageError,
    classify,
)
from retailsync.events.examples import example_events
from retailsync.metrics import ConsumerMetrics
from retailsync.topology.model import parse_topology

pytestmark = pytest.mark.unit

KEY = b"shop:1"


def failure(attempt: int, message: str = "boom") -> h.Failure:
    return h.Failure(
        original_topic="retail.orders", original_partition=2, original_offset=41,
        original_timestamp_ms=1_000, group="odoo-orders", attempt=attempt,
        error_class="x.Error", error_message=message, first_failure_ms=2_000, due_ms=3_000,
    )  # fmt: skip


def test_failure_headers_replace_earlier_ones_and_keep_the_record_own() -> None:
    own = [(h.EVENT_TYPE, b"order_created"), (h.EVENT_ID, b"e-1")]
    first = h.replace_failure(own, failure(1))
    second = h.replace_failure(
        [(k, v if isinstance(v, bytes) else None) for k, v in first], failure(2)
    )
    names = [name for name, _ in second]
    assert len(names) == len(set(names))
    assert names[:2] == [h.EVENT_TYPE, h.EVENT_ID]
    assert h.int_header(second, h.ATTEMPT) == 2  # type: ignore[arg-type]
    assert h.text_header(second, h.ORIGINAL_TOPIC) == "retail.orders"  # type: ignore[arg-type]


def test_a_long_error_message_is_bounded() -> None:
    (message,) = [v for k, v in failure(1, "x" * 10_000).headers() if k == h.ERROR_MESSAGE]
    assert len(message) == 2_000


def test_a_chain_keeps_source_order_and_knows_its_head() -> None:
    chains = KeyChains()
    chains.add(KEY, 10, 0)
    chains.add(KEY, 12, 0)
    chains.add(KEY, 11, 1)  # recovered out of order from another level
    assert chains.is_head(KEY, 10)
    assert not chains.is_head(KEY, 11)
    assert chains.level_ahead(KEY, 12) == 1
    assert chains.tail_level(KEY) == 0
    chains.add(KEY, 12, 1)  # the same record again, further along: one entry, the higher level
    assert len(chains) == 3
    entry = chains.find(KEY, 12)
    assert entry is not None and entry.level == 1
    chains.remove(KEY, 10)
    assert chains.is_head(KEY, 11)
    chains.remove(KEY, 11)
    chains.remove(KEY, 12)
    assert not chains.parked(KEY)


def test_the_breaker_backs_off_and_closes() -> None:
    breaker = CircuitBreaker("odoo", base_delay_s=1.0, max_delay_s=4.0)
    assert not breaker.open
    delays = []
    for _ in range(5):
        breaker.trip(now=100.0)
        delays.append(breaker.probe_at - 100.0)
        assert not breaker.may_probe(100.0)
    assert 0.5 <= delays[0] <= 1.0
    assert all(2.0 <= delay <= 4.0 for delay in delays[2:])  # capped
    assert breaker.may_probe(104.0)
    breaker.close()
    assert not breaker.open


def _status(code: int) -> httpx.HTTPStatusError:
    request = httpx.Request("POST", "https://shop.example.com/admin/api/graphql.json")
    return httpx.HTTPStatusError(
        "x", request=request, response=httpx.Response(code, request=request)
    )


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (_status(503), TargetUnavailableError),
        (_status(429), TargetUnavailableError),
        (_status(500), TransientError),
        (_status(422), PermanentError),
        (httpx.ConnectError("refused"), TargetUnavailableError),
        (httpx.ReadTimeout("slow"), TargetUnavailableError),
        (ValueError("bad sku"), PermanentError),
        (RuntimeError("who knows"), TransientError),
        (DeserializationError("garbage"), DeserializationError),
    ],
)
def test_errors_are_classified_by_branch(error: Exception, kind: type[Exception]) -> None:
    classified = classify(error)
    assert type(classified) is kind


def test_a_validation_error_is_permanent() -> None:
    class Line(pydantic.BaseModel):
        quantity: int

    with pytest.raises(pydantic.ValidationError) as caught:
        Line.model_validate({"quantity": "many"})
    assert isinstance(classify(caught.value), PermanentError)
    assert isinstance(classify(_status(503)), TransientError)  # unavailable is a transient kind


class _ExampleDecoder:
    """Decodes a record value by its text: the example event of that event type."""

    def decode(
        self, value: bytes, *, topic: str, partition: int, offset: int, key: bytes | None
    ) -> Any:
        return next(e for e in example_events() if e.envelope.event_type == value.decode())

    def close(self) -> None:
        pass


def test_an_event_its_handler_does_not_accept_is_skipped_like_one_without_a_handler() -> None:
    service = ConsumerService("example")

    @service.handler("order_cancelled", accepts=lambda e: e.envelope.source.system == "ODOO")
    def cancel(event: Any, context: HandlerContext) -> None:
        raise AssertionError("never called here")

    record = ConsumedRecord(
        "retail.orders", 0, 7, KEY, b"order_cancelled", [(h.EVENT_TYPE, b"order_cancelled")], 0
    )
    routed = frozenset({"order_cancelled", "order_created"})
    decoded = decode(_ExampleDecoder(), service.handlers, record, "retail.orders", routed)
    assert decoded.spec is None  # the example cancellation came from the shop, not Odoo
    assert decoded.event.envelope.event_type == "order_cancelled"
    of_shops = ConsumerService("example")
    of_shops.handler("order_cancelled", accepts=lambda e: e.envelope.source.system != "ODOO")(
        cancel
    )
    decoded = decode(_ExampleDecoder(), of_shops.handlers, record, "retail.orders", routed)
    assert decoded.spec is not None and decoded.spec.handler is cancel


def test_a_handler_lets_the_event_types_it_names_overtake_and_no_stranger() -> None:
    service = ConsumerService("orders")

    @service.batch_handler("order_created", "payment_captured", overtakes=("order_created",))
    def apply(_items: Any) -> None:
        pass

    assert {name: spec.overtakes for name, spec in service.handlers.items()} == {
        "order_created": {"order_created"},
        "payment_captured": {"order_created"},
    }
    with pytest.raises(UsageError, match="refund_issued"):
        service.handler("order_edited", overtakes=("refund_issued",))


class _DurationsSeen(ConsumerMetrics):
    """The consumer's metrics, noting each handler call duration handed to the histogram."""

    def __init__(self) -> None:
        super().__init__("example", ["retail.orders"], {})
        self.durations: list[str | None] = []

    def handled(self, event_type: str | None, seconds: float) -> None:
        self.durations.append(event_type)


def _dispatcher(
    service: ConsumerService, metrics: ConsumerMetrics, clock: Callable[[], float]
) -> Dispatcher:
    topology = parse_topology(
        "namespace: retail\ntopics:\n  retail.orders: {}\n"
        "events:\n  order_cancelled: {topic: retail.orders, key: '{order_ref}'}\n"
        "consumers:\n  example:\n    subscriptions: [retail.orders]\n",
        "example.yaml",
    )
    group = topology.consumer("example")
    return Dispatcher(
        handlers=service.handlers,
        routed_types={"retail.orders": frozenset({"order_cancelled"})},
        decoder=_ExampleDecoder(),
        # No producer: nothing fails, so nothing goes down the retry path.
        retry_path=RetryPath(group, producer=None),
        chains={},
        breakers={spec.target: CircuitBreaker(spec.target) for spec in service.handlers.values()},
        retrying=in_process_retrying(1),
        ordered=True,
        clock=clock,
        metrics=metrics,
    )


def _cancellations(count: int) -> list[ConsumedRecord]:
    return [
        ConsumedRecord(
            "retail.orders",
            0,
            offset,
            f"shop:{offset}".encode(),
            b"order_cancelled",
            [(h.EVENT_TYPE, b"order_cancelled")],
            0,
        )
        for offset in range(count)
    ]


def test_handler_durations_are_sampled_in_time_and_every_record_handled() -> None:
    service = ConsumerService("example")
    handled: list[int] = []

    @service.handler("order_cancelled")
    def cancel(_event: Any, context: HandlerContext) -> None:
        handled.append(context.offset)

    metrics = _DurationsSeen()
    now = [100.0]
    dispatcher = _dispatcher(service, metrics, lambda: now[0])
    outcome = dispatcher.dispatch(_cancellations(64))
    assert handled == list(range(64))
    assert outcome.handled == {("retail.orders", 0): 63}
    # Each observation cost 7 µs with the SDK: one in 10 ms.
    assert len(metrics.durations) == 1
    now[0] += 0.004
    dispatcher.dispatch(_cancellations(5))
    assert len(metrics.durations) == 1
    # A quiet topic's call, after a while, is observed.
    now[0] += 0.01
    dispatcher.dispatch(_cancellations(1))
    assert metrics.durations == ["order_cancelled"] * 2


def test_a_batch_handlers_calls_are_sampled_alike() -> None:
    service = ConsumerService("example")
    calls: list[int] = []

    @service.batch_handler("order_cancelled", max_items=10)
    def cancel(items: Any) -> None:
        calls.append(len(items))

    metrics = _DurationsSeen()
    moments = iter(range(1000))
    _dispatcher(service, metrics, lambda: float(next(moments))).dispatch(_cancellations(64))
    # A second apart: every call of its seven is observed.
    assert calls == [10] * 6 + [4]
    assert metrics.durations == ["order_cancelled"] * 7


def test_a_plain_handlers_target_going_down_leaves_the_rest_of_its_run_unhandled() -> None:
    service = ConsumerService("example")
    handled: list[int] = []

    @service.handler("order_cancelled")
    def cancel(_event: Any, context: HandlerContext) -> None:
        if context.offset == 3:
            raise TargetUnavailableError("connection refused", "odoo")
        handled.append(context.offset)

    records = _cancellations(8)
    outcome = _dispatcher(service, _DurationsSeen(), lambda: 100.0).dispatch(records)
    # Called in order up to the record whose target was down, and not past it.
    assert handled == [0, 1, 2]
    assert outcome.handled == {("retail.orders", 0): 2}
    assert outcome.unhandled == records[3:]
