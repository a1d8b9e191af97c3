"""The order-lifecycle projection when its PostgreSQL server fails: the group pauses rather
than dead-letters, and the readers say so; the password is never printed."""

from __future__ import annotations

import pytest
from sqlalchemy import URL
from typer.testing import CliRunner

from commands import app
from consumers.order_lifecycle import STORE, projection_service
from consumers.order_lifecycle.store import LifecycleStore
from retailsync.broker import free_port_block
from retailsync.consumer import HandlerContext, Item
from retailsync.errors import TargetUnavailableError
from retailsync.events import OrderCreated
from retailsync.events.examples import example_events
from tests.postgres import drop_database, new_database

pytestmark = pytest.mark.unit

PASSWORD = "hunter2-not-shown"


def _created(order_ref: str) -> Item:
    example = next(e for e in example_events() if isinstance(e, OrderCreated))
    envelope = OrderCreated.new_envelope(
        source=example.envelope.source, source_ref=order_ref,
        occurred_at=example.envelope.occurred_at, source_version=1,
    )  # fmt: skip
    created = example.model_copy(update={"envelope": envelope, "order_ref": order_ref})
    return Item(created, HandlerContext(order_ref, [], "retail.orders", 0, 1, 1, None))


def test_a_store_whose_database_goes_away_pauses_the_group(postgres_server: URL) -> None:
    where = new_database(postgres_server)
    with LifecycleStore.connect(where) as store:
        fold = projection_service("lifecycle", lambda: store).handlers["order_created"].handler
        assert fold([_created("shop:1")]) is None
        assert len(store.contents()["events"]) == 1
        drop_database(where)
        # Its connection cut, then no database to connect to: each time the target is down,
        # which pauses the group (a dead letter would lose the event from the projection).
        for ref in ("shop:2", "shop:3"):
            with pytest.raises(TargetUnavailableError) as caught:
                fold([_created(ref)])
            assert caught.value.target == STORE


def test_readers_say_the_server_does_not_answer_without_the_password(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    nobody = f"postgresql://retailsync:{PASSWORD}@127.0.0.1:{free_port_block(1)}/lifecycle"
    monkeypatch.setenv("RETAILSYNC_LIFECYCLE_DATABASE_URL", nobody)
    late = CliRunner().invoke(app, ["orders", "late"])
    assert late.exit_code == 2
    assert "cannot reach the projection" in late.output
    assert PASSWORD not in late.output
