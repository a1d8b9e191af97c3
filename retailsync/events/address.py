"""A postal address, as in ``schemas/shared/address.v1.avsc``. Personal data: never log it."""

from __future__ import annotations

from pydantic import ConfigDict, Field

from retailsync.events.envelope import Record
from retailsync.events.fields import CountryCode


class Address(Record):
    """A postal address. Personal data is left out of ``repr`` so that it cannot reach a log."""

    model_config = ConfigDict(hide_input_in_errors=True)

    name: str | None = Field(None, repr=False)
    company: str | None = None
    line1: str = Field(repr=False)
    line2: str | None = Field(None, repr=False)
    city: str
    region: str | None = None
    postal_code: str | None = None
    country_code: CountryCode
    phone: str | None = Field(None, repr=False)
