"""Reading a SCAPI order listing sorted by a stamp (``creationDate`` or ``lastModified``) to
its end, past ``getOrders``' window: the API answers no ``offset + limit`` over 10,000
(spec 1.5.2), and has no cursor or total.

So the listing is paged by keyset: each page starts at the newest stamp read so far (the
listing's ``…From`` filter, at or after it, offset 0), the orders already read at that stamp
skipped, and goes by offset only through a page of orders all stamped alike. Offsets thus
stay within the orders sharing one stamp: only more than 10,000 orders stamped within one
millisecond would still reach the window. It also keeps an order that leaves the listing
while it is read (its stamp moves past the range's end) from shifting the later ones back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime

from retailsync.sfcc import Order

# A page of the listing from a stamp on: (stamp, offset) -> orders, sorted by the stamp.
PageFrom = Callable[[datetime, int], tuple[Order, ...]]


def keyset_pages(
    page_from: PageFrom,
    start: datetime,
    *,
    limit: int,
    stamp: Callable[[Order], datetime | None],
) -> Iterator[list[Order]]:
    """The listing's orders from ``start`` on, each once, a page at a time; ``limit`` is the
    page size ``page_from`` asks for, ``stamp`` an order's stamp (None when unreadable)."""
    cursor, skip = start, 0
    seen: set[str] = set()
    while True:
        page = page_from(cursor, skip)
        fresh = [order for order in page if order.order_no not in seen]
        seen |= {order.order_no for order in fresh}
        yield fresh
        if len(page) < limit:
            return
        newest = stamp(page[-1]) or cursor  # the page is sorted by the stamp
        if newest > cursor:
            cursor, skip = newest, 0
        else:  # a whole page stamped alike: past it by offset
            skip += len(page)
