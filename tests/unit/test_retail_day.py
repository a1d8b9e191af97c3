"""The bounded run's retail day: which order gets which story, the same for the same seed;
and how its report tells the day."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from commands.report import DayActivity, RunReport, ServiceFigures
from commands.traffic import Fate, plan_day, platform_at

pytestmark = pytest.mark.unit


def test_the_same_seed_gives_the_same_day_and_another_seed_another() -> None:
    assert plan_day(200, seed=7) == plan_day(200, seed=7)
    assert plan_day(200, seed=7).orders != plan_day(200, seed=8).orders


def test_a_demo_day_tells_every_story_in_small_proportion() -> None:
    day = plan_day(200)
    fates = Counter(order.fate for order in day.orders)
    # The e2e test's day of 12 orders: one of each fate.
    e2e = Counter(order.fate for order in plan_day(12).orders)
    assert e2e == {Fate.SHIPPED: 9, Fate.RETURNED: 1, Fate.CANCELLED: 1, Fate.EDITED: 1}
    platforms = Counter(order.platform for order in day.orders)
    assert platforms == {"shopify": 67, "woocommerce": 67, "sfcc": 66}
    shopify = platforms["shopify"]
    assert fates[Fate.RETURNED] == 1
    assert 1 <= fates[Fate.CANCELLED] <= shopify // 10
    assert 1 <= fates[Fate.EDITED] <= shopify // 10
    assert 0 < sum(order.paid for order in day.orders) <= shopify // 4
    assert fates[Fate.SHIPPED] > 180
    assert day.fates() == {
        "shipped": fates[Fate.SHIPPED],
        "edited": fates[Fate.EDITED],
        "cancelled": fates[Fate.CANCELLED],
        "returned": 1,
        "paid": sum(order.paid for order in day.orders),
    }


def test_only_shopify_orders_get_stories_and_only_what_was_paid_is_refunded() -> None:
    day = plan_day(200)
    for index, order in enumerate(day.orders):
        assert order.platform == platform_at(index, sfcc=True, woocommerce=True)
        if order.platform != "shopify":
            assert (order.fate, order.paid) == (Fate.SHIPPED, False)
        if order.fate is Fate.CANCELLED:
            assert not order.paid  # its cancellation would need a refund of its own
        if order.fate is Fate.RETURNED:
            assert order.paid  # the return's refund gives the payment back
    # The first order stays plain, and the return comes in the first half of the day.
    assert day.orders[0].fate is Fate.SHIPPED
    [returned] = [i for i, order in enumerate(day.orders) if order.fate is Fate.RETURNED]
    assert returned < 100


def test_the_platforms_take_turns_as_the_run_has_them() -> None:
    assert [platform_at(i, sfcc=True, woocommerce=True) for i in range(6)] == [
        "shopify", "woocommerce", "sfcc", "shopify", "woocommerce", "sfcc"
    ]  # fmt: skip
    assert [platform_at(i, sfcc=True, woocommerce=False) for i in range(3)] == [
        "shopify", "shopify", "sfcc"
    ]  # fmt: skip
    assert {platform_at(i, sfcc=False, woocommerce=False) for i in range(6)} == {"shopify"}


def test_the_day_events_come_in_order_with_the_outage_in_the_middle() -> None:
    day = plan_day(200, outage_s=60)
    assert day.shortfall_at < day.restock_at < 200
    assert day.outage_at == 100 and day.outage_s == 60
    assert len(day.bad_webhooks_at) == 2 and all(0 < i < 200 for i in day.bad_webhooks_at)
    assert plan_day(200, outage_s=0).outage_at is None


def test_a_small_day_still_tells_each_story_once() -> None:
    day = plan_day(12, sfcc=False, woocommerce=False)
    assert {order.platform for order in day.orders} == {"shopify"}
    fates = Counter(order.fate for order in day.orders)
    assert fates[Fate.RETURNED] == fates[Fate.CANCELLED] == fates[Fate.EDITED] == 1
    # Too few orders for every story: the stories that fit, none twice.
    tiny = Counter(order.fate for order in plan_day(3, sfcc=False, woocommerce=False).orders)
    assert tiny[Fate.SHIPPED] == 1 and sum(tiny.values()) == 3


def _report(day: DayActivity) -> RunReport:
    started = datetime(2026, 11, 30, 12, tzinfo=UTC)
    return RunReport(
        started_at=started,
        ended_at=started + timedelta(seconds=170),
        settled=True,
        orders={"shopify": 3},
        services={"odoo-orders": ServiceFigures(retries=2, pauses={"odoo": 3})},
        dead_letters=[],
        restarts={},
        stock_drift=[],
        order_drift=[],
        day=day,
    )


def test_the_report_shows_the_day_and_fails_when_a_bad_webhook_was_let_in() -> None:
    started = datetime(2026, 11, 30, 12, tzinfo=UTC)
    day = DayActivity(
        fates={"shipped": 1, "cancelled": 1, "returned": 1, "paid": 1},
        stock_moves=["DEMO-001 -7", "DEMO-010 +50"],
        bad_webhooks={"wrong signature 401": 2, "malformed body 422": 2},
        outage=(started + timedelta(seconds=75), started + timedelta(seconds=135)),
    )
    report = _report(day)
    assert report.reconciled
    assert report.lines()[1:6] == [
        "  orders by fate: cancelled 1, paid 1, returned 1, shipped 1",
        "  stock counted in Odoo: DEMO-001 -7, DEMO-010 +50",
        "  bad webhooks refused at the edge: malformed body 422 (2), wrong signature 401 (2)",
        "  Odoo outage (503): 60 s from +75 s",
        "  odoo-orders: no events",
    ]
    assert report.lines()[6] == "    latency none; retries 2; paused by odoo 3"
    let_in = _report(DayActivity(bad_webhooks={"wrong signature 401": 1, "malformed body 200": 1}))
    assert not let_in.reconciled
    assert "  bad webhooks NOT all refused: malformed body 200 (1), wrong signature 401 (1)" in (
        let_in.lines()
    )
    assert let_in.lines()[-1] == "reconciled: NO"
