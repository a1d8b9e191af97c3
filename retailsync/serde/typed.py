"""Events as models on top of a dict serde: what publishers and handlers use."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from retailsync.errors import DeserializationError, RecordOrigin, SerializationError
from retailsync.events import EVENT_MODELS, Event
from retailsync.serde.builders import builder
from retailsync.serde.framing import Serde
from retailsync.serde.writer import compile_writer


class EventSerde:
    """Encodes ``Event`` models and decodes records into them.

    An event is written at its ``envelope.schema_version`` (a model built with
    ``new_envelope`` has the newest); a record of an older version decodes into the model
    with the newer fields at their defaults.

    Decoding constructs the model without validating it again: the record was decoded with
    the model's own schema, and whoever wrote it validated it where the data entered (the
    models mirror the schemas field for field). Only the constraints a schema cannot state
    (a pattern, a minimum length) are checked; a record that fails one takes the validating
    path, which names the field (``retailsync.serde.builders``). Encoding writes the model
    with code generated from its schema (``retailsync.serde.writer``). Both ways, the
    logical values (decimals, timestamps, uuids) are converted by our code rather than by
    fastavro (``retailsync.serde.plain``).
    """

    def __init__(self, serde: Serde, models: Mapping[str, type[Event]] = EVENT_MODELS) -> None:
        self.serde = serde
        self.content_type = serde.content_type
        self._models = dict(models)
        catalogue = serde.catalogue
        self._builders = {
            name: builder(model, catalogue.latest(name).parsed)
            for name, model in self._models.items()
            if name in catalogue.event_types
        }
        self._encoders: dict[tuple[str, int], Callable[[Event], bytes]] = {}

    def encode(self, event: Event) -> bytes:
        envelope = event.envelope
        which = (envelope.event_type, envelope.schema_version)
        encoder = self._encoders.get(which)
        if encoder is None:
            encoder = self._encoders[which] = self._encoder(*which)
        return encoder(event)

    def _encoder(self, event_type: str, version: int) -> Callable[[Event], bytes]:
        schema = self.serde.catalogue.get(event_type, version)
        try:
            if schema is None:
                raise NotImplementedError("not in the catalogue")  # encode() names what it has
            write = compile_writer(schema.parsed)
        except NotImplementedError:
            return lambda event: self.serde.encode(event.model_dump())
        header = self.serde.header(event_type, version)

        def encode(event: Event) -> bytes:
            try:
                return write(event, header)
            # A value its schema cannot hold, or not of its type (a model built unvalidated).
            except (ValueError, TypeError, ArithmeticError, AttributeError) as exc:
                raise SerializationError(f"cannot encode {schema.label}: {exc}") from exc
            except KeyError:
                # A field of this (older) version that the model no longer has: fastavro
                # writes its default, or names it.
                return self.serde.encode(event.model_dump())

        return encode

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
        datum = self.serde.decode_plain(
            value, topic=topic, partition=partition, offset=offset, key=key
        )
        event_type = datum["envelope"]["event_type"]
        build = self._builders.get(event_type)
        event: Event | None = None if build is None else build(datum)
        if event is not None and (
            # The one model rule a schema cannot state (the envelope is shared).
            not self._models[event_type].REQUIRES_SOURCE_VERSION
            or event.envelope.source_version is not None
        ):
            return event
        # Not built (it breaks a constraint, or its model does not mirror its schema):
        # read it with fastavro's conversions and validate it, which names the field.
        try:
            model = self._models.get(event_type)
            if model is None:
                raise LookupError(f"no model for event type {event_type!r}")
            return model.model_validate(
                self.serde.decode(value, topic=topic, partition=partition, offset=offset, key=key)
            )
        except (LookupError, ValueError) as exc:  # ValidationError is a ValueError
            origin = RecordOrigin(topic, partition, offset, key, value)
            raise DeserializationError(str(exc), origin) from exc
