"""``retailsync tail`` listing throughput: records/s through decode, mask and the one-line
summary, on one core, without the broker (the goal is >= 50,000/s for the plain listing).

Run: python -m bench.tail [records, default 100000]
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

from retailsync.consumer.record import ConsumedRecord
from retailsync.events import load_catalogue
from retailsync.events.examples import example_events
from retailsync.operate.listing import Lister
from retailsync.operate.personal import PersonalData
from retailsync.serde import SingleObjectSerde

_ROOT = Path(__file__).resolve().parent.parent
ROUNDS = 5


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 100_000
    catalogue = load_catalogue(_ROOT / "schemas")
    serde = SingleObjectSerde(catalogue)
    events = example_events()
    records = [
        ConsumedRecord(
            topic="retail.orders",
            partition=n % 12,
            offset=n,
            key=f"shop:{n}".encode(),
            value=serde.encode(event.model_dump()),
            headers=(("event_type", event.envelope.event_type.encode()),),
            timestamp_ms=1_800_000_000_000 + n,
        )
        for n, event in ((n, events[n % len(events)]) for n in range(count))
    ]
    lister = Lister(serde, PersonalData(catalogue), show_personal=False)

    def listing() -> None:
        for record in records:
            lister.entry(record).line()

    def decoding() -> None:
        for r in records:
            serde.decode(r.value or b"", topic=r.topic, partition=r.partition, offset=r.offset,
                         key=r.key)  # fmt: skip

    print(
        f"tail listing (decode + mask + line), {len(events)} event types mixed: "
        f"{count / _best(listing):,.0f} records/s on one core (goal >= 50,000/s); "
        f"serde decode alone: {count / _best(decoding):,.0f} records/s"
    )


def _best(run: Callable[[], None]) -> float:
    best = float("inf")
    for _ in range(ROUNDS):
        started = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - started)
    return best


if __name__ == "__main__":
    main()
