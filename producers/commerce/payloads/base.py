"""What every payload model shares, and the bounds of the values the mappings read.

The bounds are what the events can carry: money fits Avro decimal(18, 4), a count of items
decimal(18, 6), a platform's id a signed 64-bit integer, a code or id string a key. A value
beyond them is refused with its field path (422) before any arithmetic sees it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from retailsync.events.fields import DECIMAL_PRECISION, MONEY_SCALE, QUANTITY_SCALE

MAX_CODE_CHARS = 255


class Payload(BaseModel):
    """A platform's JSON object: frozen, undeclared fields ignored, inputs never in errors."""

    model_config = ConfigDict(frozen=True, extra="ignore", hide_input_in_errors=True)


PlatformId = Annotated[int, Field(ge=1, lt=2**63)]
"""A platform's id of a record: Shopify's and WooCommerce's are positive 64-bit integers."""

OptionalId = Annotated[int, Field(ge=0, lt=2**63)]
"""An id where 0 means none (WooCommerce's guest customer, a deleted product)."""

Code = Annotated[str, StringConstraints(max_length=MAX_CODE_CHARS)]
"""A short identifying string (SKU, order number, gateway, transaction id)."""

Amount = Annotated[
    Decimal,
    Field(ge=0, max_digits=DECIMAL_PRECISION, decimal_places=MONEY_SCALE, allow_inf_nan=False),
]
"""A non-negative amount of money, as an event can carry it."""

SignedAmount = Annotated[
    Decimal,
    Field(max_digits=DECIMAL_PRECISION, decimal_places=MONEY_SCALE, allow_inf_nan=False),
]
"""An amount the platform writes negative where it takes money back (refund adjustments)."""

Rate = Annotated[
    Decimal, Field(ge=0, le=1000, max_digits=12, decimal_places=6, allow_inf_nan=False)
]
"""A tax rate, a fraction (Shopify's 0.19) or a percent (WooCommerce's 19), up to 0.000001."""

Count = Annotated[int, Field(gt=0, lt=10 ** (DECIMAL_PRECISION - QUANTITY_SCALE))]
"""How many units of an order line: at least one."""

RefundCount = Annotated[int, Field(ge=0, lt=10 ** (DECIMAL_PRECISION - QUANTITY_SCALE))]
"""How many units a refund line gives back: none when only money is refunded."""
