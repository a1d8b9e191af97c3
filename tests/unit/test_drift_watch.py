"""The scheduled reconciliation's memory: a difference's age runs from when it was first
seen, it alerts once when it has persisted past the threshold, and a difference that went
away is forgotten (it starts afresh if it comes back)."""

from __future__ import annotations

import pytest

from commands.reconciler import Drift, DriftWatch
from tests.clock import Clock

pytestmark = pytest.mark.unit

SHOP_A = Drift("stock", "shop A@WH/Stock", "Odoo sellable 38, on the channel 55")
ORDER = Drift("orders", "shop:1001", "not in Odoo")


def test_a_difference_alerts_once_after_it_persisted_past_the_threshold() -> None:
    clock = Clock(1_000.0)
    watch = DriftWatch(alert_after_s=60, clock=clock)
    assert watch.observe([SHOP_A]) == []
    clock.now += 59
    assert watch.observe([SHOP_A, ORDER]) == []
    assert watch.oldest_seconds() == {"stock": 59, "orders": 0, "finance": 0}
    clock.now += 1
    assert watch.observe([SHOP_A, ORDER]) == [SHOP_A]
    assert watch.alerting() == {"stock": 1, "orders": 0, "finance": 0}
    clock.now += 60
    assert watch.observe([SHOP_A, ORDER]) == [ORDER]  # the stock one alerted already
    assert watch.differences() == {"stock": 1, "orders": 1, "finance": 0}


def test_a_difference_that_went_away_is_forgotten() -> None:
    clock = Clock(1_000.0)
    watch = DriftWatch(alert_after_s=60, clock=clock)
    watch.observe([SHOP_A])
    clock.now += 120
    assert watch.observe([SHOP_A]) == [SHOP_A]
    assert watch.observe([]) == []
    assert watch.differences() == {"stock": 0, "orders": 0, "finance": 0}
    assert watch.alerting() == {"stock": 0, "orders": 0, "finance": 0}
    assert watch.observe([SHOP_A]) == []  # back: a new difference, age 0
    assert watch.age_s(SHOP_A) == 0
