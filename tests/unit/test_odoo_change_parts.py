"""The change producer's parts that need no broker: versions, checkpoints, lag, the trigger."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError
from starlette.testclient import TestClient

from producers.odoo import ChangeCaptureSettings
from producers.odoo.checkpoint import Checkpoint, checked_topic
from producers.odoo.feeds import FEEDS, selected
from producers.odoo.lag import Lag
from producers.odoo.schedule import Schedule, intervals
from producers.odoo.trigger import TOKEN_HEADER, trigger_app
from producers.odoo.versions import Versions
from retailsync.errors import ConfigError
from retailsync.events import InventoryAdjusted
from retailsync.events.examples import example_events
from retailsync.odoo import ChangeCursor
from retailsync.topology import load_topology, parse_topology

pytestmark = pytest.mark.unit

BASE = 1_795_364_248_000_000
QUANT = "stock.quant"


def level(on_hand: int, version: int = BASE) -> InventoryAdjusted:
    example = next(e for e in example_events() if isinstance(e, InventoryAdjusted))
    envelope = InventoryAdjusted.new_envelope(
        source=example.envelope.source,
        source_ref="product.product/12@stock.location/8",
        occurred_at=example.envelope.occurred_at,
        source_version=version,
    )
    return example.model_copy(
        update={"envelope": envelope, "on_hand": Decimal(on_hand), "available": Decimal(on_hand)}
    )


def test_a_state_published_once_is_not_published_again() -> None:
    versions = Versions()
    first = versions.stamp(level(5), QUANT)
    assert first is not None and first.envelope.source_version == BASE
    assert versions.stamp(level(5), QUANT) is None


def test_a_second_state_within_one_second_gets_the_next_version_and_a_new_id() -> None:
    versions = Versions()
    first, second, third = (versions.stamp(level(n), QUANT) for n in (5, 6, 4))
    assert first is not None and second is not None and third is not None
    assert [e.envelope.source_version for e in (first, second, third)] == [BASE, BASE + 1, BASE + 2]
    assert len({e.envelope.event_id for e in (first, second, third)}) == 3
    later = versions.stamp(level(9, BASE + 1_000_000), QUANT)
    assert later is not None and later.envelope.source_version == BASE + 1_000_000


def test_a_state_that_comes_back_is_published_again() -> None:
    versions = Versions()
    published = [
        versions.stamp(level(n, BASE + i * 1_000_000), QUANT) for i, n in enumerate((5, 6, 5))
    ]
    assert all(event is not None for event in published)


def test_an_entity_reached_through_two_models_is_published_once_per_state() -> None:
    versions = Versions()
    assert versions.stamp(level(5), "product.product") is not None
    assert versions.stamp(level(5), "product.template") is None
    versions.prune("product.product", BASE + 1)
    # The template's re-read window still holds it: still not published again.
    assert versions.stamp(level(5), "product.template") is None
    changed = versions.stamp(level(6), "product.product")
    assert changed is not None and changed.envelope.source_version == BASE + 1


def test_pruning_forgets_entities_last_published_before_the_window() -> None:
    versions = Versions()
    versions.stamp(level(5), QUANT)
    versions.prune(QUANT, BASE + 1)
    assert len(versions) == 0
    assert versions.stamp(level(5), QUANT) is not None


def test_a_checkpoint_round_trips_its_cursors_and_versions() -> None:
    versions = Versions()
    versions.stamp(level(5), QUANT)
    checkpoint = Checkpoint({"stock.quant": ChangeCursor("2026-11-22 16:17:28", 42)}, versions)
    again = Checkpoint.decode(checkpoint.encode())
    assert again.cursors == checkpoint.cursors
    assert again.versions.tables() == versions.tables()
    assert b'"stock.quant":"2026-11-22 16:17:28#42"' in checkpoint.encode()


TOPOLOGY = """
namespace: retail
topics:
  retail.checkpoints: {partitions: 1, configs: {cleanup.policy: compact}}
  retail.deleting: {}
