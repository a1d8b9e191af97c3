"""Publishing a backfill: its orders' events, a page of orders per Kafka transaction, with
the audit record in the last one.

The events carry the ids the live path's mapping gives them for the order's state, so a
second run publishes the same ids again, which consumers drop; and odoo-orders creates an
order once per order ref whichever event (a backfill's, a webhook's) comes first. A run that
stops midway leaves whole pages published, each harmless again in the next run.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence

from producers.backfill.source import ChannelOrder
from retailsync.operate.audit import AuditRecord
from retailsync.operate.writer import ChangeWriter
from retailsync.publisher import event_record
from retailsync.serde import EventSerde
from retailsync.topology import Topology

AUDIT_ACTION = "backfill orders"
PAGE_SIZE = 100


def writer_name(channel: str) -> str:
    """The writer's transactional name: one backfill of a channel at a time fences another."""
    return f"backfill-{channel}"


def publish(
    orders: Sequence[ChannelOrder],
    *,
    writer: ChangeWriter,
    topology: Topology,
    serde: EventSerde,
    audit: AuditRecord,
    advanced: Callable[[int], None] = lambda _orders: None,
    page_size: int = PAGE_SIZE,
) -> Counter[str]:
    """Publish the events of ``orders`` (refused ones are skipped), ``page_size`` orders per
    transaction, with ``audit`` and the counts in the last; ``advanced`` is told how many
    orders each page held. Returns the events published by type."""
    taken = [order for order in orders if order.refused is None]
    pages = [taken[start : start + page_size] for start in range(0, len(taken), page_size)]
    published: Counter[str] = Counter()
    for number, page in enumerate(pages or [[]], start=1):
        writer.begin()
        for order in page:
            for event in order.events:
                record = event_record(event, topology, serde)
                writer.produce(
                    record.topic, key=record.key, value=record.value, headers=record.headers
                )
                published[event.envelope.event_type] += 1
        last = number == max(len(pages), 1)
        changes = {
            "orders": len(taken),
            "events": dict(published),
            "refused": [order.order_ref for order in orders if order.refused is not None],
        }
        writer.commit(audit.with_changes([changes]) if last else None)
        advanced(len(page))
    return published
