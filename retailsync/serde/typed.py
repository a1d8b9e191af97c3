"""Events as models on top of a dict serde: what publishers and handlers use."""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import ValidationError

from retailsync.errors import DeserializationError, RecordOrigin
from retailsync.events import EVENT_MODELS, Event
from retailsync.serde.framing import Serde


class EventSerde:
    """Encodes ``Event`` models and decodes records into them.

    An event is written at its ``envelope.schema_version`` (a model built with
    ``new_envelope`` has the newest); a record of an older version decodes into the model
    with the newer fields at their defaults.
    """

    def __init__(self, serde: Serde, models: Mapping[str, type[Event]] = EVENT_MODELS) -> None:
        self.serde = serde
        self.content_type = serde.content_type
        self._models = dict(models)

    def encode(self, event: Event) -> bytes:
        return self.serde.encode(event.model_dump())

    def knows_writer(self, event: Event) -> bool:
        """True when encoding ``event`` needs no call to another service (a registry)."""
        return self.serde.knows_writer(event.envelope.event_type, event.envelope.schema_version)

    def resolve_writer(self, event: Event) -> None:
        """Fetch what encoding ``event`` needs, unless known; blocks on I/O."""
        self.serde.resolve_writer(event.envelope.event_type, event.envelope.schema_version)

    def resolve_writers(self) -> None:
        """Fetch what encoding each event type's newest version needs; blocks on I/O, so
        call it off an event loop. TargetUnavailableError while a registry is unreachable."""
        self.serde.resolve_writers()

    def close(self) -> None:
        """Release the serde's clients (a registry client's connections)."""
        self.serde.close()

    def decode(
        self, value: bytes, *, topic: str, partition: int, offset: int, key: bytes | None
    ) -> Event:
        """The event in ``value``; DeserializationError, with the record, if it is none."""
        datum = self.serde.decode(value, topic=topic, partition=partition, offset=offset, key=key)
        event_type = datum["envelope"]["event_type"]
        model = self._models.get(event_type)
        try:
            if model is None:
                raise LookupError(f"no model for event type {event_type!r}")
            return model.model_validate(datum)
        except (LookupError, ValidationError) as exc:
            origin = RecordOrigin(topic, partition, offset, key, value)
            raise DeserializationError(str(exc), origin) from exc
