"""The order-lifecycle projection without a broker: folding is idempotent and order-free,
lateness follows the SLOs, and a wrong SLO is named."""

from __future__ import annotations

import dataclasses
import itertools
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import URL
from sqlalchemy.exc import IntegrityError
from typer.testing import CliRunner

from commands import app
from consumers.order_lifecycle import projection_service
from consumers.order_lifecycle.checkpoints import Slo
from consumers.order_lifecycle.settings import LifecycleSettings
from consumers.order_lifecycle.store import Failure, LifecycleStore, Position, Seen
from retailsync.consumer import HandlerContext, Item, Tombstone
from retailsync.errors import ConfigError

pytestmark = pytest.mark.unit

HOUR_MS = 3_600_000
PASSWORD = "hunter2-not-shown"


def _seen(event_type: str, ref: str, at_ms: int, offset: int = 0) -> Seen:
    return Seen(
        event_id=f"{ref}/{event_type}/{at_ms}",
        event_type=event_type,
        order_ref=ref,
        channel="shop",
        occurred_ms=at_ms,
        at=Position("retail.orders", 0, offset),
    )


def test_a_redelivered_event_changes_nothing_and_order_does_not_matter(
    store_at: Callable[[], Path | URL],
) -> None:
    events = [
        _seen("order_created", "shop:1", 0, 0),
        _seen("payment_captured", "shop:1", HOUR_MS, 1),
        _seen("shipment_dispatched", "shop:1", 3 * HOUR_MS, 2),
        _seen("shipment_dispatched", "shop:1", 2 * HOUR_MS, 3),  # a second, earlier parcel
    ]
    failure = Failure(events[1], "odoo-orders", "dead_letter", 1, "x.PermanentError", 5,
                      Position("retail.orders.odoo-orders.dlt", 0, 0))  # fmt: skip
    contents = []
    for order in itertools.permutations(events):
        with LifecycleStore.connect(store_at()) as store:
            store.fold(order, [failure])
            store.fold(order, [failure])  # delivered again
            contents.append(store.contents())
            reached = store.order("shop:1")
    assert all(c == contents[0] for c in contents)
    assert len(contents[0]["events"]) == 4
    assert len(contents[0]["failures"]) == 1
    assert reached is not None
    # A shipment was allocated by then at the latest.
    assert reached.reached_ms == {
        "accepted": 0, "allocated": 2 * HOUR_MS, "paid": HOUR_MS, "shipped": 2 * HOUR_MS,
    }  # fmt: skip


def test_allocation_and_invoicing_reach_their_checkpoints_or_a_shipment_allocates(
    store_at: Callable[[], Path | URL],
) -> None:
    events = [
        _seen("order_created", "shop:1", 0, 0),
        _seen("order_allocated", "shop:1", HOUR_MS // 2, 1),
        _seen("order_invoiced", "shop:1", HOUR_MS, 2),
        _seen("shipment_dispatched", "shop:1", 2 * HOUR_MS, 3),
        _seen("order_created", "shop:2", 0, 4),
        # Reserved and dispatched between two polls of Odoo: seen shipped only, and the
        # allocation the capture saw later still cannot be later than the shipment.
        _seen("shipment_dispatched", "shop:2", 2 * HOUR_MS, 5),
        _seen("order_allocated", "shop:2", 3 * HOUR_MS, 6),
    ]
    for order in (events, events[::-1]):
        with LifecycleStore.connect(store_at()) as store:
            store.fold(order, [])
            first, second = store.order("shop:1"), store.order("shop:2")
            [invoiced] = [e for e in store.timeline("shop:1") if e.event_type == "order_invoiced"]
        assert first is not None and second is not None
        assert first.reached_ms == {
            "accepted": 0, "allocated": HOUR_MS // 2, "invoiced": HOUR_MS, "shipped": 2 * HOUR_MS,
        }  # fmt: skip
        assert second.reached_ms == {"accepted": 0, "allocated": 2 * HOUR_MS,
                                     "shipped": 2 * HOUR_MS}  # fmt: skip
        assert invoiced.checkpoint == "invoiced"


def test_a_store_made_before_a_checkpoint_existed_gains_its_column(tmp_path: Path) -> None:
    where = tmp_path / "old.sqlite3"
    with sqlite3.connect(where) as old:
        old.execute(
            "CREATE TABLE orders (order_ref TEXT PRIMARY KEY, channel TEXT NOT NULL,"
            " accepted_ms BIGINT, paid_ms BIGINT, shipped_ms BIGINT, cancelled_ms BIGINT,"
            " returned_ms BIGINT, refunded_ms BIGINT)"
        )
        old.execute(
            "INSERT INTO orders (order_ref, channel, accepted_ms) VALUES ('shop:1', 'shop', 0)"
        )
    old.close()
    with LifecycleStore.connect(where) as store:
        store.fold([_seen("order_invoiced", "shop:1", HOUR_MS)], [])
        reached = store.order("shop:1")
    assert reached is not None
    assert reached.reached_ms == {"accepted": 0, "invoiced": HOUR_MS}


def test_a_batch_is_stored_whole_or_not_at_all(store_at: Callable[[], Path | URL]) -> None:
    first = _seen("order_created", "shop:1", 0, 0)
    # No channel: the orders table refuses it, after the events table took the batch's rows.
    broken = dataclasses.replace(_seen("order_created", "shop:2", 0, 1), channel=None)
    with LifecycleStore.connect(store_at()) as store:
        with pytest.raises(IntegrityError):
            store.fold([first, broken], [])
        assert store.contents() == {"orders": [], "events": [], "failures": []}
        store.fold([first], [])
        assert len(store.contents()["events"]) == 1


def test_late_is_past_due_whether_reached_or_still_open(
    store_at: Callable[[], Path | URL],
) -> None:
    now = 100 * HOUR_MS
    with LifecycleStore.connect(store_at()) as store:
        store.fold(
            [
                _seen("order_created", "shop:open", 0),
                _seen("order_created", "shop:slow", 0),
                _seen("shipment_dispatched", "shop:slow", 49 * HOUR_MS),
                _seen("order_created", "shop:ok", 0),
                _seen("shipment_dispatched", "shop:ok", 47 * HOUR_MS),
                _seen("order_created", "shop:cancelled", 0),
                _seen("order_cancelled", "shop:cancelled", HOUR_MS),
                _seen("order_created", "shop:young", 60 * HOUR_MS),
                _seen("return_received", "shop:ok", 50 * HOUR_MS),
            ],
            [],
        )
        shipped = Slo("shipped", 48 * HOUR_MS)
        refunded = Slo("refunded", 24 * HOUR_MS, after="returned")
        late = store.late([shipped, refunded], now)
        only_refunds = store.late([shipped, refunded], now, checkpoint="refunded")
    assert [(x.order_ref, x.slo.checkpoint, x.reached_ms) for x in late] == [
        ("shop:open", "shipped", None),
        ("shop:slow", "shipped", 49 * HOUR_MS),
        ("shop:ok", "refunded", None),
    ]
    assert [x.order_ref for x in only_refunds] == ["shop:ok"]


@pytest.mark.parametrize(
    ("slo", "named"),
    [
        ('{"shiped": "48h"}', "shiped: not a checkpoint"),
        ('{"shipped": "soon"}', "shipped: 'soon' is not a duration"),
        ('{"refunded": "7d after paid out"}', "refunded: '7d after paid out' is not"),
        ('{"refunded": "7d after refunded"}', "refunded: 'refunded' is not another checkpoint"),
    ],
)
def test_a_wrong_slo_names_its_key(monkeypatch: pytest.MonkeyPatch, slo: str, named: str) -> None:
    monkeypatch.setenv("RETAILSYNC_LIFECYCLE_SLO", slo)
    with pytest.raises(ConfigError) as caught:
        LifecycleSettings.load()
    assert caught.value.key == "RETAILSYNC_LIFECYCLE_SLO"
    assert named in caught.value.reason


def test_slos_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "RETAILSYNC_LIFECYCLE_SLO", '{"shipped": "2h", "refunded": "1d after returned"}'
    )
    assert LifecycleSettings.load().slos == (
        Slo("shipped", 2 * HOUR_MS),
        Slo("refunded", 24 * HOUR_MS, after="returned"),
    )


