"""What the mappings share: the delivery a payload came in, envelopes, amounts."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

from retailsync.events import Envelope, Event, Source
from retailsync.events.fields import MONEY_SCALE

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_CENT_OF_A_CENT = Decimal(1).scaleb(-MONEY_SCALE)


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
        """The envelope of ``model``'s event; its id comes from the source version when the
        event type keeps one, else from the delivery id."""
        return model.new_envelope(
            source=self.source,
            source_ref=source_ref,
            occurred_at=self.triggered_at or occurred_at,
            source_version=source_version,
            delivery_id=self.delivery_id,
            channel=self.channel,
        )


def micros(moment: datetime) -> int:
    """``moment`` in microseconds since the epoch: a source_version that grows with time."""
    return (moment - _EPOCH) // _MICROSECOND


def money(amount: Decimal) -> Decimal:
    """``amount`` rounded to the events' money scale (a unit price from a division may not be)."""
    return amount.quantize(_CENT_OF_A_CENT, rounding=ROUND_HALF_EVEN)


def total(amounts: Iterable[Decimal]) -> Decimal:
    return sum(amounts, Decimal(0))
