"""A consumer service for the crash test, run by ``retailsync consume --app``.

Its sink is idempotent on the event id, as every real handler is on its target's natural
key: applying a re-delivered event changes nothing, and ``deliveries`` counts them all.
"""

from __future__ import annotations

import os
import sqlite3
import time

from retailsync.consumer import ConsumerService, HandlerContext
from retailsync.events import OrderCreated

SCHEMA = """
CREATE TABLE IF NOT EXISTS applied (event_id TEXT PRIMARY KEY, order_ref TEXT, sequence INT);
CREATE TABLE IF NOT EXISTS deliveries (n INTEGER);
"""


def open_sink(path: str) -> sqlite3.Connection:
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.executescript(SCHEMA)
    return connection


service = ConsumerService(os.environ.get("RETAILSYNC_TEST_GROUP", "crash-test"))
_sink = (
    open_sink(os.environ["RETAILSYNC_TEST_SINK"]) if "RETAILSYNC_TEST_SINK" in os.environ else None
)


@service.handler("order_created", target="sink")
def apply(event: OrderCreated, _context: HandlerContext) -> None:
    assert _sink is not None
    time.sleep(0.001)  # a little work per record, so the kill lands mid-batch
    _sink.execute("INSERT INTO deliveries VALUES (1)")
    _sink.execute(
        "INSERT OR IGNORE INTO applied VALUES (?, ?, ?)",
        (str(event.envelope.event_id), event.order_ref, event.envelope.source_version),
    )