"""


def test_the_checkpoint_topic_must_be_declared_and_compacted() -> None:
    topology = parse_topology(TOPOLOGY, "topology.yaml")
    assert checked_topic(
        ChangeCaptureSettings(odoo_checkpoint_topic="retail.checkpoints"), topology
    ) == ("retail.checkpoints")
    with pytest.raises(ConfigError, match="RETAILSYNC_ODOO_CHECKPOINT_TOPIC"):
        checked_topic(ChangeCaptureSettings(odoo_checkpoint_topic="retail.missing"), topology)
    with pytest.raises(ConfigError, match="must be compact"):
        checked_topic(ChangeCaptureSettings(odoo_checkpoint_topic="retail.deleting"), topology)


def test_the_shipped_topology_declares_the_default_checkpoint_topic() -> None:
    shipped = load_topology(Path(__file__).parents[2] / "topology.yaml")
    assert checked_topic(ChangeCaptureSettings(), shipped) == "retail.odoo-changes.checkpoints"


def test_feeds_are_picked_by_name() -> None:
    assert selected(None) == tuple(FEEDS.values())
    assert [feed.name for feed in selected(["stock.quant"])] == ["stock.quant"]
    with pytest.raises(ConfigError, match="RETAILSYNC_ODOO_MODELS"):
        selected(["stock.lot"])


def test_lag_is_now_minus_the_oldest_moment_seen_up_to() -> None:
    now = [1000.0]
    lag = Lag(["stock.quant", "sale.order"], clock=lambda: now[0])
    now[0] = 1010.0
    assert lag.seconds() == 10.0
    lag.seen("stock.quant", 1008.0)
    assert lag.seconds() == 10.0  # sale.order has seen nothing since the start
    lag.seen("sale.order", 1009.0)
    assert lag.seconds() == 2.0
    lag.seen("stock.quant", 1001.0)  # never backwards
    assert lag.seconds() == 2.0


def test_the_webhook_wakes_the_poller_only_with_the_token() -> None:
    woken: list[bool] = []
    app = trigger_app(lambda: woken.append(True), lambda: 1.25, SecretStr("s3cret"))
    with TestClient(app) as client:
        body = {"_model": "stock.quant", "_id": 42, "quantity": 3}
        assert client.post("/odoo/webhook", json=body).status_code == 401
        assert client.post("/odoo/webhook?token=nope", json=body).status_code == 401
        assert client.post("/odoo/webhook?token=s3cret", json=body).status_code == 200
        assert client.post("/odoo/webhook", headers={TOKEN_HEADER: "s3cret"}).status_code == 200
        assert client.get("/odoo/webhook").status_code == 405
        assert client.get("/lag").json() == {"lag_s": 1.25}
    assert woken == [True, True]


def test_without_a_token_any_post_wakes_the_poller() -> None:
    woken: list[bool] = []
    with TestClient(trigger_app(lambda: woken.append(True), lambda: 0.0, None)) as client:
        assert client.post("/odoo/webhook", content=b"not json").status_code == 200
    assert woken == [True]


def test_a_slow_feed_is_not_polled_on_every_tick_of_a_fast_one() -> None:
    capture = ChangeCaptureSettings(
        odoo_poll_interval_s=2.0, odoo_poll_intervals={"product.product": 300.0}
    )
    schedule = Schedule(
        intervals(
            ["stock.quant", "product.product"],
            capture.odoo_poll_interval_s,
            capture.odoo_poll_intervals,
        )
    )
    polls: dict[str, int] = {"stock.quant": 0, "product.product": 0}
    now = 0.0
    while now < 600.0:
        due = schedule.due(now)
        for name in due:
            polls[name] += 1
        schedule.polled(due, now)
        now += schedule.wait(now)
    # 600 s: stock every 2 s, products at 0 and 300 only.
    assert polls == {"stock.quant": 300, "product.product": 2}


def test_a_poll_interval_for_a_feed_not_polled_is_refused_by_its_variable() -> None:
    with pytest.raises(ConfigError) as caught:
        intervals(["stock.quant"], 5.0, {"product.pricelists": 300.0})
    assert caught.value.key == "RETAILSYNC_ODOO_POLL_INTERVALS"
    assert "'product.pricelists'" in caught.value.reason


def test_a_poll_interval_must_be_positive() -> None:
    with pytest.raises(ValidationError):
        ChangeCaptureSettings(odoo_poll_intervals={"stock.quant": 0})
