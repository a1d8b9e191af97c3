"""The generic channel's payload: a retailsync event without its envelope.

A marketplace bridge, SFCC hook or any other system posts (signed per Standard Webhooks)::

    {"type": "order_created", "timestamp": "2025-03-14T09:26:53Z",
     "source": {"system": "MARKETPLACE", "instance": "marketplace.example.com"},
     "source_ref": "order/1001", "source_version": null, "channel": "marketplace-eu",
     "data": {...the event's fields, as in its Avro schema...}}

``type``, ``timestamp`` and ``data`` follow the Standard Webhooks payload structure; the
event id comes from the ``webhook-id`` header.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AwareDatetime, Field

from producers.commerce.payloads.base import MAX_CODE_CHARS, Payload
from retailsync.events import Source

GenericType = Literal[
    "order_created",
    "order_edited",
    "order_cancelled",
    "order_risk_assessed",
    "payment_authorized",
    "payment_captured",
    "refund_issued",
    "customer_upserted",
    "customer_erased",
]


class GenericPayload(Payload):
    type: GenericType
    timestamp: AwareDatetime
    source: Source
    source_ref: str = Field(min_length=1, max_length=MAX_CODE_CHARS)
    source_version: int | None = Field(None, ge=0, lt=2**63)
    channel: str = Field(min_length=1, max_length=MAX_CODE_CHARS)
    data: dict[str, Any] = Field(repr=False)
