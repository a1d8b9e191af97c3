"""What a backfill reads from a channel: its orders placed since a time, each mapped to its
events by the live path's mapping, or refused with the reason."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import pydantic

from retailsync.errors import InvalidInputError
from retailsync.events import Event
from retailsync.events.parse import describe_problems


@dataclass(frozen=True, slots=True)
class ChannelOrder:
    """One order a channel listed: its ref, when it was placed, whether it is a test order,
    and its events in publishing order; or, ``refused``, why it cannot be taken."""

    order_ref: str
    created_at: datetime | None  # None when the order does not say it readably
    events: tuple[Event, ...] = ()
    test: bool = False
    refused: str | None = None


class OrderSource(Protocol):
    """A channel's orders, read through its API: one implementation per platform."""

    def orders(self, since: datetime) -> Iterator[ChannelOrder]:
        """Every order placed at or after ``since``, oldest first."""
        ...


def placed_at(value: object) -> datetime | None:
    """An order's ISO 8601 creation time, or None when it is not one."""
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return None


def refusal(error: Exception) -> str:
    """Why an order cannot be taken, naming fields, never their values (personal data)."""
    if isinstance(error, pydantic.ValidationError):
        return describe_problems(error, "order")
    if isinstance(error, InvalidInputError):
        return str(error)
    return f"{type(error).__name__}: {error}"
