"""The catalog's full pass (``retailsync sync catalog --full``): every sellable product and
its prices published again, so that a channel that drifted from Odoo heals without a person.

The change feeds publish what changed; a full pass publishes what is, built by the feeds' own
builders (:func:`~producers.odoo.feeds.product_events`, :func:`~producers.odoo.feeds.price_events`),
so each event carries the version the feeds give that state:

- a product's is its variant's or template's ``write_date``, as the product feed gives it: the
  same state republished has the same version and event id as the feed's;
- a price's is also at least the newest pricelist rule's ``write_date`` (the floor a change
  of any rule gives every price it reprices), so a republish is never older than what the
  price feed published. It is the feed's own version (and event id) when that rule's change
  was what last published the price, and newer otherwise.

A consumer that keeps the newest version per SKU (storefront-catalog) applies a republished
version equal to the newest it applied, which sets what is already set when nothing drifted:
a republish is harmless, and it heals a channel that drifted.

Each page is one Kafka transaction; the audit record goes with the last one. A pass that
stops midway leaves whole pages published, each harmless again in the next pass.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from producers.odoo.feeds import price_events, product_events
from producers.odoo.mapping import NOT_CATALOGUED
from retailsync.events import Event, PriceChanged, Source
from retailsync.odoo import OdooClient
from retailsync.operate.audit import AuditRecord
from retailsync.operate.writer import ChangeWriter
from retailsync.publisher import event_record
from retailsync.serde import EventSerde
from retailsync.topology import Topology

# The name of the writer's transactional producer (one full pass at a time fences another).
WRITER = "odoo-catalog-sync"
AUDIT_ACTION = "sync catalog"
PAGE_SIZE = 200

# Sellable: a product with a SKU that is goods of its own (archived ones are not sold).
_SELLABLE = (("default_code", "!=", False), ("type", "not in", sorted(NOT_CATALOGUED)))


@dataclass(frozen=True, slots=True)
class CatalogPlan:
    """What a full pass reads: the sellable variants, the active pricelists, and the newest
    pricelist rule's ``write_date`` (its prices' version floor)."""

    product_ids: Sequence[int]
    pricelists: int
    newest_rule: str

    @property
    def prices(self) -> int:
        """The prices it publishes at most: each variant's list price and one per pricelist."""
        return len(self.product_ids) * (1 + self.pricelists)


def plan(odoo: OdooClient) -> CatalogPlan:
    """Read what a full pass would publish: three calls."""
    ids = [row["id"] for row in odoo.search_read("product.product", _SELLABLE, ["id"], order="id")]
    pricelists = odoo.search_read("product.pricelist", [], ["id"])
    newest = odoo.search_read(
        "product.pricelist.item", [], ["write_date"], order="write_date desc", limit=1
    )
    return CatalogPlan(ids, len(pricelists), newest[0]["write_date"] if newest else "")


@dataclass(frozen=True, slots=True)
class Published:
    """What a pass published."""

    products: int
    prices: int


def full_pass(
    odoo: OdooClient,
    source: Source,
    catalog: CatalogPlan,
    *,
    writer: ChangeWriter,
    topology: Topology,
    serde: EventSerde,
    audit: AuditRecord,
    advanced: Callable[[int], None] = lambda _products: None,
    page_size: int = PAGE_SIZE,
) -> Published:
    """Publish product_upserted and price_changed for every product of ``catalog``, a page of
    ``page_size`` products per transaction, with ``audit`` (and the counts) in the last;
    ``advanced`` is told how many products each page held."""
    ids = list(catalog.product_ids)
    pages = [ids[start : start + page_size] for start in range(0, len(ids), page_size)] or [[]]
    products = prices = 0
    for number, page in enumerate(pages, start=1):
        events: list[Event] = []
        if page:
            rows = [{"id": id_} for id_ in page]
            events += product_events(odoo, source, "product.product", rows)
            events += price_events(odoo, source, [("id", "in", page)], catalog.newest_rule)
        writer.begin()
        for event in events:
            record = event_record(event, topology, serde)
            writer.produce(record.topic, key=record.key, value=record.value, headers=record.headers)
        priced = sum(isinstance(event, PriceChanged) for event in events)
        products, prices = products + len(events) - priced, prices + priced
        last = number == len(pages)
        counts = {"products": products, "prices": prices}
        writer.commit(audit.with_changes([counts]) if last else None)
        advanced(len(page))
    return Published(products, prices)
