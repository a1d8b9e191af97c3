"""What the mappings share: the delivery a payload came in, envelopes, event identity,
amounts."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Context, Decimal

from retailsync.errors import RetailsyncError
from retailsync.events import Envelope, Event, FeeLine, OrderLine, Source, TaxLine, derive_event_id
from retailsync.events.fields import MONEY_SCALE
from retailsync.metrics import MAPPING_DIFFERENCES

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_CENT_OF_A_CENT = Decimal(1).scaleb(-MONEY_SCALE)
# Room for any product of two bounded payload numbers: the event's own digit limit then
# refuses what does not fit, instead of decimal.InvalidOperation.
_WIDE = Context(prec=60)
_DIGEST_CHARS = 32
_PERCENT = Decimal(100)


Mapped = Event | tuple[Event, ...] | None
"""What a topic's mapping makes of a payload: an event, several in publishing order, or none."""


def events_of(mapped: Mapped) -> tuple[Event, ...]:
    """The events of a mapping's result, in publishing order."""
    if isinstance(mapped, tuple):
        return mapped
    return () if mapped is None else (mapped,)


class DeferredError(RetailsyncError):
    """A body the platform legitimately sends that holds nothing to publish yet; a later
    delivery carries the change. Answered 2xx, so the platform keeps the webhook."""


@dataclass(frozen=True, slots=True)
class Delivery:
    """One webhook delivery as its headers describe it.

    ``delivery_id`` is the platform's identity of the delivery, the same on every retry;
    ``triggered_at`` is when the platform fired it, where it says so.
    """

    delivery_id: str
    topic: str
    source: Source
    channel: str
    triggered_at: datetime | None = None

    def ref(self, native_id: object) -> str:
        """A retailsync ref (``channel:id``) for one of the channel's ids."""
        return f"{self.channel}:{native_id}"

    def envelope(
        self,
        model: type[Event],
        source_ref: str,
        occurred_at: datetime,
        source_version: int | None = None,
    ) -> Envelope:
        """The envelope of ``model``'s event; ``identified`` gives it its final id."""
        return model.new_envelope(
            source=self.source,
            source_ref=source_ref,
            occurred_at=self.triggered_at or occurred_at,
            source_version=source_version,
            delivery_id=self.delivery_id,
            channel=self.channel,
        )


def identified(event: Event) -> Event:
    """``event`` with the id of the change it describes: the id its envelope was given (from
    the source's version of the entity, or else the platform's delivery id) refined by a
    digest of what the event says.

    The envelope's id alone can be shared by two changes: Shopify's ``updated_at`` and
    WooCommerce's delivery id (webhook id and Unix second) have a resolution of one second.
    The digest tells such changes apart, and a re-delivery of the same change says the same
    thing and keeps its id.
    """
    envelope = event.envelope
    content = event.model_dump_json(exclude={"envelope"}).encode()
    digest = hashlib.sha256(content).hexdigest()[:_DIGEST_CHARS]
    change = f"{envelope.event_id}/{digest}"
    event_id = derive_event_id(envelope.event_type, envelope.source, envelope.source_ref, change)
    return event.model_copy(update={"envelope": envelope.model_copy(update={"event_id": event_id})})


def micros(moment: datetime) -> int:
    """``moment`` in microseconds since the epoch: a source_version that grows with time."""
    return (moment - _EPOCH) // _MICROSECOND


def money(amount: Decimal) -> Decimal:
    """``amount`` rounded to the events' money scale (a unit price from a division may not be)."""
    return amount.quantize(_CENT_OF_A_CENT, rounding=ROUND_HALF_EVEN, context=_WIDE)


def total(amounts: Iterable[Decimal]) -> Decimal:
    return sum(amounts, Decimal(0))


def percent(fraction: Decimal) -> Decimal:
    """A rate given as a fraction (Shopify's 0.19) in percent, as the events carry it."""
    return money(fraction * _PERCENT)


def merged_taxes(tax_lines: Iterable[TaxLine]) -> tuple[TaxLine, ...]:
    """Tax lines of several charges (shipping lines, say) as one per title and rate."""
    merged: dict[tuple[str, Decimal], Decimal] = {}
    for tax in tax_lines:
        key = (tax.title, tax.rate)
        merged[key] = merged.get(key, Decimal(0)) + tax.amount
    return tuple(TaxLine(title=t, rate=r, amount=amount) for (t, r), amount in merged.items())


@dataclass(frozen=True, slots=True)
class Amounts:
    """An order's amounts as its event states them, for the add-up check."""

    lines: tuple[OrderLine, ...]
    shipping_total: Decimal
    fees: tuple[FeeLine, ...]
    order_discount: Decimal
    tax_total: Decimal
    prices_include_tax: bool
    total: Decimal


def mapping_difference(amounts: Amounts, delivery: Delivery) -> Decimal:
    """lines + shipping + fees - order discount (+ tax when prices exclude it) - total.

    Zero when the event adds up. Otherwise the body holds something the mapping does not
    read: the event is still published (refusing would make the platform give up on the
    order), carrying the difference, and counted here, per platform.
    """
    stated = (
        total(line.total for line in amounts.lines)
        + amounts.shipping_total
        + total(fee.amount for fee in amounts.fees)
        - amounts.order_discount
        + (Decimal(0) if amounts.prices_include_tax else amounts.tax_total)
    )
    difference = stated - amounts.total
    if difference:
        MAPPING_DIFFERENCES.add(1, {"platform": delivery.source.system.value})
    return difference
