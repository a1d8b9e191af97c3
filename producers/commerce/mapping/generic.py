"""Generic-channel webhooks to events: the payload already holds the event's fields."""

from __future__ import annotations

from producers.commerce.payloads.generic import GenericPayload
from retailsync.events import EVENT_MODELS, CustomerErased, Event

# An erasure has no schema and is not among the catalogue's models.
_MODELS: dict[str, type[Event]] = {**EVENT_MODELS, CustomerErased.EVENT_TYPE: CustomerErased}


def generic_event(delivery_id: str, payload: GenericPayload) -> Event:
    """The event ``payload`` describes; its id comes from the delivery's ``webhook-id``."""
    model = _MODELS[payload.type]
    envelope = model.new_envelope(
        source=payload.source,
        source_ref=payload.source_ref,
        occurred_at=payload.timestamp,
        source_version=payload.source_version,
        delivery_id=delivery_id,
        channel=payload.channel,
    )
    return model.model_validate({**payload.data, "envelope": envelope})
