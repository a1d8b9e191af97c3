"""What every event from the webhook edge keeps beyond its Avro schema.

No amount or quantity below zero (but a fee, which a negative fee turns into a discount,
and an order's mapping difference, which is signed), an order line of at least one unit,
identities short enough for keys. The payload models refuse most of this with the
platform's field path; these rules catch what a mapping computed (a discount larger than
its line) and whatever the generic channel posts, whose payload is the event itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from pydantic import BaseModel

from producers.commerce.payloads.base import MAX_CODE_CHARS
from retailsync.errors import InvalidInputError
from retailsync.events import Event, FeeLine, OrderLine

# String fields that identify something, besides every "*_ref".
_IDENTITIES = frozenset({"sku", "instance", "channel", "event_type"})
# Amounts that may be below zero wherever they are.
_SIGNED = frozenset({"mapping_difference"})


class UnfitEventError(InvalidInputError):
    """The event breaks an edge rule; ``problems`` name the field paths, never the values."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


def checked(event: Event) -> Event:
    """``event`` if it keeps the rules; else UnfitEventError naming every field that does not."""
    problems = list(_problems(event, ""))
    if problems:
        raise UnfitEventError(problems)
    return event


def _problems(record: BaseModel, path: str, *, signed: bool = False) -> Iterator[str]:
    if type(record) is OrderLine and record.quantity <= 0:
        yield f"{path}quantity: an order line holds at least one unit"
    # A fee's amounts, its tax lines' too, are negative when the fee is a discount.
    signed = signed or type(record) is FeeLine
    # By exact type, over the instance's dict: this runs for every delivery.
    for name, value in record.__dict__.items():
        kind = type(value)
        if kind is Decimal:
            if value < 0 and not signed and name not in _SIGNED:
                yield f"{path}{name}: must not be negative"
        elif kind is str:
            if len(value) > MAX_CODE_CHARS and (name.endswith("_ref") or name in _IDENTITIES):
                yield f"{path}{name}: longer than {MAX_CODE_CHARS} characters"
        elif kind is tuple:
            for index, item in enumerate(value):
                if isinstance(item, BaseModel):
                    yield from _problems(item, f"{path}{name}.{index}.", signed=signed)
        elif isinstance(value, BaseModel):
            yield from _problems(value, f"{path}{name}.", signed=signed)