def test_a_dead_letter_without_its_value_is_passed_over(
    store_at: Callable[[], Path | URL],
) -> None:
    """A dead letter too large to copy reaches the handler as a tombstone of its type."""
    with LifecycleStore.connect(store_at()) as store:
        service = projection_service("lifecycle", lambda: store)
        context = HandlerContext("shop:1", [], "retail.orders", 0, 7, 1, None,
                                 observed_at=("retail.orders.odoo-orders.dlt", 3))  # fmt: skip
        fold = service.handlers["order_created"].handler
        assert fold([Item(Tombstone("order_created"), context)]) is None
        assert store.contents() == {"orders": [], "events": [], "failures": []}


def test_orders_show_prints_the_timeline_and_late_says_when_there_is_no_projection(
    monkeypatch: pytest.MonkeyPatch, store_at: Callable[[], Path | URL]
) -> None:
    where = store_at()
    if isinstance(where, URL):
        # Any password passes trust authentication; it must never be printed.
        where = where.set(password=PASSWORD)
        url = where.render_as_string(hide_password=False)
        monkeypatch.setenv("RETAILSYNC_LIFECYCLE_DATABASE_URL", url.replace("+psycopg", ""))
    else:
        monkeypatch.setenv("RETAILSYNC_LIFECYCLE_DATABASE", str(where))
    missing = CliRunner().invoke(app, ["orders", "late"])
    assert missing.exit_code == 2
    assert f"no projection at {where}" in missing.output
    with LifecycleStore.connect(where) as store:
        store.fold([_seen("order_created", "shop:1", 0, 4)], [])
    shown = CliRunner().invoke(app, ["orders", "show", "shop:1"])
    assert shown.exit_code == 0, shown.output
    assert "retailsync tail retail.orders --partition 0 --from 4 --limit 1" in shown.output
    assert "retailsync tail retail.orders --key shop:1" in shown.output
    unknown = CliRunner().invoke(app, ["orders", "show", "shop:2"])
    assert unknown.exit_code == 1
    assert PASSWORD not in missing.output + shown.output + unknown.output


def test_a_database_url_other_than_postgresql_is_refused_without_echoing_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RETAILSYNC_LIFECYCLE_DATABASE_URL", f"mysql://u:{PASSWORD}@db/x")
    with pytest.raises(ConfigError) as caught:
        LifecycleSettings.load()
    assert caught.value.key == "RETAILSYNC_LIFECYCLE_DATABASE_URL"
    assert "not a postgresql:// URL" in caught.value.reason
    assert PASSWORD not in str(caught.value)
