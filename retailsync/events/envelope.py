"""The envelope every event carries, the base class of the event models, and event ids.

Mirrors ``schemas/shared/envelope.v1.avsc``.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from enum import StrEnum
from typing import ClassVar, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from retailsync.events.fields import Ref, SourceVersion, Timestamp

# Fixed forever: changing it would give every re-delivered change a new id.
EVENT_ID_NAMESPACE = uuid.UUID("fd532aeb-be92-4755-bb74-9c7dc6d3102f")


class Record(BaseModel):
    """A model of one Avro record: frozen, and unknown fields are an error."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class SourceSystem(StrEnum):
    """Kind of system a change came from; ``UNKNOWN`` is what older readers see for newer kinds."""

    UNKNOWN = "UNKNOWN"
    ODOO = "ODOO"
    SHOPIFY = "SHOPIFY"
    WOOCOMMERCE = "WOOCOMMERCE"
    SFCC = "SFCC"
    MARKETPLACE = "MARKETPLACE"
    RETAILSYNC = "RETAILSYNC"


class Source(Record):
    """The system, and which installation of it, where a change happened."""

    system: SourceSystem
    instance: Ref


class Envelope(Record):
    """Identity, origin and ordering of one event; build it with ``Event.new_envelope``."""

    event_id: uuid.UUID
    event_type: Ref
    schema_version: int = Field(ge=1)
    occurred_at: Timestamp
    source: Source
    source_ref: Ref
    source_version: SourceVersion | None = None
    correlation_id: uuid.UUID | None = None
    causation_id: uuid.UUID | None = None
    channel: Ref | None = None


def derive_event_id(
    event_type: str, source: Source, source_ref: str, change: int | str
) -> uuid.UUID:
    """The id of the event ``event_type`` for one change of ``source_ref`` at ``source``.

    ``change`` is the source's identity of the change: its ``source_version``, or where the
    source has none, a delivery id that stays the same across re-deliveries. The same inputs
    always give the same id, so consumers can drop a re-delivered or re-polled change.
    """
    # A JSON array keeps the parts apart: ("a|b", "c") and ("a", "b|c") never collide,
    # nor a version 5 with a delivery id "5".
    name = json.dumps([event_type, source.system.value, source.instance, source_ref, change])
    return uuid.uuid5(EVENT_ID_NAMESPACE, name)


class Event(Record):
    """Base of the event models: an envelope plus the fields of one event type."""

    EVENT_TYPE: ClassVar[str]
    # The newest schema version this model mirrors. It holds records of other versions too,
    # resolved to this one; their envelope.schema_version still says what was written.
    SCHEMA_VERSION: ClassVar[int] = 1
    # State events on compacted topics: a consumer cannot tell a stale one without it.
    REQUIRES_SOURCE_VERSION: ClassVar[bool] = False
    # An erasure names the event type whose records it erases: it is published as a
    # tombstone (the key, no value) on that type's compacted topic, and has no schema.
    TOMBSTONE_OF: ClassVar[str | None] = None

    envelope: Envelope

    @model_validator(mode="after")
    def _envelope_fits(self) -> Self:
        envelope = self.envelope
        if envelope.event_type != self.EVENT_TYPE:
            raise ValueError(
                f"envelope.event_type is {envelope.event_type!r}, "
                f"but this is a {self.EVENT_TYPE} event"
            )
        if self.REQUIRES_SOURCE_VERSION and envelope.source_version is None:
            raise ValueError(
                f"envelope.source_version is required for {self.EVENT_TYPE}: "
                "consumers compare it to drop stale updates"
            )
        return self

    @classmethod
    def new_envelope(
        cls,
        *,
        source: Source,
        source_ref: str,
        occurred_at: datetime,
        source_version: int | None = None,
        delivery_id: str | None = None,
        channel: str | None = None,
        correlation_id: uuid.UUID | None = None,
        causation_id: uuid.UUID | None = None,
    ) -> Envelope:
        """An envelope for this event type at its newest schema version, with a derived id.

        The id comes from ``source_version`` when given, else from ``delivery_id``.
        """
        change: int | str | None = source_version if source_version is not None else delivery_id
        if change is None:
            raise ValueError(
                "give source_version or delivery_id: the event id is derived from the "
                "source's identity of the change"
            )
        return Envelope.model_validate(
            {
                "event_id": derive_event_id(cls.EVENT_TYPE, source, source_ref, change),
                "event_type": cls.EVENT_TYPE,
                "schema_version": cls.SCHEMA_VERSION,
                "occurred_at": occurred_at,
                "source": source,
                "source_ref": source_ref,
                "source_version": source_version,
                "correlation_id": correlation_id,
                "causation_id": causation_id,
                "channel": channel,
            }
        )
