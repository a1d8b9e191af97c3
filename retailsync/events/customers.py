"""Customer accounts. Personal data: never log these events."""

from __future__ import annotations

from pydantic import ConfigDict, Field

from retailsync.events.address import Address
from retailsync.events.envelope import Event
from retailsync.events.fields import Ref


class CustomerUpserted(Event):
    """The whole of one customer account, after a change on a selling channel."""

    model_config = ConfigDict(hide_input_in_errors=True)

    EVENT_TYPE = "customer_upserted"
    REQUIRES_SOURCE_VERSION = True

    customer_ref: Ref
    email: str | None = Field(None, repr=False)
    phone: str | None = Field(None, repr=False)
    first_name: str | None = Field(None, repr=False)
    last_name: str | None = Field(None, repr=False)
    company: str | None = None
    locale: str | None = None
    accepts_marketing: bool
    default_address: Address | None = Field(None, repr=False)


class CustomerErased(Event):
    """A customer's personal data must go (GDPR erasure, e.g. Shopify's customers/redact).

    Published as a tombstone of customer_upserted: the customer ref as key and no value, on
    the compacted customers topic. Compaction then removes every earlier record of the key,
    and the tombstone itself after the topic's ``delete.retention.ms``; consumers skip it.
    Only its headers (event type and id) travel with it: it has no schema.
    """

    EVENT_TYPE = "customer_erased"
    TOMBSTONE_OF = CustomerUpserted.EVENT_TYPE

    customer_ref: Ref
