"""Governed publishing for the storefront: the topology's publishing rules of this group,
checked before a record is released to the channel.

- ``price_drop``: a price more than ``percent`` below the price the storefront shows;
- ``missing_barcode``: an active product without a barcode;
- ``title_length``: a title longer than ``max`` characters.

Archiving is never held: taking a product off sale is always safe. A record an operator
approved (``retailsync held approve``) is not checked again.
"""

from __future__ import annotations

from decimal import Decimal

from consumers.storefront_catalog.changes import Change, money
from retailsync.errors import HeldError
from retailsync.events import PriceChanged
from retailsync.headers import APPROVED, Headers, header
from retailsync.topology import PublishingRules


def approved(headers: Headers) -> bool:
    return header(headers, APPROVED) is not None


def broken(change: Change, shown_price: str | None, rules: PublishingRules) -> HeldError | None:
    """The first rule ``change`` breaks, given the price the storefront shows (None: the
    SKU is not on the storefront yet), or None."""
    event = change.event
    if isinstance(event, PriceChanged):
        return _price_drop(event, shown_price, rules)
    if not event.active:
        return None
    if rules.missing_barcode is not None and not event.barcode:
        return HeldError("missing_barcode", f"{event.sku} has no barcode")
    if rules.title_length is not None and len(event.name) > rules.title_length.max:
        return HeldError(
            "title_length",
            f"{event.sku}: the title has {len(event.name)} characters "
            f"(at most {rules.title_length.max})",
        )
    return None


def _price_drop(
    event: PriceChanged, shown_price: str | None, rules: PublishingRules
) -> HeldError | None:
    if rules.price_drop is None or shown_price is None:
        return None
    shown = Decimal(shown_price)
    if shown <= 0 or event.price >= shown * (1 - rules.price_drop.percent / 100):
        return None
    drop = (shown - event.price) / shown * 100
    return HeldError(
        "price_drop",
        f"{event.sku}: {money(event.price)} {event.currency} is {drop:.1f} % below the "
        f"{shown_price} shown (at most {rules.price_drop.percent} %)",
    )
