"""The sandbox storefront's webhook emitter: the platforms' retry schedules, time-compressed,
delivered from a background queue so the caller is never blocked for them."""

from __future__ import annotations

import itertools
import threading
import time

import httpx
import pytest

from sandbox.storefront import (
    SHOPIFY_RETRIES,
    WOOCOMMERCE_RETRIES,
    Delivery,
    RetrySchedule,
    WebhookEmitter,
)

pytestmark = pytest.mark.unit

URL = "http://receiver.test/webhooks/shopify"


def delivery(n: int) -> Delivery:
    return Delivery(
        "orders/create", f'{{"id": {n}}}'.encode(), {"X-Shopify-Topic": "orders/create"}
    )


class Receiver:
    """Answers each request with the next status of ``statuses`` (then 200) and notes when."""

    def __init__(self, *statuses: int) -> None:
        self.statuses = list(statuses)
        self.seen: list[tuple[float, bytes]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append((time.monotonic(), request.content))
        return httpx.Response(self.statuses.pop(0) if self.statuses else 200)


def test_shopify_retries_eight_times_over_four_hours_with_growing_delays() -> None:
    delays = SHOPIFY_RETRIES.retry_delays_s
    assert SHOPIFY_RETRIES.retries == 8
    assert sum(delays) == pytest.approx(4 * 3600)
    assert all(later == pytest.approx(2 * earlier) for earlier, later in itertools.pairwise(delays))


def test_woocommerce_tries_once_and_disables_after_five_failures_in_a_row() -> None:
    assert WOOCOMMERCE_RETRIES.retries == 0
    assert WOOCOMMERCE_RETRIES.disable_after == 5


def test_retries_follow_the_schedule_divided_by_the_speedup() -> None:
    receiver = Receiver(503, 503, 429)
    schedule = RetrySchedule((10.0, 20.0, 40.0, 80.0))
    with WebhookEmitter(
        URL, schedule=schedule, speedup=100, transport=httpx.MockTransport(receiver)
    ) as emitter:
        [attempt] = emitter.deliver([delivery(1)])
    assert (attempt.status, attempt.tries) == (200, 4)
    times = [at for at, _ in receiver.seen]
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    # Each retry waits at least its compressed delay (load may only make it later).
    assert [gap >= wait for gap, wait in zip(gaps, (0.1, 0.2, 0.4), strict=True)] == [True] * 3


def test_send_returns_before_the_receiver_answers() -> None:
    answer = threading.Event()

    def slow_receiver(request: httpx.Request) -> httpx.Response:
        answer.wait(10)
        return httpx.Response(200)

    with WebhookEmitter(URL, transport=httpx.MockTransport(slow_receiver)) as emitter:
        [outcome] = emitter.send([delivery(1)])
        assert not outcome.done()  # queued; the caller goes on at once
        answer.set()
        assert outcome.result(10).status == 200


def test_a_receiver_down_for_longer_than_the_old_backoff_still_gets_every_delivery() -> None:
    down_until = time.monotonic() + 1.0  # the sandbox used to give up after ~1.6 s in all

    def restarting_receiver(request: httpx.Request) -> httpx.Response:
        if time.monotonic() < down_until:
            raise httpx.ConnectError("connection refused", request=request)
        return httpx.Response(200)

    # 4 hours in 14.4 s: the retries reach well past the second of downtime.
    with WebhookEmitter(
        URL, speedup=1000, transport=httpx.MockTransport(restarting_receiver)
    ) as emitter:
        attempts = emitter.deliver([delivery(n) for n in range(5)])
    assert [a.status for a in attempts] == [200] * 5
    assert all(a.tries > 1 for a in attempts)


def test_shopify_removes_the_subscription_once_a_delivery_spent_its_retries() -> None:
    receiver = Receiver(*[500] * 9)
    with WebhookEmitter(URL, speedup=1e6, transport=httpx.MockTransport(receiver)) as emitter:
        [failed] = emitter.deliver([delivery(1)])
        [dropped] = emitter.deliver([delivery(2)])
    assert (failed.status, failed.tries) == (500, 9)
    assert emitter.disabled
    assert (dropped.status, dropped.tries) == (None, 0)
    assert len(receiver.seen) == 9


def test_woocommerce_disables_the_webhook_after_five_failed_deliveries_in_a_row() -> None:
    # Four failures, a success (the count starts again), then five failures.
    receiver = Receiver(500, 500, 500, 500, 200, 500, 500, 500, 500, 500)
    with WebhookEmitter(
        URL, schedule=WOOCOMMERCE_RETRIES, transport=httpx.MockTransport(receiver)
    ) as emitter:
        attempts = emitter.deliver([delivery(n) for n in range(11)])
    assert [a.tries for a in attempts] == [1] * 10 + [0]
    assert [a.status for a in attempts][:5] == [500, 500, 500, 500, 200]
    assert emitter.disabled
    assert len(receiver.seen) == 10
