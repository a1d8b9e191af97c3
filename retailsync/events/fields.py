"""Field types the event models share, each the Python side of one Avro type in ``schemas/``.

Money and quantities are ``Decimal`` quantized to their schema's scale, so that what a model
holds is exactly what Avro writes; a ``float`` is refused rather than rounded.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BeforeValidator, Field, StringConstraints

MONEY_SCALE = 4
QUANTITY_SCALE = 6
DECIMAL_PRECISION = 18


def _refuse_float(value: object) -> object:
    if isinstance(value, float):
        raise ValueError(
            "give a Decimal, int or str, never a float: a binary float cannot hold 0.1 exactly"
        )
    return value


def _quantize(scale: int) -> Callable[[Decimal], Decimal]:
    step = Decimal(1).scaleb(-scale)

    def quantize(value: Decimal) -> Decimal:
        # Pydantic has already bounded the digits, so this only pads: 1.5 -> 1.5000.
        return value.quantize(step)

    return quantize


def _to_utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("outside the years 1 to 9999 once converted to UTC") from None


# The digit limits come before the validators: pydantic-core then checks them natively on the
# decimal it parsed. After a BeforeValidator they would be checked by Python functions, the
# same check at several times the cost. The float is still refused first: a BeforeValidator
# runs before the schema it wraps, wherever it is written.
Money = Annotated[
    Decimal,
    Field(max_digits=DECIMAL_PRECISION, decimal_places=MONEY_SCALE),
    BeforeValidator(_refuse_float),
    AfterValidator(_quantize(MONEY_SCALE)),
]
"""An amount in the event's currency: Avro decimal(18, 4)."""

Quantity = Annotated[
    Decimal,
    Field(max_digits=DECIMAL_PRECISION, decimal_places=QUANTITY_SCALE),
    BeforeValidator(_refuse_float),
    AfterValidator(_quantize(QUANTITY_SCALE)),
]
"""A quantity in a unit of measure: Avro decimal(18, 6)."""

Timestamp = Annotated[AwareDatetime, AfterValidator(_to_utc)]
"""A moment, timezone-aware, kept in UTC: Avro timestamp-micros."""

Ref = Annotated[str, StringConstraints(min_length=1)]
"""An identity such as an sku or an order ref: never empty, since keys are built from it."""

Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
"""An ISO 4217 currency code, e.g. EUR."""

CountryCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
"""An ISO 3166-1 alpha-2 country code, e.g. DE."""

SourceVersion = Annotated[int, Field(ge=0, lt=2**63)]
"""A non-negative Avro long."""
