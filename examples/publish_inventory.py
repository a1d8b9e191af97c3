"""Publish one stock level from a warehouse system, as a WMS team would.

Configure it like any retailsync service, through the environment:

    RETAILSYNC_BOOTSTRAP_SERVERS=kafka:9092 RETAILSYNC_TOPOLOGY_FILE=topology.yaml \\
        python examples/publish_inventory.py SKU LOCATION AVAILABLE

It prints where the event landed, as ``topic[partition] offset``.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from decimal import Decimal

from retailsync import AdjustmentReason, InventoryAdjusted, Publisher, Source, SourceSystem

# Who publishes: the kind of system and which installation of it.
WMS = Source(system=SourceSystem.UNKNOWN, instance="wms-example")


def stock_level(sku: str, location: str, available: Decimal) -> InventoryAdjusted:
    """The whole stock level of ``sku`` at ``location``, as counted now."""
    now = datetime.now(UTC)
    return InventoryAdjusted(
        envelope=InventoryAdjusted.new_envelope(
            source=WMS,
            source_ref=f"{sku}@{location}",
            occurred_at=now,
            # Grows with every change of this stock level: consumers drop a stale one, and
            # a re-sent change keeps its event id.
            source_version=int(now.timestamp() * 1_000_000),
        ),
        sku=sku,
        location=location,
        warehouse=location.partition("/")[0],
        on_hand=available,
        reserved=Decimal(0),
        available=available,
        unit_of_measure="Units",
        reason=AdjustmentReason.INVENTORY_COUNT,
    )


def main(sku: str, location: str, available: str) -> None:
    with Publisher.from_settings(positions=True) as publisher:
        publisher.publish(stock_level(sku, location, Decimal(available)))
        for landed in publisher.flush():
            print(f"inventory_adjusted {landed.event_id} landed at {landed}")


if __name__ == "__main__":
    main(*sys.argv[1:4])
